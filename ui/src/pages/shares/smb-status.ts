import { css, html, nothing } from 'lit';
import { SMB_PASSWORD_MAX, SMB_PASSWORD_MIN, sharesApi, type SmbView } from '../../data/shares.js';
import { charCount, field, formAlert, formStatus, submitButton } from '../../components/form.js';
import { noSmbText, smbText, smbUsable } from '../../components/share-view.js';
import { icon } from '../../components/icons.js';
import { fire } from '../../events.js';
import { ShareSection } from './section.js';

/** Samba: running or not (and why), who computers sign in as, and the folder password. */
export class SmbStatus extends ShareSection {
  static override properties = {
    ...ShareSection.properties,
    smb: { attribute: false },
    password: { state: true },
    reveal: { state: true },
    saved: { state: true },
    editing: { state: true },
  };
  declare smb: SmbView | undefined;
  declare password: string;
  declare reveal: boolean;
  declare saved: string;
  declare editing: boolean;

  static override styles = [
    ...ShareSection.styles,
    css`
      .head {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 0.5rem 1rem;
        margin-bottom: 0.75rem;
      }
      .head h2 {
        margin: 0;
      }
      .facts {
        margin-bottom: 1rem;
      }
      .banner p {
        margin: 0;
      }
      .banner p + p {
        margin-top: 0.4rem;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        align-items: flex-start;
      }
      .row .field {
        flex: 1 1 16rem;
      }
      .row .actions {
        margin-top: 1.85rem;
      }
      .status:not(:empty) {
        margin-bottom: 0.9rem;
      }
      @media (max-width: 600px) {
        .row .actions {
          margin-top: 0;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.fieldIds = ['new-smb-password'];
    this.fieldAliases = { password: 'new-smb-password' };
    this.password = '';
    this.reveal = false;
    this.saved = '';
    this.editing = false;
  }

  private async open(): Promise<void> {
    this.editing = true;
    this.saved = '';
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLInputElement>('#new-smb-password')?.focus();
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const n = charCount(this.password);
    if (n < SMB_PASSWORD_MIN) {
      this.showFieldErrors({ 'new-smb-password': n === 0 ? `Type the new password (at least ${SMB_PASSWORD_MIN} characters).` : `The password is too short (${n} characters); use at least ${SMB_PASSWORD_MIN}.` });
      return;
    }
    if (n > SMB_PASSWORD_MAX) {
      this.showFieldErrors({ 'new-smb-password': `The password is too long; use at most ${SMB_PASSWORD_MAX} characters.` });
      return;
    }
    const done = await this.run(async () => {
      await sharesApi.setSmbPassword(this.password);
      return true;
    });
    if (!done) return;
    this.password = '';
    this.editing = false;
    this.saved = 'Folder password saved. Computers ask for the new one the next time they connect.';
    fire(this, 'shares-changed', {});
  }

  private form() {
    const smb = this.smb!;
    if (!this.editing) {
      return html`${formStatus(this.saved)}
        <div class="actions" style="justify-content:flex-start">
          <button class="btn secondary" type="button" id="change-smb-password" @click=${() => void this.open()}>
            ${smb.passwordSet ? 'Change folder password' : 'Set folder password'}
          </button>
        </div>`;
    }
    return html`<form novalidate @submit=${this.submit}>
      ${formAlert(this.formError, 'smb-form-error')}
      <div class="row">
        ${field({
          id: 'new-smb-password',
          label: 'New folder password',
          type: this.reveal ? 'text' : 'password',
          value: this.password,
          autocomplete: 'new-password',
          maxlength: SMB_PASSWORD_MAX,
          hint: `Use at least ${SMB_PASSWORD_MIN} characters. This is what computers ask for when they connect.`,
          error: this.errors['new-smb-password'],
          onInput: this.setter('password', 'new-smb-password'),
        })}
        <div class="actions">
          <button class="btn quiet" type="button" @click=${() => ((this.editing = false), (this.password = ''), (this.errors = {}))}>Cancel</button>
          ${submitButton('Save password', 'Saving…', this.busy)}
        </div>
      </div>
      <label class="check"
        ><input type="checkbox" .checked=${this.reveal} @change=${(e: Event) => (this.reveal = (e.target as HTMLInputElement).checked)} />
        Show password</label
      >
    </form>`;
  }

  protected override render() {
    const smb = this.smb;
    if (!smb) return nothing;
    const status = smbText(smb);
    const usable = smbUsable(smb);
    return html`<section class="card" aria-labelledby="smb-title">
      <div class="head">
        <h2 id="smb-title">${icon('globe', 20)} Network sharing</h2>
        <span class="tag ${status.tone === 'ok' ? 'ok' : status.tone === 'bad' ? 'bad' : ''}" data-testid="smb-state">${status.label}</span>
      </div>
      ${!usable
        ? html`<div class="banner info" data-testid="smb-missing">
            ${icon('info', 18)}
            <div>
              <p>${noSmbText(smb)}</p>
              ${smb.state === 'not-installed' && smb.problem ? html`<p class="small">${smb.problem}</p>` : nothing}
            </div>
          </div>`
        : smb.problem
          ? html`<p class="banner error">${icon('alert', 18)}<span>${smb.problem}</span></p>`
          : nothing}
      ${usable
        ? html`<p class="facts">
              <span>User name <strong>${smb.username}</strong></span>
              <span>${smb.passwordSet ? 'Folder password set' : 'No folder password yet: computers cannot sign in'}</span>
              ${smb.port !== 445 ? html`<span>Port ${smb.port}</span>` : nothing}
            </p>
            ${this.form()}`
        : nothing}
    </section>`;
  }
}
customElements.define('hearth-smb-status', SmbStatus);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-smb-status': SmbStatus;
  }
}
