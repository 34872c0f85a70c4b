import { css, html } from 'lit';
import { api, type SetupState } from '../data/api.js';
import { charCount, field, formAlert, formStatus, submitButton } from '../components/form.js';
import { checkNameFields, nameFieldStyles, nameFields } from '../components/name-fields.js';
import { icon } from '../components/icons.js';
import { fire, type HearthEvent } from '../events.js';
import { LoadedPage, Page, pageHead } from './page.js';
import { telemetryApi, type TelemetrySettingsView } from '../data/telemetry.js';
import './settings/telemetry-cards.js';
import './settings/factory-reset-card.js';
import { SettingsForm } from './settings/settings-form.js';

/** Settings: rename the box, change the owner password; power and cost, temperature, quiet hours and alerts. */
export class PageSettings extends LoadedPage<TelemetrySettingsView> {
  static override properties = { ...LoadedPage.properties, state: { attribute: false } };
  declare state: SetupState;

  static override styles = [
    ...Page.styles,
    css`
      .forms {
        display: grid;
        gap: 1.25rem;
        max-width: 40rem;
      }
    `,
  ];

  protected fetchView(): Promise<TelemetrySettingsView> {
    return telemetryApi.settings();
  }

  /** A card saved: the server's answer goes to every card (a new profile changes the thresholds in force). */
  private readonly onTelemetrySaved = (e: HearthEvent<'telemetry-settings-changed'>) => {
    this.view = e.detail.view;
  };

  protected override render() {
    const v = this.view;
    return html`
      ${pageHead('Settings', "Your box's name on the network, the owner password, how it watches power and heat, and erasing it.")}
      <div class="forms" @telemetry-settings-changed=${this.onTelemetrySaved}>
        <hearth-settings-name .state=${this.state}></hearth-settings-name>
        <hearth-settings-password .username=${this.state.username ?? ''}></hearth-settings-password>
        ${v
          ? html`${this.staleProblem()}
              <hearth-settings-power .view=${v}></hearth-settings-power>
              <hearth-settings-temperature .view=${v}></hearth-settings-temperature>
              <hearth-settings-quiet .view=${v}></hearth-settings-quiet>`
          : this.waitOrProblem('Loading the power and temperature settings…')}
        <hearth-settings-factory-reset .factoryHostname=${this.state.device.factoryHostname}></hearth-settings-factory-reset>
      </div>
    `;
  }
}

/** Rename: PUT /api/device with both names; the header follows. */
export class SettingsName extends SettingsForm {
  static override properties = {
    ...SettingsForm.properties,
    state: { attribute: false },
    name: { state: true },
    hostname: { state: true },
  };
  declare state: SetupState;
  declare name: string;
  declare hostname: string;

  static override styles = [...SettingsForm.styles, nameFieldStyles];

  constructor() {
    super();
    this.fieldIds = ['name', 'hostname'];
    this.name = '';
    this.hostname = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.name = this.state.device.name;
    this.hostname = this.state.device.hostname;
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    this.saved = '';
    if (this.showFieldErrors(checkNameFields(this.name, this.hostname))) return;
    const device = await this.run(() => api.renameDevice({ name: this.name, hostname: this.hostname }));
    if (!device) return;
    this.name = device.name;
    this.hostname = device.hostname;
    this.saved = `Saved. Your box answers at ${[...device.localNames].reverse().join(' and ')}.`;
    fire(this, 'device-changed', { device });
  }

  protected override render() {
    return html`<section class="card" aria-labelledby="name-title">
      <h2 id="name-title">${icon('globe', 20)} Name and address</h2>
      <p>How the box shows up on your network.</p>
      <form novalidate @submit=${this.submit}>
        ${formAlert(this.formError)}
        ${nameFields({
          name: this.name,
          hostname: this.hostname,
          factoryHostname: this.state.device.factoryHostname,
          errors: this.errors,
          onName: this.setter('name'),
          onHostname: this.setter('hostname'),
        })}
        ${formStatus(this.saved)}
        <div class="actions">${submitButton('Save name', 'Saving…', this.busy)}</div>
      </form>
    </section>`;
  }
}

/** Change the owner password: the current one is needed; other sessions are signed out. */
export class SettingsPassword extends SettingsForm {
  static override properties = {
    ...SettingsForm.properties,
    username: {},
    current: { state: true },
    next: { state: true },
    confirm: { state: true },
  };
  declare username: string;
  declare current: string;
  declare next: string;
  declare confirm: string;

  constructor() {
    super();
    this.fieldIds = ['current-password', 'new-password', 'confirm-password'];
    this.fieldAliases = { currentPassword: 'current-password', newPassword: 'new-password' };
    this.username = '';
    this.current = '';
    this.next = '';
    this.confirm = '';
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    this.saved = '';
    const errors: Record<string, string> = {};
    if (this.current === '') errors['current-password'] = 'Enter your current password.';
    const length = charCount(this.next);
    if (length < 10) errors['new-password'] = length === 0 ? 'Choose a new password.' : `The new password is too short (${length} characters); use at least 10.`;
    else if (this.confirm !== this.next) errors['confirm-password'] = 'The two new passwords differ. Type the same password twice.';
    if (this.showFieldErrors(errors)) return;
    const done = await this.run(() => api.changePassword(this.current, this.next));
    if (!done) return;
    this.current = this.next = this.confirm = '';
    this.saved = 'Password changed. Other browsers and devices signed in as the owner were signed out.';
  }

  protected override render() {
    return html`<section class="card" aria-labelledby="password-title">
      <h2 id="password-title">${icon('lock', 20)} Password</h2>
      <p>Changing it signs out every other browser.</p>
      <form novalidate @submit=${this.submit}>
        <input type="text" name="username" autocomplete="username" .value=${this.username} hidden readonly />
        ${formAlert(this.formError)}
        ${field({
          id: 'current-password',
          label: 'Current password',
          type: 'password',
          value: this.current,
          autocomplete: 'current-password',
          error: this.errors['current-password'],
          onInput: this.setter('current', 'current-password'),
        })}
        ${field({
          id: 'new-password',
          label: 'New password',
          type: 'password',
          value: this.next,
          autocomplete: 'new-password',
          hint: 'At least 10 characters.',
          error: this.errors['new-password'],
          onInput: this.setter('next', 'new-password'),
        })}
        ${field({
          id: 'confirm-password',
          label: 'Confirm new password',
          type: 'password',
          value: this.confirm,
          autocomplete: 'new-password',
          error: this.errors['confirm-password'],
          onInput: this.setter('confirm', 'confirm-password'),
        })}
        ${formStatus(this.saved)}
        <div class="actions">${submitButton('Change password', 'Changing…', this.busy)}</div>
      </form>
    </section>`;
  }
}

customElements.define('hearth-page-settings', PageSettings);
customElements.define('hearth-settings-name', SettingsName);
customElements.define('hearth-settings-password', SettingsPassword);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-page-settings': PageSettings;
    'hearth-settings-name': SettingsName;
    'hearth-settings-password': SettingsPassword;
  }
}
