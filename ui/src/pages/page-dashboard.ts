import { css, html } from 'lit';
import { toApiError, type SetupState } from '../data/api.js';
import { CHART_METRICS, sampleValue, telemetryApi, telemetryEvents, type EnergyReport, type MetricInfo, type TelemetrySample } from '../data/telemetry.js';
import { fire } from '../events.js';
import { icon } from '../components/icons.js';
import { Page, pageHead } from './page.js';
import { SECTIONS } from './sections.js';
import './dashboard/briefing-card.js';
import './dashboard/status-glance.js';
import './dashboard/energy-card.js';

/** Energy totals are asked again this often while the dashboard is on screen. */
const ENERGY_REFRESH_MS = 60_000;

/** The box at one of its .local names, on the port this page came from (8080 in development). */
const addressUrl = (host: string): string => `${location.protocol}//${host}${location.port ? `:${location.port}` : ''}/`;

/**
 * Home after setup: the box, its status at a glance (live), the briefing and open to-dos, charts of
 * power, temperature, load and memory, and energy per agent. The live stream is open only while this
 * page is on screen.
 */
export class PageDashboard extends Page {
  static override properties = {
    state: { attribute: false },
    sample: { state: true },
    metrics: { state: true },
    energy: { state: true },
    energyError: { state: true },
    chartsFailed: { state: true },
  };
  declare state: SetupState;
  declare sample: TelemetrySample | null;
  declare metrics: MetricInfo[] | null;
  declare energy: EnergyReport | null;
  declare energyError: string;
  /** The charts' code (uPlot, in its own chunk) could not be fetched. */
  declare chartsFailed: boolean;
  private unsubscribe: (() => void) | null = null;
  private energyTimer: number | undefined;
  private metricsAsked = false;

  constructor() {
    super();
    this.sample = null;
    this.metrics = null;
    this.energy = null;
    this.energyError = '';
    this.chartsFailed = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // The charts and uPlot in a chunk of their own: the element upgrades when it arrives.
    import('./dashboard/telemetry-charts.js').catch(() => (this.chartsFailed = true));
    this.unsubscribe = telemetryEvents.subscribe((c) => {
      if (c.type === 'reopened') {
        void this.loadEnergy();
        return;
      }
      this.sample = c.sample;
      // A chart metric the history did not know yet (no sample before): ask again now that there is one.
      const missing = Object.values(CHART_METRICS).some((m) => sampleValue(c.sample, m) !== null && !this.metrics?.some((x) => x.name === m));
      if (missing && !this.metricsAsked) void this.loadMetrics();
    });
    void this.loadMetrics();
    void this.loadEnergy();
    this.energyTimer = window.setInterval(() => {
      if (document.visibilityState === 'visible') void this.loadEnergy();
    }, ENERGY_REFRESH_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
    window.clearInterval(this.energyTimer);
  }

  private sessionEnded(err: unknown): boolean {
    if (toApiError(err).status !== 401) return false;
    fire(this, 'hearth-refresh', { notice: 'Your session ended. Sign in again to continue.' });
    return true;
  }

  private async loadMetrics(): Promise<void> {
    this.metricsAsked = true;
    try {
      this.metrics = (await telemetryApi.metrics()).metrics;
    } catch (err) {
      this.sessionEnded(err);
    } finally {
      // Once more after a while at most: a metric may appear with the next samples.
      window.setTimeout(() => (this.metricsAsked = false), 10_000);
    }
  }

  private async loadEnergy(): Promise<void> {
    try {
      this.energy = await telemetryApi.energy();
      this.energyError = '';
    } catch (err) {
      if (!this.sessionEnded(err)) this.energyError = toApiError(err).detail;
    }
  }

  static override styles = [
    ...Page.styles,
    css`
      .box {
        display: grid;
        gap: 1.25rem;
      }
      .box-head {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 0.75rem;
      }
      .box-head h2 {
        margin: 0;
        overflow-wrap: anywhere;
        min-width: 0;
      }
      .status {
        display: inline-flex;
        align-items: center;
        gap: 0.45rem;
        font-size: 0.9rem;
        font-weight: 600;
        color: var(--hearth-ok);
        background: var(--hearth-ok-soft);
        border: 1px solid #abefc6;
        padding: 0.2rem 0.7rem;
        border-radius: 999px;
      }
      .status::before {
        content: '';
        width: 0.5rem;
        height: 0.5rem;
        border-radius: 50%;
        background: currentColor;
      }
      dl {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 12rem), 1fr));
        gap: 1rem 1.5rem;
        margin: 0;
      }
      dt {
        font-size: 0.85rem;
        color: var(--hearth-muted);
        margin-bottom: 0.2rem;
      }
      dd {
        margin: 0;
        font-weight: 600;
        overflow-wrap: anywhere;
      }
      dd ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      .coming {
        display: grid;
        gap: 0.5rem;
        align-content: start;
        padding: 1.25rem;
        text-decoration: none;
        color: inherit;
        transition: border-color 0.15s, transform 0.15s;
      }
      .coming:hover {
        color: inherit;
        border-color: #f0a27a;
      }
      .coming:focus-visible {
        outline: none;
        box-shadow: 0 0 0 3px var(--hearth-accent-ring);
      }
      .coming .title {
        display: flex;
        align-items: center;
        gap: 0.55rem;
        font-weight: 650;
      }
      .coming .badge {
        display: grid;
        place-items: center;
        width: 2.2rem;
        height: 2.2rem;
        border-radius: 10px;
        background: var(--hearth-accent-soft);
        color: var(--hearth-accent);
      }
      .coming p {
        margin: 0;
        font-size: 0.92rem;
        color: var(--hearth-muted);
      }
      h2.section {
        margin: 0.5rem 0 0;
      }
    `,
  ];

  protected override render() {
    const d = this.state.device;
    const addresses = [...d.localNames].reverse();
    const coming = SECTIONS.filter((s) => s.coming);
    return html`
      ${pageHead('Dashboard', html`Welcome home${this.state.username ? html`, <strong>${this.state.username}</strong>` : ''}.`)}
      <section class="card box" aria-labelledby="box-name">
        <div class="box-head">
          <h2 id="box-name">${icon('home', 22)} ${d.name}</h2>
          <span class="status">Running</span>
        </div>
        <dl>
          <div>
            <dt>Open it from any device at</dt>
            <dd>
              <ul>
                ${addresses.map((n) => html`<li><a class="mono" href=${addressUrl(n)} target="_blank" rel="noopener">${n}</a></li>`)}
              </ul>
            </dd>
          </div>
          <div>
            <dt>Software</dt>
            <dd>Hearth ${d.version}</dd>
          </div>
          <div>
            <dt>Owner</dt>
            <dd>${this.state.username ?? ''}</dd>
          </div>
        </dl>
      </section>
      <hearth-status-glance .sample=${this.sample} .energy=${this.energy} .energyError=${this.energyError}></hearth-status-glance>
      <hearth-briefing-card></hearth-briefing-card>
      ${this.chartsFailed
        ? html`<p class="banner error" role="alert">${icon('alert', 18)}<span>The charts could not be loaded: Hearth may have been updated meanwhile. Reload the page.</span></p>`
        : html`<hearth-telemetry-charts .sample=${this.sample} .metrics=${this.metrics}></hearth-telemetry-charts>`}
      <hearth-energy-card .energy=${this.energy} .loadError=${this.energyError}></hearth-energy-card>
      ${coming.length ? html`<h2 class="section">Coming to your Hearth</h2>` : ''}
      <div class="grid">
        ${coming.map(
          (s) => html`<a class="card coming" href=${s.path}>
            <span class="title"><span class="badge">${icon(s.icon, 20)}</span>${s.label} <span class="soon">Soon</span></span>
            <p>${s.coming}</p>
          </a>`,
        )}
      </div>
    `;
  }
}
customElements.define('hearth-page-dashboard', PageDashboard);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-page-dashboard': PageDashboard;
  }
}
