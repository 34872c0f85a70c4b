import { css, html, nothing } from 'lit';
import { api, type SetupState } from '../data/api.js';
import { primaryLocalName } from '../data/names.js';
import { FormElement, field, formAlert, submitButton } from '../components/form.js';
import { shared } from '../components/styles.js';
import { frameStyles, noticeBanner } from '../components/frame.js';
import { icon, logo } from '../components/icons.js';
import { fire } from '../events.js';

/** Sign in as the owner: after setup, or to carry on with a setup begun in another browser. */
export class HearthLogin extends FormElement {
  static override properties = {
    ...FormElement.properties,
    state: { attribute: false },
    notice: {},
    username: { state: true },
    password: { state: true },
  };
  declare state: SetupState;
  declare notice: string;
  declare username: string;
  declare password: string;

  constructor() {
    super();
    this.fieldIds = ['username', 'password'];
    this.notice = '';
    this.username = '';
    this.password = '';
  }

  static override styles = [
    shared,
    frameStyles,
    css`
      .frame {
        max-width: 26rem;
        margin-top: max(0px, calc(12vh - 3rem));
      }
      .brand {
        display: grid;
        justify-items: center;
        gap: 0.6rem;
        text-align: center;
      }
      .brand h1 {
        margin: 0;
      }
      .brand p {
        margin: 0;
        color: var(--hearth-muted);
        overflow-wrap: anywhere;
      }
      .host {
        display: block;
        font-size: 0.9rem;
      }
      .forgot {
        margin: 0.25rem 0 0;
        font-size: 0.88rem;
        color: var(--hearth-muted);
      }
    `,
  ];

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const errors: Record<string, string> = {};
    if (this.username.trim() === '') errors.username = 'Enter your user name.';
    if (this.password === '') errors.password = 'Enter your password.';
    if (this.showFieldErrors(errors)) return;
    const ok = await this.run(() => api.login(this.username, this.password));
    if (ok) fire(this, 'hearth-refresh', {});
    else this.password = '';
  }

  protected override render() {
    const device = this.state.device;
    const pending = this.state.setup === 'pending';
    return html`
      <div class="frame">
        <div class="brand">
          ${logo(48)}
          <h1>Sign in</h1>
          <p>to <strong>${device.name}</strong><span class="host mono">${primaryLocalName(device)}</span></p>
        </div>
        ${noticeBanner(this.notice)}
        ${pending && !this.notice
          ? html`<p class="banner info">${icon('info', 18)}<span>Setup is not finished yet. Sign in as the owner to carry on.</span></p>`
          : nothing}
        <main class="card">
          <form novalidate @submit=${this.submit}>
            ${formAlert(this.formError)}
            ${field({
              id: 'username',
              label: 'User name',
              value: this.username,
              autocomplete: 'username',
              plain: true,
              error: this.errors.username,
              onInput: this.setter('username'),
            })}
            ${field({
              id: 'password',
              label: 'Password',
              type: 'password',
              value: this.password,
              autocomplete: 'current-password',
              error: this.errors.password,
              onInput: this.setter('password'),
            })}
            <div class="actions">${submitButton('Sign in', 'Signing in…', this.busy)}</div>
            <p class="forgot">Forgot the password? On the box, run <code>hearth reset-password</code>. Your data is kept.</p>
          </form>
        </main>
      </div>
    `;
  }
}
customElements.define('hearth-login', HearthLogin);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-login': HearthLogin;
  }
}
