import { LitElement, css, html, type PropertyValues, type TemplateResult } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { api, type SetupState } from '../data/api.js';
import { primaryLocalName } from '../data/names.js';
import { shared } from '../components/styles.js';
import { icon, logo } from '../components/icons.js';
import { fire } from '../events.js';
import { SECTIONS } from './sections.js';
import './page-dashboard.js';
import './page-settings.js';
import './page-coming.js';
import '../components/model-status.js';
import '../components/alerts-menu.js';

/** The signed-in frame: header with the box's names, navigation, sign out, and the page. */
export class HearthMain extends LitElement {
  static override properties = {
    state: { attribute: false },
    path: {},
    menuOpen: { state: true },
    signingOut: { state: true },
    chunkFailed: { state: true },
  };
  declare state: SetupState;
  declare path: string;
  declare menuOpen: boolean;
  declare signingOut: boolean;
  /** A page's code could not be fetched (the box was updated meanwhile, or the network dropped). */
  declare chunkFailed: boolean;

  constructor() {
    super();
    this.path = '/';
    this.menuOpen = false;
    this.signingOut = false;
    this.chunkFailed = false;
  }

  static override styles = [
    shared,
    css`
      :host {
        min-height: 100vh;
        min-height: 100dvh;
        display: grid;
        grid-template-rows: auto 1fr;
        /* Never wider than the window, whatever long text the header holds (the download pill). */
        grid-template-columns: minmax(0, 1fr);
      }
      header {
        position: sticky;
        top: 0;
        z-index: 10;
        display: flex;
        align-items: center;
        gap: 0.75rem;
        padding: 0.6rem 1rem;
        min-height: 4rem;
        background: rgba(255, 255, 255, 0.92);
        backdrop-filter: saturate(1.4) blur(8px);
        border-bottom: 1px solid var(--hearth-border);
      }
      .who {
        display: flex;
        align-items: center;
        gap: 0.7rem;
        min-width: 0;
        flex: 1;
        color: inherit;
        text-decoration: none;
      }
      .who:hover {
        color: inherit;
      }
      .names {
        display: grid;
        min-width: 0;
        line-height: 1.25;
      }
      .box-name {
        font-weight: 700;
        font-size: 1.05rem;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .local-name {
        font-family: var(--hearth-mono);
        font-size: 0.82rem;
        color: var(--hearth-muted);
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .user {
        color: var(--hearth-muted);
        font-size: 0.9rem;
      }
      /* What the box is downloading or loading, on every page; takes room only when there is something. */
      hearth-model-status.downloads {
        flex: 0 1 auto;
        max-width: 26rem;
      }
      .menu-button {
        display: none;
      }
      .sign-out {
        min-height: 2.5rem;
        padding: 0.4rem 0.9rem;
        font-size: 0.95rem;
      }
      .layout {
        display: grid;
        grid-template-columns: 15rem minmax(0, 1fr);
        min-width: 0;
      }
      nav {
        padding: 1.25rem 0.75rem;
        border-right: 1px solid var(--hearth-border);
        background: rgba(255, 255, 255, 0.5);
      }
      nav ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.2rem;
        position: sticky;
        top: 5.25rem;
      }
      nav a {
        display: flex;
        align-items: center;
        gap: 0.7rem;
        padding: 0.6rem 0.8rem;
        border-radius: var(--hearth-radius-sm);
        color: var(--hearth-text);
        text-decoration: none;
        font-weight: 550;
      }
      nav a:hover {
        background: var(--hearth-surface-2);
        color: var(--hearth-text);
      }
      nav a:focus-visible {
        outline: none;
        box-shadow: 0 0 0 3px var(--hearth-accent-ring);
      }
      nav a[aria-current='page'] {
        background: var(--hearth-accent-soft);
        color: var(--hearth-accent-hover);
      }
      nav a .icon {
        color: var(--hearth-muted);
      }
      nav a[aria-current='page'] .icon {
        color: var(--hearth-accent);
      }
      nav .soon {
        margin-left: auto;
        font-size: 0.68rem;
        font-weight: 650;
        text-transform: uppercase;
        letter-spacing: 0.04em;
        color: var(--hearth-muted);
      }
      main {
        min-width: 0;
        padding: 2rem clamp(1rem, 3vw, 2.5rem) 3rem;
      }
      main > * {
        max-width: 64rem;
      }
      /* Critical alerts, over every page. */
      hearth-alert-banner {
        margin-bottom: 1.25rem;
      }
      @media (max-width: 820px) {
        .menu-button {
          display: inline-flex;
          padding: 0.4rem;
          min-height: 2.5rem;
          min-width: 2.5rem;
        }
        .user {
          display: none;
        }
        header {
          flex-wrap: wrap;
        }
        /* On a phone the pill gets a line of its own under the names. */
        hearth-model-status.downloads {
          order: 10;
          flex: 1 1 100%;
          max-width: none;
        }
        .layout {
          grid-template-columns: minmax(0, 1fr);
        }
        nav {
          display: none;
          border-right: 0;
          border-bottom: 1px solid var(--hearth-border);
          background: var(--hearth-surface);
          padding: 0.5rem 0.75rem 0.75rem;
        }
        /* Open, the menu lies over the page just under the header, wherever the page is scrolled. */
        nav.open {
          display: block;
          position: fixed;
          top: var(--header-height, 4rem);
          left: 0;
          right: 0;
          z-index: 9;
          max-height: calc(100dvh - var(--header-height, 4rem));
          overflow-y: auto;
          box-shadow: 0 12px 24px rgba(72, 44, 20, 0.12);
        }
        nav ul {
          position: static;
        }
        main {
          padding-top: 1.25rem;
        }
      }
      @media (max-width: 420px) {
        header {
          gap: 0.5rem;
          padding-inline: 0.6rem;
        }
        .who .logo {
          display: none;
        }
      }
    `,
  ];

  /** The header grows a line when the download pill shows on a phone: the open menu sits under it. */
  private readonly headerSize = new ResizeObserver(([entry]) => {
    if (entry) this.style.setProperty('--header-height', `${Math.ceil(entry.borderBoxSize[0]?.blockSize ?? entry.contentRect.height)}px`);
  });

  override connectedCallback(): void {
    super.connectedCallback();
    void this.updateComplete.then(() => {
      const header = this.renderRoot.querySelector('header');
      if (header && this.isConnected) this.headerSize.observe(header);
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.headerSize.disconnect();
  }

  private onKeydown(e: KeyboardEvent): void {
    if (e.key !== 'Escape' || !this.menuOpen) return;
    this.menuOpen = false;
    this.renderRoot.querySelector<HTMLElement>('.menu-button')?.focus();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Following a link closes the phone menu.
    if (changed.has('path') && changed.get('path') !== undefined) this.menuOpen = false;
  }

  private async signOut(): Promise<void> {
    this.signingOut = true;
    try {
      await api.logout();
    } catch {
      // Signed out or not, ask the server where we stand.
    } finally {
      this.signingOut = false;
    }
    fire(this, 'hearth-refresh', { signedOut: true });
  }

  private chunkProblem(title: string) {
    return html`<div class="card" role="alert">
      <h1>${title}</h1>
      <p class="muted">This page could not be loaded. Hearth may have been updated meanwhile: reload the page.</p>
      <button class="btn primary" type="button" @click=${() => location.reload()}>Reload</button>
    </div>`;
  }

  /** A page in its own chunk (most visits never open it): the element upgrades when the chunk arrives. */
  private lazy(title: string, load: () => Promise<unknown>, view: TemplateResult): TemplateResult {
    if (this.chunkFailed) return this.chunkProblem(title);
    load().catch(() => (this.chunkFailed = true));
    return view;
  }

  private page() {
    if (this.path === '/') return html`<hearth-page-dashboard .state=${this.state}></hearth-page-dashboard>`;
    if (this.path === '/models') return this.lazy('Models', () => import('./page-models.js'), html`<hearth-page-models></hearth-page-models>`);
    if (this.path === '/shares') return this.lazy('Shares', () => import('./page-shares.js'), html`<hearth-page-shares></hearth-page-shares>`);
    if (this.path === '/agents') return this.lazy('Agents', () => import('./page-agents.js'), html`<hearth-page-agents></hearth-page-agents>`);
    if (this.path === '/library' || this.path.startsWith('/library/')) {
      // /library/<id> opens one document.
      const id = Number(this.path.split('/')[2] ?? '');
      return this.lazy('Library', () => import('./page-library.js'), html`<hearth-page-library .documentId=${Number.isInteger(id) && id > 0 ? id : null}></hearth-page-library>`);
    }
    if (this.path === '/activity') return this.lazy('Activity', () => import('./page-activity.js'), html`<hearth-page-activity></hearth-page-activity>`);
    if (this.path === '/settings') return html`<hearth-page-settings .state=${this.state}></hearth-page-settings>`;
    const section = SECTIONS.find((s) => s.path === this.path && s.coming);
    if (section) return html`<hearth-page-coming .section=${section}></hearth-page-coming>`;
    return html`<div class="card">
      <h1>Page not found</h1>
      <p class="muted">There is nothing at <code>${this.path}</code>.</p>
      <a class="btn secondary" href="/">Go to the dashboard</a>
    </div>`;
  }

  protected override render() {
    const device = this.state.device;
    return html`
      <header @keydown=${this.onKeydown}>
        <button
          class="btn quiet menu-button"
          type="button"
          aria-label="Menu"
          aria-controls="main-nav"
          aria-expanded=${this.menuOpen ? 'true' : 'false'}
          @click=${() => (this.menuOpen = !this.menuOpen)}
        >
          ${icon(this.menuOpen ? 'close' : 'menu', 22)}
        </button>
        <a class="who" href="/" aria-label=${`${device.name}, dashboard`}>
          ${logo(34)}
          <span class="names">
            <span class="box-name" data-testid="box-name">${device.name}</span>
            <span class="local-name" data-testid="local-name">${primaryLocalName(device)}</span>
          </span>
        </a>
        <hearth-model-status class="downloads" link></hearth-model-status>
        <hearth-alerts-menu></hearth-alerts-menu>
        <span class="user">${this.state.username}</span>
        <button class="btn secondary sign-out" type="button" ?disabled=${this.signingOut} @click=${this.signOut}>
          ${icon('signOut', 18)} Sign out
        </button>
      </header>
      <div class="layout">
        <nav id="main-nav" class=${this.menuOpen ? 'open' : ''} aria-label="Main" @keydown=${this.onKeydown}>
          <ul>
            ${SECTIONS.map(
              (s) => html`<li>
                <a href=${s.path} aria-current=${s.path === this.path || (s.path !== '/' && this.path.startsWith(`${s.path}/`)) ? 'page' : 'false'}
                  >${icon(s.icon, 20)} ${s.label} ${s.coming ? html`<span class="soon">Soon</span>` : ''}</a
                >
              </li>`,
            )}
          </ul>
        </nav>
        <main><hearth-alert-banner></hearth-alert-banner>${keyed(this.path, this.page())}</main>
      </div>
    `;
  }
}
customElements.define('hearth-main', HearthMain);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-main': HearthMain;
  }
}
