import { css, html } from 'lit';
import { api } from '../../data/api.js';
import { field, formAlert } from '../../components/form.js';
import { icon } from '../../components/icons.js';
import { fire } from '../../events.js';
import { SettingsForm } from './settings-form.js';

/** Erase the box: the owner types its factory host name; the shell then shows that it is resetting. */
export class SettingsFactoryReset extends SettingsForm {
  static override properties = {
    ...SettingsForm.properties,
    factoryHostname: {},
    confirm: { state: true },
  };
  declare factoryHostname: string;
  declare confirm: string;

  static override styles = [
    ...SettingsForm.styles,
    css`
      .card.danger {
        border-color: var(--hearth-error);
      }
      .card.danger h2 {
        color: var(--hearth-error);
      }
      ul {
        margin: 0 0 1rem;
        padding-left: 1.25rem;
      }
      li {
        margin-bottom: 0.25rem;
      }
      .name {
        overflow-wrap: anywhere;
      }
    `,
  ];

  constructor() {
    super();
    this.fieldIds = ['confirm-reset'];
    this.fieldAliases = { confirm: 'confirm-reset' };
    this.factoryHostname = '';
    this.confirm = '';
  }

  private get typedRight(): boolean {
    return this.factoryHostname !== '' && this.confirm === this.factoryHostname;
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    if (!this.typedRight) {
      this.showFieldErrors({ 'confirm-reset': `Type ${this.factoryHostname} exactly to erase the box.` });
      return;
    }
    const answer = await this.run(() => api.factoryReset(this.confirm));
    if (!answer) return;
    fire(this, 'factory-reset', { factoryHostname: this.factoryHostname, message: answer.message });
  }

  protected override render() {
    const name = this.factoryHostname;
    return html`<section class="card danger" aria-labelledby="reset-title">
      <h2 id="reset-title">${icon('alert', 20)} Factory reset</h2>
      <p>Erases everything on the box and starts it again as new. This cannot be undone. It erases:</p>
      <ul>
        <li>the owner account, its password and API tokens</li>
        <li>the downloaded models</li>
        <li>the shares and the files in shares kept on the box</li>
        <li>the agents, the library they filed and all history</li>
      </ul>
      <p>Folders you shared from elsewhere (another disk) are left as they are. Afterwards the box is unclaimed, with a new setup code shown on its screen or console.</p>
      <form novalidate @submit=${this.submit}>
        ${formAlert(this.formError, 'reset-error')}
        ${field({
          id: 'confirm-reset',
          label: html`Type <strong class="mono name">${name}</strong> to confirm`,
          value: this.confirm,
          autocomplete: 'off',
          plain: true,
          error: this.errors['confirm-reset'],
          onInput: this.setter('confirm', 'confirm-reset'),
        })}
        <div class="actions">
          <button class="btn danger" type="submit" ?disabled=${this.busy || !this.typedRight} aria-busy=${this.busy ? 'true' : 'false'}>
            ${this.busy ? html`<span class="spinner" aria-hidden="true"></span>Erasing…` : 'Erase everything'}
          </button>
        </div>
      </form>
    </section>`;
  }
}

customElements.define('hearth-settings-factory-reset', SettingsFactoryReset);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-settings-factory-reset': SettingsFactoryReset;
  }
}
