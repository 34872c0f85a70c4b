import { css, html } from 'lit';
import { api, type ApiError, type SetupState } from '../data/api.js';
import { FormElement, charCount, field, formAlert, submitButton } from '../components/form.js';
import { shared } from '../components/styles.js';
import { fire } from '../events.js';

const MIN_PASSWORD = 10;
const USERNAME = /^[a-z][a-z0-9._-]{0,31}$/;

/** Step 3: the owner account (or, after a password reset on the box, only a new password). */
export class StepOwner extends FormElement {
  static override properties = {
    ...FormElement.properties,
    state: { attribute: false },
    username: { state: true },
    password: { state: true },
    confirm: { state: true },
    reveal: { state: true },
  };
  declare state: SetupState | undefined;
  declare username: string;
  declare password: string;
  declare confirm: string;
  declare reveal: boolean;

  constructor() {
    super();
    this.fieldIds = ['username', 'password', 'confirm'];
    this.username = '';
    this.password = '';
    this.confirm = '';
    this.reveal = false;
  }

  static override styles = [
    shared,
    css`
      .rule {
        display: inline-flex;
        align-items: center;
        gap: 0.35rem;
      }
      .rule.met {
        color: var(--hearth-ok);
      }
    `,
  ];

  private get recovery(): boolean {
    return this.state?.recovery ?? false;
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const username = this.recovery ? (this.state?.username ?? '') : this.username.trim().toLowerCase();
    const errors: Record<string, string> = {};
    if (!this.recovery) {
      if (username === '') errors.username = 'Choose a user name.';
      else if (!USERNAME.test(username))
        errors.username = 'Start with a letter, then use only letters a to z, digits, dots, dashes or underscores (at most 32).';
    }
    const length = charCount(this.password);
    if (length === 0) errors.password = 'Choose a password.';
    else if (length < MIN_PASSWORD) errors.password = `The password is too short (${length} characters); use at least ${MIN_PASSWORD}.`;
    else if (this.confirm !== this.password) errors.confirm = 'The two passwords differ. Type the same password twice.';
    if (this.showFieldErrors(errors)) return;
    const state = await this.run(() => api.createOwner(username, this.password));
    if (state) fire(this, 'step-done', this.recovery ? { state } : { state, ownerPassword: this.password });
  }

  protected override showError(e: ApiError): void {
    // The claim lasts 15 minutes: when it has run out, the wizard goes back to the code.
    if (e.status === 401 && e.step === 'claim') {
      fire(this, 'hearth-refresh', { notice: e.detail });
      return;
    }
    super.showError(e);
  }

  protected override render() {
    const long = charCount(this.password) >= MIN_PASSWORD;
    const type = this.reveal ? 'text' : 'password';
    return html`
      <h1>${this.recovery ? 'Choose a new password' : 'Create the owner account'}</h1>
      <p class="lead">
        ${this.recovery
          ? html`Set a new password for <strong>${this.state?.username}</strong>. Your data and settings stay as they are.`
          : 'The owner looks after this box: its settings, models, folders and agents. There is one owner account.'}
      </p>
      <form novalidate @submit=${this.submit}>
        ${formAlert(this.formError)}
        ${this.recovery
          ? field({ id: 'username', label: 'User name', value: this.state?.username ?? '', readonly: true, autocomplete: 'username', plain: true })
          : field({
              id: 'username',
              label: 'User name',
              value: this.username,
              autocomplete: 'username',
              plain: true,
              maxlength: 32,
              hint: 'Starts with a letter; then letters, digits, dots, dashes or underscores.',
              error: this.errors.username,
              onInput: this.setter('username'),
            })}
        ${field({
          id: 'password',
          label: this.recovery ? 'New password' : 'Password',
          type,
          value: this.password,
          autocomplete: 'new-password',
          hint: html`<span class="rule ${long ? 'met' : ''}">${long ? '✓ ' : ''}At least ${MIN_PASSWORD} characters.</span> A few
            unrelated words make a strong password that is easy to remember.`,
          error: this.errors.password,
          onInput: this.setter('password'),
        })}
        ${field({
          id: 'confirm',
          label: 'Confirm password',
          type,
          value: this.confirm,
          autocomplete: 'new-password',
          error: this.errors.confirm,
          onInput: this.setter('confirm'),
        })}
        <label class="check"
          ><input type="checkbox" .checked=${this.reveal} @change=${(e: Event) => (this.reveal = (e.target as HTMLInputElement).checked)} />
          Show passwords</label
        >
        <div class="actions">
          ${submitButton(this.recovery ? 'Set password' : 'Create account', this.recovery ? 'Saving…' : 'Creating…', this.busy)}
        </div>
      </form>
    `;
  }
}
customElements.define('hearth-step-owner', StepOwner);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-step-owner': StepOwner;
  }
}
