import { css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { toApiError } from '../../data/api.js';
import { downloadUrl, parentOf, sharesApi, uploadFile, type FileEntry, type FileListing } from '../../data/shares.js';
import { shareEvents } from '../../data/share-events.js';
import { field, formAlert, submitButton } from '../../components/form.js';
import { formatBytes } from '../../components/model-view.js';
import { icon } from '../../components/icons.js';
import { fire } from '../../events.js';
import { ShareSection } from './section.js';

interface Upload {
  id: number;
  file: File;
  dir: string;
  loaded: number;
  state: 'sending' | 'done' | 'failed' | 'exists';
  error: string;
  abort: AbortController;
}

const folderFirst = (a: FileEntry, b: FileEntry) =>
  a.type === b.type ? a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' }) : a.type === 'dir' ? -1 : 1;

function formatWhen(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const today = new Date();
  return d.toDateString() === today.toDateString()
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

let uploadIds = 0;

/**
 * A share's files, one folder at a time: open folders (breadcrumbs back), download, upload (a
 * button or dropped files, with progress), new folder, delete (asks first). Follows changes made
 * elsewhere (over the network, by agents) through the shares event stream.
 */
export class ShareBrowser extends ShareSection {
  static override properties = {
    ...ShareSection.properties,
    share: {},
    path: { state: true },
    listing: { state: true },
    loadError: { state: true },
    uploads: { state: true },
    makingFolder: { state: true },
    folderName: { state: true },
    dragging: { state: true },
  };
  declare share: string;
  declare path: string;
  declare listing: FileListing | null;
  declare loadError: string;
  declare uploads: Upload[];
  declare makingFolder: boolean;
  declare folderName: string;
  declare dragging: boolean;
  private unsubscribe: (() => void) | null = null;
  private reloadTimer: number | undefined;
  private loadSeq = 0;

  static override styles = [
    ...ShareSection.styles,
    css`
      :host {
        display: block;
      }
      .browser {
        display: grid;
        gap: 0.75rem;
        padding: 1rem;
        border-radius: var(--hearth-radius-sm);
        border: 1px solid var(--hearth-border);
        background: var(--hearth-bg);
        min-width: 0;
      }
      .browser.dragging {
        border-color: var(--hearth-accent);
        box-shadow: 0 0 0 3px var(--hearth-accent-ring);
      }
      .bar {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: center;
        justify-content: space-between;
      }
      .crumbs {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.15rem;
        min-width: 0;
        font-weight: 600;
      }
      .crumbs li {
        display: flex;
        align-items: center;
        gap: 0.15rem;
        min-width: 0;
      }
      .crumbs li + li::before {
        content: '/';
        color: var(--hearth-muted);
        padding: 0 0.2rem;
        font-weight: 400;
      }
      .crumbs button {
        font: inherit;
        border: 0;
        background: none;
        color: var(--hearth-accent);
        cursor: pointer;
        padding: 0.2rem 0.3rem;
        border-radius: 6px;
        overflow-wrap: anywhere;
        text-align: left;
      }
      .crumbs button:hover {
        background: var(--hearth-surface-2);
      }
      .crumbs button:focus-visible,
      .name button:focus-visible,
      .name a:focus-visible {
        outline: none;
        box-shadow: 0 0 0 3px var(--hearth-accent-ring);
      }
      .crumbs [aria-current='page'] {
        padding: 0.2rem 0.3rem;
        overflow-wrap: anywhere;
      }
      .tools {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }
      ul.files {
        list-style: none;
        margin: 0;
        padding: 0;
        border-radius: var(--hearth-radius-sm);
        border: 1px solid var(--hearth-border);
        background: var(--hearth-surface);
      }
      ul.files > li {
        display: grid;
        grid-template-columns: auto minmax(0, 1fr) auto;
        gap: 0.25rem 0.75rem;
        align-items: center;
        padding: 0.55rem 0.75rem;
        border-top: 1px solid var(--hearth-border);
      }
      ul.files > li:first-child {
        border-top: 0;
      }
      ul.files > li > .icon {
        color: var(--hearth-muted);
      }
      ul.files > li.dir > .icon {
        color: var(--hearth-accent);
      }
      .name {
        display: grid;
        min-width: 0;
      }
      .name a,
      .name button {
        font: inherit;
        font-weight: 550;
        color: var(--hearth-text);
        text-decoration: none;
        border: 0;
        background: none;
        padding: 0;
        cursor: pointer;
        text-align: left;
        overflow-wrap: anywhere;
        border-radius: 4px;
        width: fit-content;
        max-width: 100%;
      }
      .name a:hover,
      .name button:hover {
        color: var(--hearth-accent);
        text-decoration: underline;
      }
      .meta {
        font-size: 0.82rem;
        color: var(--hearth-muted);
      }
      .row-act {
        display: flex;
        gap: 0.25rem;
      }
      .row-act .btn {
        padding-inline: 0.55rem;
      }
      ul.files > li .confirm {
        grid-column: 1 / -1;
      }
      .empty-folder {
        margin: 0;
        padding: 1.25rem;
        text-align: center;
        color: var(--hearth-muted);
        border: 1px dashed var(--hearth-border-strong);
        border-radius: var(--hearth-radius-sm);
        background: var(--hearth-surface);
      }
      .uploads {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.5rem;
      }
      .uploads li {
        display: grid;
        grid-template-columns: minmax(0, 1fr) auto;
        gap: 0.3rem 0.75rem;
        align-items: center;
        padding: 0.55rem 0.75rem;
        border-radius: var(--hearth-radius-sm);
        background: var(--hearth-surface);
        border: 1px solid var(--hearth-border);
        font-size: 0.9rem;
      }
      .uploads .what {
        overflow-wrap: anywhere;
      }
      .uploads progress {
        grid-column: 1 / -1;
      }
      .uploads .failed {
        grid-column: 1 / -1;
        color: var(--hearth-error);
      }
      .new-folder {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        align-items: flex-end;
      }
      .new-folder .field {
        flex: 1 1 14rem;
      }
      .new-folder .actions {
        margin: 0;
      }
      .loading {
        margin: 0;
      }
      @media (max-width: 600px) {
        .browser {
          padding: 0.75rem;
        }
        .tools .btn {
          padding-inline: 0.7rem;
        }
        .row-act .label {
          position: absolute;
          width: 1px;
          height: 1px;
          overflow: hidden;
          clip: rect(0 0 0 0);
          white-space: nowrap;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.fieldIds = ['folder-name'];
    this.fieldAliases = { path: 'folder-name' };
    this.share = '';
    this.path = '';
    this.listing = null;
    this.loadError = '';
    this.uploads = [];
    this.makingFolder = false;
    this.folderName = '';
    this.dragging = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = shareEvents.subscribe((c) => {
      if (c.type === 'reopened') this.reloadSoon();
      // A change in the folder shown, or in one under it (a folder's size, say): list again.
      else if (c.type === 'file' && c.change.share === this.share) {
        const dir = parentOf(c.change.path);
        if (dir === this.path || this.path === '' || dir.startsWith(`${this.path}/`)) this.reloadSoon();
      }
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
    window.clearTimeout(this.reloadTimer);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('share')) void this.open(changed.get('share') === undefined ? this.path : '');
  }

  /** Changes come in bursts (a folder copied over the network): list once they settle. */
  private reloadSoon(): void {
    window.clearTimeout(this.reloadTimer);
    this.reloadTimer = window.setTimeout(() => void this.load(), 150);
  }

  private async load(): Promise<void> {
    const seq = ++this.loadSeq;
    try {
      const listing = await sharesApi.files(this.share, this.path);
      if (seq !== this.loadSeq) return;
      this.listing = { ...listing, entries: [...listing.entries].sort(folderFirst) };
      this.loadError = '';
    } catch (err) {
      if (seq !== this.loadSeq) return;
      const e = toApiError(err);
      if (this.sessionEnded(e)) return;
      // The folder shown was removed elsewhere: go up to the nearest one there is.
      if (e.status === 404 && this.path !== '') {
        await this.open(parentOf(this.path));
        return;
      }
      this.loadError = e.detail;
    }
  }

  private async open(path: string, focus = false): Promise<void> {
    this.path = path;
    this.confirming = '';
    this.makingFolder = false;
    this.listing = this.listing && this.listing.path === path ? this.listing : null;
    await this.load();
    if (focus) {
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('.crumbs [aria-current="page"]')?.focus();
    }
  }

  private pickFiles(): void {
    this.renderRoot.querySelector<HTMLInputElement>('input[type="file"]')?.click();
  }

  private onPicked(e: Event): void {
    const input = e.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    this.upload(files);
  }

  private onDrop(e: DragEvent): void {
    e.preventDefault();
    this.dragging = false;
    this.upload([...(e.dataTransfer?.files ?? [])]);
  }

  private upload(files: File[], overwrite = false): void {
    for (const file of files) {
      const u: Upload = { id: ++uploadIds, file, dir: this.path, loaded: 0, state: 'sending', error: '', abort: new AbortController() };
      this.uploads = [...this.uploads, u];
      void this.send(u, overwrite);
    }
  }

  private patchUpload(id: number, patch: Partial<Upload>): void {
    this.uploads = this.uploads.map((u) => (u.id === id ? { ...u, ...patch } : u));
  }

  private async send(u: Upload, overwrite: boolean): Promise<void> {
    try {
      await uploadFile(this.share, u.dir, u.file, { overwrite, signal: u.abort.signal, onProgress: (p) => this.patchUpload(u.id, { loaded: p.loaded }) });
      // Done: it shows in the list; the row goes.
      this.uploads = this.uploads.filter((x) => x.id !== u.id);
      if (u.dir === this.path) await this.load();
      fire(this, 'shares-changed', {});
    } catch (err) {
      // Cancelled here: nothing to report (the server keeps nothing of a cut upload).
      if (u.abort.signal.aborted) return;
      const e = toApiError(err);
      if (this.sessionEnded(e)) return;
      this.patchUpload(u.id, { state: e.status === 409 ? 'exists' : 'failed', error: e.detail });
    }
  }

  private retry(u: Upload, overwrite: boolean): void {
    const again = { ...u, state: 'sending' as const, loaded: 0, error: '', abort: new AbortController() };
    this.uploads = this.uploads.map((x) => (x.id === u.id ? again : x));
    void this.send(again, overwrite);
  }

  private cancel(u: Upload): void {
    u.abort.abort();
    this.dismiss(u);
  }

  private dismiss(u: Upload): void {
    this.uploads = this.uploads.filter((x) => x.id !== u.id);
  }

  private async startFolder(): Promise<void> {
    this.makingFolder = true;
    this.folderName = '';
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLInputElement>('#folder-name')?.focus();
  }

  private async makeFolder(e: Event): Promise<void> {
    e.preventDefault();
    const name = this.folderName.trim();
    if (name === '') {
      this.showFieldErrors({ 'folder-name': 'Name the new folder.' });
      return;
    }
    const entry = await this.run(() => sharesApi.makeFolder(this.share, this.path ? `${this.path}/${name}` : name));
    if (!entry) return;
    this.makingFolder = false;
    await this.load();
  }

  private async deleteEntry(entry: FileEntry): Promise<void> {
    const done = await this.act(`delete:${entry.path}`, async () => {
      await sharesApi.removeFile(this.share, entry.path, entry.type === 'dir');
      return true;
    });
    if (!done) return;
    this.confirming = '';
    await this.load();
  }

  private crumbs(): TemplateResult {
    const parts = this.path === '' ? [] : this.path.split('/');
    const trail = [{ label: this.share, path: '' }, ...parts.map((p, i) => ({ label: p, path: parts.slice(0, i + 1).join('/') }))];
    return html`<nav aria-label="Folder">
      <ol class="crumbs">
        ${trail.map((c, i) =>
          i === trail.length - 1
            ? html`<li><span aria-current="page" tabindex="-1">${c.label}</span></li>`
            : html`<li><button type="button" @click=${() => void this.open(c.path, true)}>${c.label}</button></li>`,
        )}
      </ol>
    </nav>`;
  }

  private row(entry: FileEntry): TemplateResult {
    const key = `delete:${entry.path}`;
    const meta = entry.type === 'dir' ? `Folder · ${formatWhen(entry.modifiedAt)}` : `${formatBytes(entry.size)} · ${formatWhen(entry.modifiedAt)}`;
    return html`<li class=${entry.type} data-entry=${entry.name}>
      ${icon(entry.type === 'dir' ? 'folder' : 'file', 20)}
      <div class="name">
        ${entry.type === 'dir'
          ? html`<button type="button" @click=${() => void this.open(entry.path, true)}>${entry.name}</button>`
          : html`<a href=${downloadUrl(this.share, entry.path)} download=${entry.name}>${entry.name}</a>`}
        <span class="meta">${meta}</span>
      </div>
      <div class="row-act">
        ${entry.type === 'file'
          ? html`<a class="btn small quiet" href=${downloadUrl(this.share, entry.path)} download=${entry.name}
              >${icon('download', 18)}<span class="label">Download</span><span class="visually-hidden"> ${entry.name}</span></a
            >`
          : nothing}
        <button class="btn small quiet" type="button" data-action=${`ask-${key}`} ?disabled=${Boolean(this.pendingAction)} @click=${() => void this.confirm(key)}>
          ${icon('trash', 18)}<span class="label">Delete</span><span class="visually-hidden"> ${entry.name}</span>
        </button>
      </div>
      ${this.confirmBox({
        key,
        returnTo: `ask-${key}`,
        text:
          entry.type === 'dir'
            ? html`Delete the folder <strong>${entry.name}</strong> and everything in it? This cannot be undone.`
            : html`Delete <strong>${entry.name}</strong>? This cannot be undone.`,
        yes: 'Yes, delete',
        busyLabel: 'Deleting…',
        forName: entry.name,
        onYes: () => void this.deleteEntry(entry),
      })}
    </li>`;
  }

  private uploadRow(u: Upload): TemplateResult {
    const pct = u.file.size ? Math.min(100, Math.floor((u.loaded / u.file.size) * 100)) : 100;
    return html`<li data-upload=${u.file.name}>
      <span class="what"
        >${u.state === 'sending' ? 'Uploading' : u.state === 'exists' ? 'Already there:' : 'Not uploaded:'} <strong>${u.file.name}</strong>
        ${u.state === 'sending' ? html`<span class="muted">${pct} % of ${formatBytes(u.file.size)}</span>` : nothing}</span
      >
      <span class="row-act">
        ${u.state === 'exists' ? html`<button class="btn small secondary" type="button" @click=${() => this.retry(u, true)}>Replace</button>` : nothing}
        ${u.state === 'failed' ? html`<button class="btn small secondary" type="button" @click=${() => this.retry(u, false)}>Try again</button>` : nothing}
        ${u.state === 'sending'
          ? html`<button class="btn small quiet" type="button" @click=${() => this.cancel(u)}>Cancel<span class="visually-hidden"> the upload of ${u.file.name}</span></button>`
          : html`<button class="btn small quiet" type="button" @click=${() => this.dismiss(u)}>Dismiss</button>`}
      </span>
      ${u.state === 'sending'
        ? html`<progress class="bar active" max="100" value=${pct} aria-label=${`Uploading ${u.file.name}`}></progress>`
        : html`<span class="failed" role="alert">${u.error}</span>`}
    </li>`;
  }

  private list(): TemplateResult {
    if (this.loadError && !this.listing) return html`<p class="banner error" role="alert">${icon('alert', 18)}<span>${this.loadError}</span></p>`;
    if (!this.listing) return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>Listing files…</p>`;
    const entries = this.listing.entries;
    return html`${this.loadError ? html`<p class="banner error" role="alert">${icon('alert', 18)}<span>${this.loadError}</span></p>` : nothing}
    ${entries.length === 0
      ? html`<p class="empty-folder">This folder is empty. Upload files here, drop them on this box, or copy them in from a computer.</p>`
      : html`<ul class="files" aria-label=${`Files in ${this.path || this.share}`}>
          ${entries.map((e) => this.row(e))}
        </ul>`}`;
  }

  protected override render() {
    return html`<div
      class="browser ${this.dragging ? 'dragging' : ''}"
      role="region"
      aria-label=${`Files of ${this.share}`}
      @dragover=${(e: DragEvent) => {
        if (!e.dataTransfer?.types.includes('Files')) return;
        e.preventDefault();
        this.dragging = true;
      }}
      @dragleave=${() => (this.dragging = false)}
      @drop=${this.onDrop}
    >
      <div class="bar">
        ${this.crumbs()}
        <div class="tools">
          <input type="file" multiple hidden @change=${this.onPicked} aria-label=${`Files to upload to ${this.path || this.share}`} />
          <button class="btn small primary" type="button" @click=${() => this.pickFiles()}>${icon('upload', 18)} Upload</button>
          <button class="btn small secondary" type="button" @click=${() => void this.startFolder()}>${icon('folderPlus', 18)} New folder</button>
        </div>
      </div>
      ${formAlert(this.formError, 'browser-error')}
      ${this.makingFolder
        ? html`<form class="new-folder" novalidate @submit=${this.makeFolder}>
            ${field({
              id: 'folder-name',
              label: 'New folder name',
              value: this.folderName,
              autocomplete: 'off',
              maxlength: 255,
              error: this.errors['folder-name'],
              onInput: this.setter('folderName', 'folder-name'),
            })}
            <div class="actions">
              <button class="btn quiet" type="button" @click=${() => ((this.makingFolder = false), (this.errors = {}))}>Cancel</button>
              ${submitButton('Create folder', 'Creating…', this.busy)}
            </div>
          </form>`
        : nothing}
      ${this.uploads.length ? html`<ul class="uploads">${this.uploads.map((u) => this.uploadRow(u))}</ul>` : nothing} ${this.list()}
    </div>`;
  }
}
customElements.define('hearth-share-browser', ShareBrowser);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-share-browser': ShareBrowser;
  }
}
