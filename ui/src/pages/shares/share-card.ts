import { css, html, nothing, type PropertyValues } from 'lit';
import { toApiError } from '../../data/api.js';
import { sharesApi, type AgentAccess, type ShareView, type SmbView } from '../../data/shares.js';
import { field, formAlert, submitButton } from '../../components/form.js';
import { AGENT_ACCESS, agentsText, networkText, smbUsable, usageText } from '../../components/share-view.js';
import { icon } from '../../components/icons.js';
import { dialogStyles, disclosureStyles } from '../../components/styles.js';
import { fire } from '../../events.js';
import { ShareSection } from './section.js';
import '../../components/share-connect.js';
import './file-browser.js';

/**
 * One share: its state and usage, how to connect, its settings (saved together), rename,
 * remove (a dialog; deleting the files needs the name typed), and its file browser.
 */
export class ShareCard extends ShareSection {
  static override properties = {
    ...ShareSection.properties,
    share: { attribute: false },
    smb: { attribute: false },
    browsing: { type: Boolean },
    renaming: { state: true },
    newName: { state: true },
    description: { state: true },
    network: { state: true },
    readOnly: { state: true },
    agents: { state: true },
    deleteFiles: { state: true },
    confirmName: { state: true },
    removeError: { state: true },
    settingsSaved: { state: true },
  };
  declare share: ShareView;
  declare smb: SmbView;
  declare browsing: boolean;
  declare renaming: boolean;
  declare newName: string;
  declare description: string;
  declare network: boolean;
  declare readOnly: boolean;
  declare agents: AgentAccess;
  declare deleteFiles: boolean;
  declare confirmName: string;
  declare removeError: string;
  declare settingsSaved: boolean;

  static override styles = [
    ...ShareSection.styles,
    dialogStyles,
    disclosureStyles,
    css`
      .head {
        display: grid;
        grid-template-columns: minmax(0, 1fr) auto;
        gap: 0.5rem 1rem;
        align-items: start;
      }
      .head h2 {
        margin: 0;
        flex-wrap: wrap;
        overflow-wrap: anywhere;
      }
      .head .act {
        justify-content: flex-end;
      }
      .description {
        margin: 0.35rem 0 0;
        color: var(--hearth-muted);
      }
      .facts {
        margin-top: 0.75rem;
      }
      .facts .mono {
        font-size: 0.82rem;
      }
      .card > .banner {
        margin: 0.9rem 0 0;
      }
      details {
        margin-top: 1rem;
      }
      .settings .checks {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1.5rem;
      }
      .rename {
        margin-top: 1rem;
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        align-items: flex-end;
      }
      .rename .field {
        flex: 1 1 14rem;
      }
      .rename .actions {
        margin: 0;
      }
      .saved {
        color: var(--hearth-ok);
        font-size: 0.9rem;
        font-weight: 550;
      }
      hearth-share-browser {
        margin-top: 1rem;
      }
      @media (max-width: 600px) {
        .head {
          grid-template-columns: minmax(0, 1fr);
        }
        .head .act {
          justify-content: flex-start;
          gap: 0.25rem;
        }
        .head .act .btn {
          padding-inline: 0.65rem;
          /* The hidden "for whom" text counts as a flex item: no gap for it. */
          gap: 0;
        }
        /* Three buttons do not fit one phone line: the files get a line of their own. */
        .head .act .browse {
          flex: 1 1 100%;
          margin-bottom: 0.25rem;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.fieldIds = ['rename', 'description', 'confirm-name'];
    this.browsing = false;
    this.renaming = false;
    this.newName = '';
    this.deleteFiles = false;
    this.confirmName = '';
    this.removeError = '';
    this.settingsSaved = false;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // The settings form starts from the server's values, and follows them while not being edited.
    if (changed.has('share') && !this.settingsDirty(changed.get('share') as ShareView | undefined)) this.resetSettings();
  }

  private resetSettings(): void {
    this.description = this.share.description;
    this.network = this.share.network;
    this.readOnly = this.share.readOnly;
    this.agents = this.share.agents;
  }

  /** Edited here and not saved yet, compared with `base` (the server's last values). */
  private settingsDirty(base: ShareView | undefined = this.share): boolean {
    if (!base || this.description === undefined) return false;
    return this.description !== base.description || this.network !== base.network || this.readOnly !== base.readOnly || this.agents !== base.agents;
  }

  private edit<K extends 'description' | 'network' | 'readOnly' | 'agents'>(key: K, value: this[K]): void {
    this[key] = value;
    this.settingsSaved = false;
  }

  private async saveSettings(e: Event): Promise<void> {
    e.preventDefault();
    const s = this.share;
    const patch = {
      ...(this.description !== s.description ? { description: this.description.trim() } : {}),
      ...(this.network !== s.network ? { network: this.network } : {}),
      ...(this.readOnly !== s.readOnly ? { readOnly: this.readOnly } : {}),
      ...(this.agents !== s.agents ? { agents: this.agents } : {}),
    };
    const updated = await this.run(() => sharesApi.update(s.name, patch));
    if (!updated) return;
    this.share = updated;
    this.resetSettings();
    this.settingsSaved = true;
    fire(this, 'shares-changed', {});
  }

  private async startRename(): Promise<void> {
    this.renaming = true;
    this.newName = this.share.name;
    this.errors = {};
    await this.updateComplete;
    const input = this.renderRoot.querySelector<HTMLInputElement>('#rename');
    input?.focus();
    input?.select();
  }

  private async stopRename(): Promise<void> {
    this.renaming = false;
    this.clearError('rename');
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('[data-action="rename"]')?.focus();
  }

  private async rename(e: Event): Promise<void> {
    e.preventDefault();
    const from = this.share.name;
    const to = this.newName.trim();
    if (to === '') {
      this.showFieldErrors({ rename: 'Type the new name.' });
      return;
    }
    if (to === from) {
      void this.stopRename();
      return;
    }
    const prev = this.fieldAliases;
    this.fieldAliases = { name: 'rename' };
    const updated = await this.run(() => sharesApi.update(from, { name: to }));
    this.fieldAliases = prev;
    if (!updated) return;
    this.renaming = false;
    this.dispatchEvent(new CustomEvent('share-renamed', { detail: { from, to: updated.name }, bubbles: true, composed: true }));
    fire(this, 'shares-changed', {});
  }

  private get dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('dialog');
  }

  private async askRemove(): Promise<void> {
    this.deleteFiles = false;
    this.confirmName = '';
    this.removeError = '';
    this.clearError('confirm-name');
    await this.updateComplete;
    this.dialog?.showModal();
    // The safe choice has the focus: keeping the share.
    this.renderRoot.querySelector<HTMLElement>('dialog [data-cancel]')?.focus();
  }

  private closeRemove(): void {
    this.dialog?.close();
  }

  private async removeShare(e: Event): Promise<void> {
    e.preventDefault();
    const name = this.share.name;
    if (this.deleteFiles && this.confirmName !== name) {
      this.showFieldErrors({ 'confirm-name': `Type ${name} exactly to delete its files, or untick “Also delete the files”.` });
      return;
    }
    this.pendingAction = 'remove';
    this.removeError = '';
    try {
      await sharesApi.remove(name, this.deleteFiles ? { deleteFiles: true, confirm: this.confirmName } : {});
      this.dialog?.close();
      fire(this, 'shares-changed', {});
    } catch (err) {
      const error = toApiError(err);
      if (this.sessionEnded(error)) return;
      if (error.field === 'confirm') this.showFieldErrors({ 'confirm-name': error.detail });
      else this.removeError = error.detail;
    } finally {
      this.pendingAction = '';
    }
  }

  private browse(open: boolean): void {
    this.dispatchEvent(new CustomEvent('share-browse', { detail: { name: this.share.name, open }, bubbles: true, composed: true }));
  }

  private statusTags() {
    const s = this.share;
    return html`<span class="tags">
      ${s.status === 'missing' ? html`<span class="tag bad">Folder missing</span>` : s.status === 'error' ? html`<span class="tag bad">Problem</span>` : nothing}
      ${!s.network
        ? html`<span class="tag">Not shared</span>`
        : smbUsable(this.smb)
          ? html`<span class="tag ok">On the network</span>`
          : html`<span class="tag" title="Network sharing does not work on this box now">Not on the network yet</span>`}
      ${s.network && s.readOnly ? html`<span class="tag warn">Read-only</span>` : nothing}
    </span>`;
  }

  private removeDialog() {
    const s = this.share;
    const usage = usageText(s);
    const busy = this.pendingAction === 'remove';
    return html`<dialog aria-labelledby="remove-title" @close=${() => (this.deleteFiles = false)}>
      <form novalidate @submit=${this.removeShare}>
        <h2 id="remove-title">Remove the share ${s.name}?</h2>
        <p>Computers and agents can no longer use it. Its files stay on the box, in <span class="mono break">${s.path}</span>.</p>
        ${s.managed
          ? html`<label class="check"
                ><input type="checkbox" id="delete-files" .checked=${this.deleteFiles} @change=${(e: Event) => (this.deleteFiles = (e.target as HTMLInputElement).checked)} />
                Also delete the files${usage ? ` (${usage})` : ''}</label
              >
              ${this.deleteFiles
                ? field({
                    id: 'confirm-name',
                    label: html`Type <strong>${s.name}</strong> to delete its files for good`,
                    value: this.confirmName,
                    autocomplete: 'off',
                    plain: true,
                    error: this.errors['confirm-name'],
                    onInput: this.setter('confirmName', 'confirm-name'),
                  })
                : nothing}`
          : html`<p class="muted small">Hearth did not make this folder, so it never deletes its files.</p>`}
        ${formAlert(this.removeError, `remove-error-${s.name}`)}
        <div class="actions">
          <button class="btn quiet" type="button" data-cancel ?disabled=${busy} @click=${() => this.closeRemove()}>Keep it</button>
          <button class="btn danger" type="submit" ?disabled=${busy || (this.deleteFiles && this.confirmName !== s.name)} aria-busy=${busy ? 'true' : 'false'}>
            ${busy ? html`<span class="spinner" aria-hidden="true"></span>Removing…` : this.deleteFiles ? 'Remove and delete files' : 'Remove share'}
          </button>
        </div>
      </form>
    </dialog>`;
  }

  private settings() {
    const s = this.share;
    return html`<details class="settings">
      <summary>Settings</summary>
      <form novalidate @submit=${this.saveSettings}>
        ${field({
          id: 'description',
          label: html`Description <span class="optional">(optional)</span>`,
          value: this.description,
          autocomplete: 'off',
          maxlength: 200,
          error: this.errors.description,
          onInput: (v) => this.edit('description', v),
        })}
        <div class="checks">
          <label class="check"
            ><input type="checkbox" name="network" .checked=${this.network} @change=${(e: Event) => this.edit('network', (e.target as HTMLInputElement).checked)} />
            Share on the network</label
          >
          <label class="check"
            ><input
              type="checkbox"
              name="readOnly"
              .checked=${this.readOnly}
              ?disabled=${!this.network}
              @change=${(e: Event) => this.edit('readOnly', (e.target as HTMLInputElement).checked)}
            />
            Read-only for computers</label
          >
        </div>
        <div class="field">
          <label for="agents">Agents</label>
          <select id="agents" .value=${this.agents} @change=${(e: Event) => this.edit('agents', (e.target as HTMLSelectElement).value as AgentAccess)}>
            ${AGENT_ACCESS.map((a) => html`<option value=${a.value} ?selected=${a.value === this.agents}>${a.text}</option>`)}
          </select>
          ${s.watchedBy.length ? html`<p class="hint">Watched by ${s.watchedBy.join(', ')}.</p>` : nothing}
        </div>
        <div class="actions">
          <span class="saved" role="status">${this.settingsSaved && !this.settingsDirty() ? 'Saved.' : ''}</span>
          <span class="spacer"></span>
          ${this.settingsDirty() ? html`<button class="btn quiet" type="button" @click=${() => this.resetSettings()}>Undo changes</button>` : nothing}
          ${submitButton('Save settings', 'Saving…', this.busy, !this.settingsDirty())}
        </div>
      </form>
    </details>`;
  }

  protected override render() {
    const s = this.share;
    if (!s) return nothing;
    const usage = usageText(s);
    return html`<section class="card" aria-labelledby="share-title" data-share=${s.name}>
      <div class="head">
        <div>
          <h2 id="share-title">${icon('folder', 20)} <span class="name">${s.name}</span> ${this.statusTags()}</h2>
          ${s.description ? html`<p class="description">${s.description}</p>` : nothing}
        </div>
        <div class="act">
          ${s.status === 'ok'
            ? html`<button class="btn small browse ${this.browsing ? 'secondary' : 'primary'}" type="button" aria-expanded=${this.browsing ? 'true' : 'false'} @click=${() => this.browse(!this.browsing)}>
                ${this.browsing ? 'Hide files' : 'Browse files'}<span class="visually-hidden"> of ${s.name}</span>
              </button>`
            : nothing}
          ${this.button({ key: 'rename', label: 'Rename', busyLabel: 'Rename', forName: s.name, kind: 'quiet', onClick: () => void this.startRename() })}
          ${this.button({ key: 'ask-remove', label: 'Remove', busyLabel: 'Remove', forName: s.name, kind: 'quiet', onClick: () => void this.askRemove() })}
        </div>
      </div>
      ${formAlert(this.formError, 'share-error')}
      ${s.status !== 'ok' ? html`<p class="banner error" role="alert">${icon('alert', 18)}<span>${s.problem ?? 'The folder cannot be used right now.'}</span></p>` : nothing}
      <p class="facts">
        ${s.status === 'ok' ? html`<span>${usage ?? 'Size not measured yet'}</span>` : nothing}
        <span>${networkText(s)}</span>
        <span>${agentsText(s.agents)}</span>
        <span class="mono" title="The folder on the box">${s.path}</span>
      </p>
      ${this.renaming
        ? html`<form class="rename" novalidate @submit=${this.rename}>
            ${field({
              id: 'rename',
              label: `New name for ${s.name}`,
              value: this.newName,
              autocomplete: 'off',
              maxlength: 80,
              hint: 'Computers connected to it now need to connect again with the new name.',
              error: this.errors.rename,
              onInput: this.setter('newName', 'rename'),
            })}
            <div class="actions">
              <button class="btn quiet" type="button" @click=${() => void this.stopRename()}>Cancel</button>
              ${submitButton('Rename', 'Renaming…', this.busy)}
            </div>
          </form>`
        : nothing}
      ${this.browsing && s.status === 'ok' ? html`<hearth-share-browser .share=${s.name}></hearth-share-browser>` : nothing}
      ${s.network && smbUsable(this.smb)
        ? html`<details class="connect">
            <summary>Connect from a computer</summary>
            <hearth-share-connect .share=${s} terminal></hearth-share-connect>
          </details>`
        : nothing}
      ${this.settings()} ${this.removeDialog()}
    </section>`;
  }
}
customElements.define('hearth-share-card', ShareCard);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-share-card': ShareCard;
  }
}
