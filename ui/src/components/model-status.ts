import { LitElement, css, html, nothing } from 'lit';
import type { DownloadStatus } from '../data/api.js';
import { ModelStatusController, isPending, modelStatus, type ModelChange } from '../data/model-status.js';
import { downloadText, percentOf } from './model-view.js';
import { shared } from './styles.js';
import { icon } from './icons.js';

const ORDER: Record<string, number> = { active: 0, queued: 1, paused: 2, failed: 3 };
/** How long "downloaded" stays up after a download finishes. */
const FINISHED_MS = 8000;

/**
 * The small pill that shows, on every page, what the box is fetching or loading:
 * "Downloading Llama 3.2 1B — 42 % · 12 MB/s · 2 min left". Nothing when idle.
 * Changes of state (not every percent) are announced to screen readers.
 */
export class ModelStatusPill extends LitElement {
  static override properties = {
    link: { type: Boolean },
    announcement: { state: true },
    finished: { state: true },
  };
  /** A link to the Models page (signed-in pages); plain text in the wizard. */
  declare link: boolean;
  declare announcement: string;
  declare finished: DownloadStatus | null;
  private finishedTimer: number | undefined;
  private readonly live = new ModelStatusController(this, (c) => this.onChange(c));

  constructor() {
    super();
    this.link = false;
    this.announcement = '';
    this.finished = null;
  }

  static override styles = [
    shared,
    css`
      :host {
        display: block;
        min-width: 0;
      }
      /* Nothing to show: out of the layout, but its announcements still reach screen readers. */
      :host([idle]) {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip: rect(0 0 0 0);
      }
      .pill {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        min-width: 0;
        max-width: 100%;
        padding: 0.3rem 0.75rem 0.3rem 0.6rem;
        border-radius: 999px;
        border: 1px solid #fed7aa;
        background: var(--hearth-accent-soft);
        color: #7c2d12;
        font-size: 0.85rem;
        font-weight: 550;
        line-height: 1.3;
        text-decoration: none;
        position: relative;
        overflow: hidden;
      }
      a.pill:hover {
        color: #7c2d12;
        border-color: #fdba74;
      }
      a.pill:focus-visible {
        outline: none;
        box-shadow: 0 0 0 3px var(--hearth-accent-ring);
      }
      .pill.failed {
        border-color: #fecdca;
        background: var(--hearth-error-soft);
        color: var(--hearth-error);
      }
      .pill.done {
        border-color: #abefc6;
        background: var(--hearth-ok-soft);
        color: var(--hearth-ok);
      }
      .pill.paused {
        border-color: var(--hearth-border-strong);
        background: var(--hearth-surface-2);
        color: var(--hearth-muted);
      }
      .text {
        min-width: 0;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .more {
        flex: none;
        color: var(--hearth-muted);
      }
      .fill {
        position: absolute;
        left: 0;
        bottom: 0;
        height: 3px;
        background: var(--hearth-accent);
        transition: width 0.25s;
      }
      .spinner {
        flex: none;
        width: 0.8rem;
        height: 0.8rem;
      }
    `,
  ];

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearTimeout(this.finishedTimer);
  }

  private onChange(change: ModelChange): void {
    if (change.type !== 'download') return;
    const { status, previous } = change;
    if (previous?.state === status.state) return;
    const name = modelStatus.nameOf(status.id);
    // Only changes seen here are news; the stream's opening picture of old downloads is not.
    if (status.state === 'done' && previous && isPending(previous)) {
      this.finished = status;
      window.clearTimeout(this.finishedTimer);
      this.finishedTimer = window.setTimeout(() => (this.finished = null), FINISHED_MS);
    }
    if (previous || status.state !== 'done') {
      this.announcement = status.state === 'active' ? `Downloading ${name}.` : `${downloadText(status, name)}.`;
    }
  }

  private current(): { download: DownloadStatus; others: number } | null {
    const pending = [...this.live.value.downloads.values()].filter(isPending).sort((a, b) => (ORDER[a.state] ?? 9) - (ORDER[b.state] ?? 9));
    const first = pending[0];
    if (first) return { download: first, others: pending.length - 1 };
    return this.finished ? { download: this.finished, others: 0 } : null;
  }

  protected override render() {
    const shown = this.current();
    const runtime = this.live.value.runtime;
    const loading = !shown && runtime?.active && (runtime.worker.state === 'loading' || runtime.worker.state === 'starting');
    let body = null;
    if (shown) {
      const d = shown.download;
      const text = downloadText(d, modelStatus.nameOf(d.id));
      const pct = percentOf(d);
      const content = html`${d.state === 'failed' ? icon('alert', 16) : d.state === 'done' ? icon('check', 16) : d.state === 'active' ? html`<span class="spinner" aria-hidden="true"></span>` : icon('clock', 16)}
        <span class="text" data-testid="download-status">${text}</span>
        ${shown.others > 0 ? html`<span class="more">+${shown.others} more</span>` : nothing}
        ${d.state === 'active' && pct !== null ? html`<span class="fill" style="width:${pct}%"></span>` : nothing}`;
      body = this.link
        ? html`<a class="pill ${d.state}" href="/models" title=${text}>${content}</a>`
        : html`<div class="pill ${d.state}" title=${text}>${content}</div>`;
    } else if (loading && runtime?.active) {
      const text = `Loading ${modelStatus.nameOf(runtime.active)}…`;
      const content = html`<span class="spinner" aria-hidden="true"></span><span class="text" data-testid="download-status">${text}</span>`;
      body = this.link ? html`<a class="pill" href="/models">${content}</a>` : html`<div class="pill">${content}</div>`;
    }
    this.toggleAttribute('idle', body === null);
    return html`${body ?? nothing}<span class="visually-hidden" role="status">${this.announcement}</span>`;
  }
}
customElements.define('hearth-model-status', ModelStatusPill);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-model-status': ModelStatusPill;
  }
}
