import { css, html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { toApiError, type ApiError } from '../data/api.js';
import { sharesApi, type SharesView } from '../data/shares.js';
import { shareEvents, type ShareChange } from '../data/share-events.js';
import { icon } from '../components/icons.js';
import { fire } from '../events.js';
import { Page, pageHead } from './page.js';
import './shares/share-card.js';
import './shares/share-add.js';
import './shares/smb-status.js';

/**
 * Shares: Samba's state and the folder password, every share with its settings, connection
 * addresses and a file browser, and a form to add one. The page owns the server's answer
 * (GET /api/shares), takes the live `shares` events into it, and asks again when a card reports a change.
 */
export class PageShares extends Page {
  static override properties = {
    view: { state: true },
    loadError: { state: true },
    browsing: { state: true },
  };
  declare view: SharesView | null;
  declare loadError: ApiError | null;
  /** The share whose files are open, or "". */
  declare browsing: string;
  private unsubscribe: (() => void) | null = null;
  private loading: Promise<void> | null = null;
  private again = false;

  static override styles = [
    ...Page.styles,
    css`
      .empty p {
        margin: 0;
      }
    `,
  ];

  constructor() {
    super();
    this.view = null;
    this.loadError = null;
    this.browsing = '';
    this.addEventListener('shares-changed', (e) => {
      e.stopPropagation();
      void this.refresh();
    });
    this.addEventListener('share-browse', (e) => {
      e.stopPropagation();
      const { name, open } = (e as CustomEvent<{ name: string; open: boolean }>).detail;
      this.browsing = open ? name : this.browsing === name ? '' : this.browsing;
    });
    this.addEventListener('share-renamed', (e) => {
      e.stopPropagation();
      const { from, to } = (e as CustomEvent<{ from: string; to: string }>).detail;
      if (this.browsing === from) this.browsing = to;
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = shareEvents.subscribe((c) => this.onLive(c));
    void this.refresh();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private onLive(c: ShareChange): void {
    if (c.type === 'shares' && this.view) {
      const names = new Set(c.view.shares.map((s) => s.name.toLowerCase()));
      this.view = { ...c.view, proposed: this.view.proposed.filter((p) => !names.has(p.name.toLowerCase())) };
    } else if (c.type === 'reopened') {
      void this.refresh();
    }
  }

  /** Ask the server again; one request at a time, and one more if asked meanwhile. */
  private refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        try {
          this.view = await sharesApi.list();
          this.loadError = null;
        } catch (err) {
          const e = toApiError(err);
          if (e.status === 401) {
            fire(this, 'hearth-refresh', { notice: 'Your session ended. Sign in again to continue.' });
            return;
          }
          this.loadError = e;
        }
      } while (this.again);
    })().finally(() => (this.loading = null));
    return this.loading;
  }

  protected override render() {
    const head = pageHead('Shares', 'Folders on this box that computers on your network, and agents, can use.');
    if (!this.view) {
      if (this.loadError) {
        return html`${head}
          <section class="card problem" role="alert">
            <h2>${icon('alert', 20)} ${this.loadError.title}</h2>
            <p>${this.loadError.detail}</p>
            <button class="btn primary" type="button" @click=${() => void this.refresh()}>Try again</button>
          </section>`;
      }
      return html`${head}
        <p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>Looking at this box’s folders…</p>`;
    }
    const view = this.view;
    return html`${head}
      ${this.loadError ? html`<p class="banner error" role="alert">${icon('alert', 18)}<span>${this.loadError.detail}</span></p>` : nothing}
      <div class="sections">
        <hearth-smb-status .smb=${view.smb}></hearth-smb-status>
        ${view.shares.length === 0
          ? html`<section class="card empty"><p class="muted">No shared folders yet. Add one below.</p></section>`
          : repeat(
              view.shares,
              (s) => s.name,
              (s) => html`<hearth-share-card .share=${s} .smb=${view.smb} ?browsing=${this.browsing === s.name}></hearth-share-card>`,
            )}
        <hearth-share-add .proposed=${view.proposed}></hearth-share-add>
      </div>`;
  }
}
customElements.define('hearth-page-shares', PageShares);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-page-shares': PageShares;
  }
}
