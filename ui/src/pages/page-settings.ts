import { LitElement, css, html } from 'lit';
import { api, type ApiError, type SetupState } from '../data/api.js';
import { FormElement, charCount, field, formAlert, formStatus, submitButton } from '../components/form.js';
import { checkNameFields, nameFieldStyles, nameFields } from '../components/name-fields.js';
import { shared } from '../components/styles.js';
import { icon } from '../components/icons.js';
import { fire } from '../events.js';
import { pageStyles } from './page-styles.js';

/** Settings: rename the box, change the owner password. */
export class PageSettings extends LitElement {
  static override properties = { state: { attribute: false } };
  declare state: SetupState;

  static override styles = [
    shared,
    pageStyles,
    css`
      .forms {
        display: grid;
        gap: 1.25rem;
        max-width: 40rem;
      }
    `,
  ];

  protected override firstUpdated(): void {
    this.renderRoot.querySelector<HTMLElement>('h1')?.focus();
  }

  protected override render() {
    return html`
      <div class="page-head">
        <h1 tabindex="-1">Settings</h1>
        <p>Your box's name on the network, and the owner password.</p>
      </div>
      <div class="forms">
        <hearth-settings-name .state=${this.state}></hearth-settings-name>
        <hearth-settings-password .username=${this.state.username ?? ''}></hearth-settings-password>
      </div>
    `;
  }
}

const cardStyles = css`
  :host {
    display: block;
  }
  .card h2 {
    display: flex;
    align-items: center;
    gap: 0.55rem;
  }
  .card > p {
    color: var(--hearth-muted);
  }
`;

/** Rename: PUT /api/device with both names; the header follows. */
export class SettingsName extends FormElement {
  static override properties = {
    ...FormElement.properties,
    state: { attribute: false },
    name: { state: true },
    hostname: { state: true },
    saved: { state: true },
  };
  declare state: SetupState;
  declare name: string;
  declare hostname: string;
  declare saved: string;

  static override styles = [shared, nameFieldStyles, cardStyles];

  constructor() {
    super();
    this.focusOnShow = false;
    this.fieldIds = ['name', 'hostname'];
    this.name = '';
    this.hostname = '';
    this.saved = '';
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

  protected override showError(e: ApiError): void {
    if (!this.sessionEnded(e)) super.showError(e);
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
          onName: (v) => {
            this.name = v;
            this.saved = '';
            this.clearError('name');
          },
          onHostname: (v) => {
            this.hostname = v;
            this.saved = '';
            this.clearError('hostname');
          },
        })}
        ${formStatus(this.saved)}
        <div class="actions">${submitButton('Save name', 'Saving…', this.busy)}</div>
      </form>
    </section>`;
  }
}

/** Change the owner password: the current one is needed; other sessions are signed out. */
export class SettingsPassword extends FormElement {
  static override properties = {
    ...FormElement.properties,
    username: {},
    current: { state: true },
    next: { state: true },
    confirm: { state: true },
    saved: { state: true },
  };
  declare username: string;
  declare current: string;
  declare next: string;
  declare confirm: string;
  declare saved: string;

  static override styles = [shared, cardStyles];

  constructor() {
    super();
    this.focusOnShow = false;
    this.fieldIds = ['current-password', 'new-password', 'confirm-password'];
    this.fieldAliases = { currentPassword: 'current-password', newPassword: 'new-password' };
    this.username = '';
    this.current = '';
    this.next = '';
    this.confirm = '';
    this.saved = '';
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

  protected override showError(e: ApiError): void {
    if (!this.sessionEnded(e)) super.showError(e);
  }

  protected override render() {
    const set = (key: 'current' | 'next' | 'confirm', id: string) => (v: string) => {
      this[key] = v;
      this.saved = '';
      this.clearError(id);
    };
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
          onInput: set('current', 'current-password'),
        })}
        ${field({
          id: 'new-password',
          label: 'New password',
          type: 'password',
          value: this.next,
          autocomplete: 'new-password',
          hint: 'At least 10 characters.',
          error: this.errors['new-password'],
          onInput: set('next', 'new-password'),
        })}
        ${field({
          id: 'confirm-password',
          label: 'Confirm new password',
          type: 'password',
          value: this.confirm,
          autocomplete: 'new-password',
          error: this.errors['confirm-password'],
          onInput: set('confirm', 'confirm-password'),
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
