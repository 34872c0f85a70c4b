import { LitElement, css, html } from 'lit';
import { api, toApiError, type ApiError, type SetupState } from './data/api.js';
import { shared } from './components/styles.js';
import { icon, logo } from './components/icons.js';
import type { HearthEvent } from './events.js';
import { LOCATION_EVENT, currentPath, interceptLinks, navigate, type LocationChange } from './router.js';
import { isWizardPosition } from './onboarding/steps.js';
import './onboarding/hearth-onboarding.js';
import './pages/hearth-login.js';
import './pages/hearth-main.js';

type View = 'setup' | 'login' | 'main';

/** Which view the server's state calls for, and the address it lives at. */
export function placeFor(state: SetupState, path: string): { view: View; path: string } {
  if (isWizardPosition(state.step)) return { view: 'setup', path: path.startsWith('/setup') ? path : '/setup' };
  if (state.step !== 'done' || !state.username) return { view: 'login', path: '/login' };
  return { view: 'main', path: path.startsWith('/setup') || path === '/login' ? '/' : path };
}

/**
 * The app shell: asks the server where this browser stands (on every load, so a reload
 * lands on the same step), shows the wizard, the sign-in page or the signed-in pages,
 * and applies what they report.
 */
export class HearthApp extends LitElement {
  static override properties = {
    state: { state: true },
    path: { state: true },
    notice: { state: true },
    loadError: { state: true },
    retrying: { state: true },
    resetting: { state: true },
  };
  declare state: SetupState | null;
  declare path: string;
  declare notice: string;
  declare loadError: ApiError | null;
  declare retrying: boolean;
  /** A factory reset was asked for: nothing else is shown from now on (the box is going away). */
  declare resetting: { factoryHostname: string; message: string } | null;
  /** Where a signed-out visitor was headed, to go there after signing in. */
  private afterSignIn = '/';

  constructor() {
    super();
    this.state = null;
    this.path = currentPath();
    this.notice = '';
    this.loadError = null;
    this.retrying = false;
    this.resetting = null;
    this.addEventListener('factory-reset', (e) => {
      this.resetting = (e as HearthEvent<'factory-reset'>).detail;
    });
    this.addEventListener('hearth-state', (e) => this.apply((e as HearthEvent<'hearth-state'>).detail.state));
    this.addEventListener('hearth-refresh', (e) => {
      const { notice, signedOut } = (e as HearthEvent<'hearth-refresh'>).detail;
      if (signedOut) {
        // The signed-in pages go at once: shown a moment longer, they would ask the server and be refused.
        if (this.state) this.state = { ...this.state, username: null };
        // Signing out on purpose starts the next visit at the dashboard, not where this one ended.
        navigate('/', { replace: true });
      }
      void this.load(notice);
    });
    this.addEventListener('device-changed', (e) => {
      const { device } = (e as HearthEvent<'device-changed'>).detail;
      if (this.state) {
        const { name, factoryHostname, hostname, localNames, version } = device;
        this.state = { ...this.state, device: { name, factoryHostname, hostname, localNames, version } };
      }
    });
    interceptLinks(this);
  }

  static override styles = [
    shared,
    css`
      :host {
        display: block;
        min-height: 100vh;
        min-height: 100dvh;
      }
      .center {
        min-height: 100vh;
        min-height: 100dvh;
        display: grid;
        place-items: center;
        padding: 1rem;
      }
      .loading {
        display: grid;
        justify-items: center;
        gap: 1rem;
        color: var(--hearth-muted);
      }
      .problem {
        max-width: 28rem;
        display: grid;
        gap: 0.75rem;
        justify-items: start;
      }
      .problem h1 {
        display: flex;
        gap: 0.5rem;
        align-items: center;
      }
      .problem p {
        margin: 0;
      }
      .resetting {
        max-width: 32rem;
        display: grid;
        gap: 0.75rem;
        justify-items: start;
      }
      .resetting h1 {
        margin: 0;
      }
      .resetting p {
        margin: 0;
      }
      .resetting a {
        overflow-wrap: anywhere;
      }
    `,
  ];

  private readonly onLocation = (e: Event) => {
    const path = currentPath();
    if (path === this.path) return;
    this.path = path;
    // A notice stays while the app only corrects the address; going somewhere else dismisses it.
    if (!(e instanceof CustomEvent && (e.detail as LocationChange).replace)) this.notice = '';
    this.route();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('popstate', this.onLocation);
    window.addEventListener(LOCATION_EVENT, this.onLocation);
    void this.load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this.onLocation);
    window.removeEventListener(LOCATION_EVENT, this.onLocation);
  }

  private async load(notice = ''): Promise<void> {
    this.retrying = true;
    try {
      const state = await api.setupState();
      this.loadError = null;
      this.apply(state);
      this.notice = notice;
    } catch (err) {
      this.loadError = toApiError(err);
    } finally {
      this.retrying = false;
    }
  }

  private apply(state: SetupState): void {
    const before = this.state ? placeFor(this.state, this.path).view : null;
    this.state = state;
    this.notice = '';
    // Just signed in: go where the visitor was headed.
    if (before === 'login' && placeFor(state, this.path).view === 'main') {
      const target = this.afterSignIn;
      this.afterSignIn = '/';
      navigate(target, { replace: true });
    }
    this.route();
  }

  /** Put the address bar where the state says we are. */
  private route(): void {
    if (!this.state) return;
    const place = placeFor(this.state, this.path);
    if (place.view === 'login' && this.path !== '/login' && !this.path.startsWith('/setup')) this.afterSignIn = this.path;
    if (place.path !== this.path) navigate(place.path, { replace: true });
  }

  protected override render() {
    if (this.resetting) return this.resettingScreen(this.resetting);
    if (this.loadError && !this.state) {
      return html`<div class="center">
        <main class="card problem" role="alert">
          <h1>${icon('alert', 24)} ${this.loadError.title}</h1>
          <p>${this.loadError.detail}</p>
          <button class="btn primary" type="button" ?disabled=${this.retrying} @click=${() => void this.load()}>Try again</button>
        </main>
      </div>`;
    }
    if (!this.state) {
      return html`<div class="center">
        <div class="loading" role="status">${logo(56)}<span>Connecting to your Hearth…</span></div>
      </div>`;
    }
    const { view } = placeFor(this.state, this.path);
    switch (view) {
      case 'setup':
        return html`<hearth-onboarding .state=${this.state} .path=${this.path} .notice=${this.notice}></hearth-onboarding>`;
      case 'login':
        return html`<hearth-login .state=${this.state} .notice=${this.notice}></hearth-login>`;
      case 'main':
        return html`<hearth-main .state=${this.state} .path=${this.path}></hearth-main>`;
    }
  }

  private resettingScreen(r: { factoryHostname: string; message: string }) {
    const address = `http://${r.factoryHostname}.local`;
    return html`<div class="center">
      <main class="card resetting" aria-labelledby="resetting-title">
        ${logo(48)}
        <h1 id="resetting-title" tabindex="-1">Your box is resetting</h1>
        <p role="status">${r.message}</p>
        <p>When it is back, open <a href=${address}>${address}</a> and claim it as if it were new.</p>
      </main>
    </div>`;
  }

  protected override updated(changed: Map<string, unknown>): void {
    if (changed.has('resetting') && this.resetting) this.renderRoot.querySelector<HTMLElement>('#resetting-title')?.focus();
  }
}
customElements.define('hearth-app', HearthApp);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-app': HearthApp;
  }
}
