import { css, html, nothing, type TemplateResult } from 'lit';
import { toApiError, type ApiError, type SetupState } from '../data/api.js';
import { SMB_PASSWORD_MAX, SMB_PASSWORD_MIN, sharesApi, type ProposedShare, type ShareView, type SharesView } from '../data/shares.js';
import { FormElement, charCount, field, formAlert, submitButton, stepLoadProblem } from '../components/form.js';
import { agentsText, networkText, noSmbText, shareViewStyles, smbUsable } from '../components/share-view.js';
import { modelViewStyles } from '../components/model-view.js';
import { shared } from '../components/styles.js';
import { icon } from '../components/icons.js';
import { fire } from '../events.js';
import { NO_WINDOWS_TEXT, noWindows } from '../components/share-connect.js';

/** What each proposed share is for, in the owner's words. */
const PURPOSE: Record<string, string> = {
  Inbox: 'Drop files here from any computer; agents read them.',
  Notes: 'Where agents write their outputs.',
};

/**
 * Step 6: share folders. Accept the proposed Inbox and Notes (or not), add another, set the
 * password computers give when they connect; then see how to connect from each kind of computer.
 * Skipping is fine: the Shares page has it all later.
 */
export class StepShares extends FormElement {
  static override properties = {
    ...FormElement.properties,
    state: { attribute: false },
    ownerPassword: { attribute: false },
    view: { state: true },
    loadError: { state: true },
    accepted: { state: true },
    extra: { state: true },
    password: { state: true },
    reuse: { state: true },
    reveal: { state: true },
    phase: { state: true },
  };
  declare state: SetupState | undefined;
  /** The web password chosen a moment ago, if this visit still has it: offered for SMB too. */
  declare ownerPassword: string;
  declare view: SharesView | null;
  declare loadError: ApiError | null;
  /** Names of the proposed shares ticked. */
  declare accepted: ReadonlySet<string>;
  declare extra: string;
  declare password: string;
  declare reuse: boolean;
  declare reveal: boolean;
  declare phase: 'choose' | 'connect';

  constructor() {
    super();
    this.fieldIds = ['new-share', 'smb-password'];
    this.fieldAliases = { name: 'new-share', password: 'smb-password' };
    this.sessionRequired = true;
    this.focusOnShow = false;
    this.ownerPassword = '';
    this.view = null;
    this.loadError = null;
    this.accepted = new Set();
    this.extra = '';
    this.password = '';
    this.reuse = false;
    this.reveal = false;
    this.phase = 'choose';
  }

  static override styles = [
    shared,
    modelViewStyles,
    shareViewStyles,
    css`
      legend {
        font-weight: 650;
        margin-bottom: 0.6rem;
        padding: 0;
      }
      .option {
        position: relative;
        display: grid;
        grid-template-columns: auto minmax(0, 1fr);
        gap: 0.2rem 0.75rem;
        padding: 0.85rem 1rem;
        border: 1px solid var(--hearth-border-strong);
        border-radius: var(--hearth-radius-sm);
        background: var(--hearth-surface);
        transition: border-color 0.15s, box-shadow 0.15s, background 0.15s;
      }
      .option:has(input:checked) {
        border-color: var(--hearth-accent);
        box-shadow: 0 0 0 1px var(--hearth-accent);
        background: #fffaf6;
      }
      .option:has(input:focus-visible) {
        box-shadow: 0 0 0 3px var(--hearth-accent-ring);
      }
      .option input {
        position: relative;
        z-index: 1;
        grid-row: 1 / span 3;
        width: 1.15rem;
        height: 1.15rem;
        margin: 0.2rem 0 0;
        accent-color: var(--hearth-accent);
      }
      .option input:focus {
        outline: none;
        box-shadow: none;
      }
      .option label {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        font-size: 1rem;
        cursor: pointer;
        overflow-wrap: anywhere;
      }
      /* The whole card ticks the box, not only its name. */
      .option label::after {
        content: '';
        position: absolute;
        inset: 0;
      }
      .option p {
        margin: 0;
      }
      .option .purpose {
        font-size: 0.92rem;
      }
      .option.existing {
        background: var(--hearth-surface-2);
        grid-template-columns: auto minmax(0, 1fr);
      }
      .option.existing .icon {
        grid-row: 1 / span 3;
        color: var(--hearth-ok);
        margin-top: 0.15rem;
      }
      .option.existing h3 {
        margin: 0;
        font-size: 1rem;
      }
      .section {
        display: grid;
        gap: 0.75rem;
        padding-top: 1.15rem;
        border-top: 1px solid var(--hearth-border);
      }
      .section h2 {
        margin: 0;
        font-size: 1.05rem;
      }
      .section > p {
        margin: 0;
      }
      .loading {
        padding: 1rem 0;
      }
      .connect {
        display: grid;
        gap: 1.25rem;
        margin-bottom: 1.25rem;
      }
      .connect section {
        display: grid;
        gap: 0.5rem;
      }
      .connect h2 {
        margin: 0;
        display: flex;
        align-items: center;
        gap: 0.5rem;
      }
      .signin {
        display: grid;
        grid-template-columns: max-content minmax(0, 1fr);
        gap: 0.25rem 1rem;
        margin: 0 0 1.25rem;
        padding: 0.75rem 1rem;
        border-radius: var(--hearth-radius-sm);
        background: var(--hearth-surface-2);
        border: 1px solid var(--hearth-border);
      }
      .signin dt {
        color: var(--hearth-muted);
      }
      .signin dd {
        margin: 0;
        font-weight: 600;
        overflow-wrap: anywhere;
      }
      .signin dd.plain {
        font-weight: 400;
      }
      .banner p {
        margin: 0;
      }
      .banner p + p {
        margin-top: 0.4rem;
      }
      .signin + p {
        margin-top: -0.5rem;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load(true);
  }

  private async load(first = false): Promise<void> {
    this.loadError = null;
    try {
      const view = await sharesApi.list();
      this.view = view;
      // Both proposed shares are ticked to begin with.
      if (first) this.accepted = new Set(view.proposed.map((p) => p.name));
      await this.updateComplete;
      if (first) this.focusFirst();
    } catch (err) {
      const e = toApiError(err);
      if (!this.sessionEnded(e)) this.loadError = e;
    }
  }

  private toggle(name: string, on: boolean): void {
    const next = new Set(this.accepted);
    if (on) next.add(name);
    else next.delete(name);
    this.accepted = next;
  }

  /** The web password may be offered: known, and within SMB's limits. */
  private get canReuse(): boolean {
    const n = charCount(this.ownerPassword);
    return n >= SMB_PASSWORD_MIN && n <= SMB_PASSWORD_MAX;
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const view = this.view;
    if (!view) return;
    const extra = this.extra.trim();
    const toCreate: ProposedShare[] = view.proposed.filter((p) => this.accepted.has(p.name));
    const willHaveShares = view.shares.length + toCreate.length + (extra ? 1 : 0) > 0;
    const usable = smbUsable(view.smb);
    const password = this.reuse && this.canReuse ? this.ownerPassword : this.password;
    const errors: Record<string, string> = {};
    if (usable && !(this.reuse && this.canReuse)) {
      const n = charCount(password);
      if (n === 0 && !view.smb.passwordSet && willHaveShares)
        errors['smb-password'] = `Choose the password computers will ask for when they connect (at least ${SMB_PASSWORD_MIN} characters).`;
      else if (n > 0 && n < SMB_PASSWORD_MIN) errors['smb-password'] = `The password is too short (${n} characters); use at least ${SMB_PASSWORD_MIN}.`;
      else if (n > SMB_PASSWORD_MAX) errors['smb-password'] = `The password is too long; use at most ${SMB_PASSWORD_MAX} characters.`;
    }
    if (this.showFieldErrors(errors)) return;

    const done = await this.run(async () => {
      for (const p of toCreate) {
        await this.createOnce({ name: p.name, description: p.description, network: p.network, readOnly: p.readOnly, agents: p.agents });
      }
      if (extra) {
        await this.createOnce({ name: extra });
        this.extra = '';
      }
      if (usable && password) await sharesApi.setSmbPassword(password);
      this.view = await sharesApi.list();
      return true;
    });
    if (!done) {
      // Some may be made already: show the list as it is now, so a second try does not repeat them.
      void this.load();
      return;
    }
    if (this.view!.shares.length === 0) {
      fire(this, 'step-done', {});
      return;
    }
    this.phase = 'connect';
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('h1')?.focus();
  }

  /** Create a share; one that is there already (a second try after an error) is fine. */
  private async createOnce(share: Parameters<typeof sharesApi.create>[0]): Promise<void> {
    try {
      await sharesApi.create(share);
    } catch (err) {
      const e = toApiError(err);
      if (e.status === 409 && this.view?.shares.some((s) => s.name.toLowerCase() === share.name.toLowerCase())) return;
      // An error about a proposed share's name is not about the field for another one.
      if (share.name !== this.extra.trim() && e.field === 'name') throw new Error(`${share.name}: ${e.detail}`);
      throw e;
    }
  }

  private proposedOption(p: ProposedShare): TemplateResult {
    const id = `share-${p.name.toLowerCase()}`;
    return html`<div class="option">
      <input
        type="checkbox"
        id=${id}
        .checked=${this.accepted.has(p.name)}
        aria-describedby="${id}-purpose ${id}-facts"
        @change=${(e: Event) => this.toggle(p.name, (e.target as HTMLInputElement).checked)}
      />
      <label for=${id}>${p.name}</label>
      <p class="purpose" id="${id}-purpose">${PURPOSE[p.name] ?? p.description}</p>
      <p class="facts" id="${id}-facts"><span>${networkText(p)}</span><span>${agentsText(p.agents)}</span></p>
    </div>`;
  }

  private existingOption(s: ShareView): TemplateResult {
    return html`<div class="option existing" data-share=${s.name}>
      ${icon('check', 20)}
      <h3>${s.name} <span class="tag ok">Created</span></h3>
      <p class="purpose">${PURPOSE[s.name] ?? s.description}</p>
      <p class="facts"><span>${networkText(s)}</span><span>${agentsText(s.agents)}</span></p>
    </div>`;
  }

  /** Samba is missing (or sharing is off): said plainly, with the box's own words under it. */
  private noSmb(view: SharesView): TemplateResult {
    const detail = view.smb.state === 'not-installed' ? view.smb.problem : null;
    return html`<div class="banner info" data-testid="smb-missing">
      ${icon('info', 18)}
      <div>
        <p>${noSmbText(view.smb)}</p>
        ${detail ? html`<p class="small">${detail}</p>` : nothing}
      </div>
    </div>`;
  }

  private passwordSection(view: SharesView): TemplateResult {
    if (!smbUsable(view.smb)) {
      return html`<div class="section">${this.noSmb(view)}</div>`;
    }
    const reusing = this.reuse && this.canReuse;
    return html`<div class="section">
      <h2>Password for connecting computers</h2>
      <p class="muted small">
        Computers ask for a user name and password when they connect to these folders. The user name is
        <strong>${view.smb.username}</strong>.
      </p>
      ${this.canReuse
        ? html`<label class="check"
            ><input type="checkbox" id="reuse" .checked=${this.reuse} @change=${(e: Event) => {
              this.reuse = (e.target as HTMLInputElement).checked;
              this.clearError('smb-password');
            }} />
            Use the same password as for this web page</label
          >`
        : nothing}
      ${reusing
        ? nothing
        : html`${field({
              id: 'smb-password',
              label: view.smb.passwordSet ? html`New folder password <span class="optional">(optional: one is set)</span>` : 'Folder password',
              type: this.reveal ? 'text' : 'password',
              value: this.password,
              autocomplete: 'new-password',
              maxlength: SMB_PASSWORD_MAX,
              hint: `Use at least ${SMB_PASSWORD_MIN} characters. This is what computers ask for when they connect.`,
              error: this.errors['smb-password'],
              onInput: this.setter('password', 'smb-password'),
            })}
            <label class="check"
              ><input type="checkbox" .checked=${this.reveal} @change=${(e: Event) => (this.reveal = (e.target as HTMLInputElement).checked)} />
              Show password</label
            >`}
    </div>`;
  }

  private choose(): TemplateResult {
    if (this.loadError) return stepLoadProblem(this.loadError.detail, () => fire(this, 'step-done', {}), () => void this.load(true));
    const view = this.view;
    if (!view) return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>Looking at this box’s folders…</p>`;
    return html`<form novalidate @submit=${this.submit}>
      ${formAlert(this.formError)}
      <fieldset>
        <legend>Folders to share</legend>
        ${view.shares.map((s) => this.existingOption(s))} ${view.proposed.map((p) => this.proposedOption(p))}
      </fieldset>
      ${field({
        id: 'new-share',
        label: html`Another folder <span class="optional">(optional)</span>`,
        value: this.extra,
        placeholder: 'Scans',
        autocomplete: 'off',
        maxlength: 80,
        hint: 'A name for one more shared folder. Agents get access to it only when you allow it, on the Shares page.',
        error: this.errors['new-share'],
        onInput: this.setter('extra', 'new-share'),
      })}
      ${this.passwordSection(view)}
      <div class="actions">
        <button class="btn quiet" type="button" @click=${() => fire(this, 'step-back', {})}>Back</button>
        <span class="spacer"></span>
        <button class="btn quiet" type="button" ?disabled=${this.busy} @click=${() => fire(this, 'step-done', {})}>Skip for now</button>
        ${submitButton('Continue', 'Creating folders…', this.busy)}
      </div>
    </form>`;
  }

  private connect(): TemplateResult {
    const view = this.view!;
    const usable = smbUsable(view.smb);
    const onNetwork = view.shares.filter((s) => s.network);
    return html`${usable
        ? html`<dl class="signin">
              <dt>User name</dt>
              <dd data-testid="smb-username">${view.smb.username}</dd>
              <dt>Password</dt>
              <dd class="plain">${view.smb.passwordSet ? 'The folder password you set' : 'Not set yet: set it on the Shares page'}</dd>
            </dl>
            ${onNetwork.some(noWindows) ? html`<p class="muted small">${NO_WINDOWS_TEXT}</p>` : nothing}
            <div class="connect">
              ${onNetwork.map(
                (s) => html`<section data-share=${s.name}>
                  <h2>${icon('folder', 20)} ${s.name}</h2>
                  <hearth-share-connect .share=${s} no-windows-note></hearth-share-connect>
                </section>`,
              )}
              ${onNetwork.length === 0 ? html`<p class="muted">None of these folders is on the network. You can change that on the Shares page.</p>` : nothing}
            </div>`
        : html`<div class="connect">${this.noSmb(view)} ${view.shares.map((s) => this.existingOption(s))}</div>`}
      <p class="muted small">
        ${usable ? 'You find these addresses again on the Shares page, with a file browser for each folder.' : 'The Shares page has a file browser for each folder.'}
      </p>
      <div class="actions">
        <button class="btn quiet" type="button" @click=${() => (this.phase = 'choose')}>Back</button>
        <span class="spacer"></span>
        <button class="btn primary" type="button" data-autofocus @click=${() => fire(this, 'step-done', {})}>Continue</button>
      </div>`;
  }

  protected override render() {
    if (this.phase === 'connect' && !smbUsable(this.view!.smb)) {
      return html`<h1 tabindex="-1">Your folders are ready</h1>
        <p class="lead">Agents and this web page can use them now. Computers can connect once network sharing works.</p>
        ${this.connect()}`;
    }
    if (this.phase === 'connect') {
      return html`<h1 tabindex="-1">Connect from your computers</h1>
        <p class="lead">On a computer on the same network, open one of these addresses and sign in with the user name and folder password.</p>
        ${this.connect()}`;
    }
    return html`<h1>Share folders</h1>
      <p class="lead">Shared folders are where files land: drop them in from any computer on your network, and agents pick them up.</p>
      ${this.choose()}`;
  }
}
customElements.define('hearth-step-shares', StepShares);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-step-shares': StepShares;
  }
}
