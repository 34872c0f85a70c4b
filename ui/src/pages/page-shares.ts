import { css, html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { sharesApi, type SharesView } from '../data/shares.js';
import { shareEvents, type ShareChange } from '../data/share-events.js';
import { LoadedPage, pageHead } from './page.js';
import './shares/share-card.js';
import './shares/share-add.js';
import './shares/smb-status.js';

/**
 * Shares: Samba's state and the folder password, every share with its settings, connection
 * addresses and a file browser, and a form to add one. The page owns the server's answer
 * (GET /api/shares), takes the live `shares` events into it, and asks again when a card reports a change.
 */
export class PageShares extends LoadedPage<SharesView> {
  static override properties = {
    ...LoadedPage.properties,
    browsing: { state: true },
  };
  /** The share whose files are open, or "". */
  declare browsing: string;
  private unsubscribe: (() => void) | null = null;

  static override styles = [
    ...LoadedPage.styles,
    css`
      .empty p {
        margin: 0;
      }
    `,
  ];

  constructor() {
    super();
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

  protected override fetchView(): Promise<SharesView> {
    return sharesApi.list();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = shareEvents.subscribe((c) => this.onLive(c));
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

  protected override render() {
    const head = pageHead('Shares', 'Folders on this box that computers on your network, and agents, can use.');
    if (!this.view) return html`${head}${this.waitOrProblem('Looking at this box’s folders…')}`;
    const view = this.view;
    return html`${head} ${this.staleProblem()}
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
