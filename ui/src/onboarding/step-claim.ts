import { css, html, nothing } from 'lit';
import { api, type ApiError, type SetupState } from '../data/api.js';
import { formatSetupCode } from '../data/names.js';
import { FormElement, field, formAlert, submitButton } from '../components/form.js';
import { shared } from '../components/styles.js';
import { icon } from '../components/icons.js';
import { fire } from '../events.js';

/** Step 2: prove the box is yours with its setup code. */
export class StepClaim extends FormElement {
  static override properties = {
    ...FormElement.properties,
    state: { attribute: false },
    canGoBack: { type: Boolean, attribute: 'can-go-back' },
    code: { state: true },
    waitSeconds: { state: true },
  };
  declare state: SetupState | undefined;
  declare canGoBack: boolean;
  declare code: string;
  declare waitSeconds: number;
  private waitTimer: number | undefined;

  constructor() {
    super();
    this.fieldIds = ['code'];
    this.code = '';
    this.waitSeconds = 0;
    this.canGoBack = false;
  }

  static override styles = [
    shared,
    css`
      .code-input {
        font-family: var(--hearth-mono);
        font-size: 1.35rem;
        letter-spacing: 0.18em;
        text-transform: uppercase;
        max-width: 16rem;
      }
      .code-input::placeholder {
        letter-spacing: 0.18em;
      }
      .where {
        display: flex;
        gap: 0.4rem;
        align-items: flex-start;
      }
      .where .icon {
        margin-top: 0.15rem;
        color: var(--hearth-accent);
      }
    `,
  ];

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearInterval(this.waitTimer);
  }

  private onInput(value: string, input: HTMLInputElement): void {
    this.clearError('code');
    // Reformat only when typing at the end, so editing in the middle keeps the caret where it is.
    const atEnd = input.selectionStart === value.length;
    this.code = atEnd ? formatSetupCode(value) : value;
    if (atEnd && input.value !== this.code) input.value = this.code;
  }

  private startWait(seconds: number): void {
    window.clearInterval(this.waitTimer);
    this.waitSeconds = seconds;
    this.waitTimer = window.setInterval(() => {
      this.waitSeconds = Math.max(0, this.waitSeconds - 1);
      if (this.waitSeconds === 0) {
        window.clearInterval(this.waitTimer);
        this.formError = '';
        void this.focusField('code');
      }
    }, 1000);
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    if (this.waitSeconds > 0) return;
    const typed = this.code.replace(/[\s-]/g, '');
    // A code of the wrong length cannot be right: say so here rather than spend one of the few tries.
    if (typed.length !== 8) {
      this.showFieldErrors({
        code: typed.length === 0 ? 'Enter the setup code shown on the box, like K7QM-2XPD.' : 'The setup code has 8 letters and digits, like K7QM-2XPD.',
      });
      return;
    }
    const result = await this.run(() => api.claim(this.code));
    if (result) fire(this, 'step-done', { state: result.state });
  }

  protected override showError(e: ApiError): void {
    super.showError(e);
    if (e.status === 429 && e.retryAfter) this.startWait(e.retryAfter);
  }

  protected override render() {
    const recovery = this.state?.recovery ?? false;
    const waiting = this.waitSeconds > 0;
    return html`
      <h1>${recovery ? 'Set a new owner password' : 'Claim your Hearth'}</h1>
      ${recovery
        ? html`<p class="lead">
            The owner password was reset on the box. Enter the new setup code to choose a new password. Your data and settings are
            kept.
          </p>`
        : html`<p class="lead">Enter the box's setup code. It proves the box is yours: whoever is on your network without it cannot claim it.</p>`}
      <form novalidate @submit=${this.submit}>
        ${formAlert(this.formError)}
        ${field({
          id: 'code',
          label: 'Setup code',
          value: this.code,
          placeholder: 'XXXX-XXXX',
          autocomplete: 'one-time-code',
          autocapitalize: 'characters',
          plain: true,
          maxlength: 20,
          inputClass: 'code-input',
          error: this.errors.code,
          onInput: (v, input) => this.onInput(v, input),
          hint: html`<span class="where"
            >${icon('info', 16)}<span
              >Find it on the box's screen or console, where it is shown when the box starts. Or, on the box, run
              <code>hearth setup-code</code>.</span
            ></span
          >`,
        })}
        <div class="actions">
          ${this.canGoBack ? html`<button class="btn quiet" type="button" @click=${() => fire(this, 'step-back', {})}>Back</button>` : nothing}
          <span class="spacer"></span>
          ${submitButton(waiting ? `Wait ${this.waitSeconds} s` : recovery ? 'Continue' : 'Claim this box', 'Checking…', this.busy, waiting)}
        </div>
      </form>
    `;
  }
}
customElements.define('hearth-step-claim', StepClaim);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-step-claim': StepClaim;
  }
}
