import { html } from 'lit';
import { api, type SetupState } from '../data/api.js';
import { FormElement, formAlert, submitButton } from '../components/form.js';
import { checkNameFields, nameFieldStyles, nameFields } from '../components/name-fields.js';
import { shared } from '../components/styles.js';
import { fire } from '../events.js';

/** Step 4: the display name and an optional host name, previewed as `<slug>.local`. */
export class StepName extends FormElement {
  static override properties = {
    ...FormElement.properties,
    state: { attribute: false },
    name: { state: true },
    hostname: { state: true },
  };
  declare state: SetupState | undefined;
  declare name: string;
  declare hostname: string;

  static override styles = [shared, nameFieldStyles];

  constructor() {
    super();
    this.fieldIds = ['name', 'hostname'];
    this.sessionRequired = true;
    this.name = '';
    this.hostname = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Start from what the box has now (coming back from Finish shows the chosen names).
    this.name = this.state?.device.name ?? '';
    this.hostname = this.state?.device.hostname ?? '';
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    if (this.showFieldErrors(checkNameFields(this.name, this.hostname))) return;
    const state = await this.run(() => api.setName(this.name, this.hostname));
    if (state) fire(this, 'step-done', { state });
  }

  protected override render() {
    return html`
      <h1>Name your Hearth</h1>
      <p class="lead">Give the box a name you will recognise on your network, and if you like an address that is easy to type.</p>
      <form novalidate @submit=${this.submit}>
        ${formAlert(this.formError)}
        ${nameFields({
          name: this.name,
          hostname: this.hostname,
          factoryHostname: this.state?.device.factoryHostname ?? 'hearth',
          errors: this.errors,
          onName: this.setter('name'),
          onHostname: this.setter('hostname'),
        })}
        <div class="actions">${submitButton('Continue', 'Saving…', this.busy)}</div>
      </form>
    `;
  }
}
customElements.define('hearth-step-name', StepName);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-step-name': StepName;
  }
}
