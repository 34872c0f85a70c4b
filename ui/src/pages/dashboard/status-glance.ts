import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { api, toApiError, type DeviceView } from '../../data/api.js';
import { activityEvents, agentsApi, type AgentsView } from '../../data/agents.js';
import { ModelStatusController, modelStatus } from '../../data/model-status.js';
import { hottest, isAbsent, type EnergyReport, type Reading, type TelemetrySample } from '../../data/telemetry.js';
import { fire } from '../../events.js';
import { icon, type IconName } from '../../components/icons.js';
import { shared } from '../../components/styles.js';
import { workerText, formatBytes, modelViewStyles } from '../../components/model-view.js';
import { shareViewStyles } from '../../components/share-view.js';
import { coverageText, formatCost, formatKwh, formatUptime, readingText, sampleClock, sourceText, telemetryViewStyles } from '../../components/telemetry-view.js';
import { cardTitleStyles } from '../page.js';

/** GET /api/device, with the daemon's uptime when this hearthd reports it. */
type DeviceWithUptime = DeviceView & { uptimeSeconds?: number };

interface Tile {
  id: string;
  label: string;
  icon: IconName;
  /** The value; absent: a reason instead, never a number. */
  value?: string | TemplateResult;
  absent?: string;
  sub?: string | TemplateResult;
  source?: string;
  tone?: 'warn' | 'bad';
  tag?: TemplateResult;
}

const estimatedTag = html`<span class="tag warn">estimated</span>`;

/**
 * The box at a glance, like a router's status page: uptime, the model, agents at work, today's energy
 * and cost, power now, the hottest sensor, CPU load, memory and the data disk. Readings come live from
 * the page's sample; each can show where it came from. An absent reading says why.
 */
export class StatusGlance extends LitElement {
  static override properties = {
    sample: { attribute: false },
    energy: { attribute: false },
    energyError: {},
    agents: { state: true },
    uptime: { state: true },
    showSources: { state: true },
  };
  declare sample: TelemetrySample | null;
  declare energy: EnergyReport | null;
  declare energyError: string;
  declare agents: AgentsView | null;
  /** Seconds up when asked, and when (ms), or null when this hearthd does not say. */
  declare uptime: { seconds: number; at: number } | null | undefined;
  declare showSources: boolean;
  private readonly models = new ModelStatusController(this);
  private unsubscribe: (() => void) | null = null;
  private agentsTimer: number | undefined;

  static override styles = [
    shared,
    cardTitleStyles,
    telemetryViewStyles,
    modelViewStyles,
    shareViewStyles,
    css`
      .card {
        display: grid;
        gap: 1rem;
      }
      .head {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 0.5rem 1rem;
      }
      .head h2 {
        margin: 0;
      }
      .when {
        font-size: 0.88rem;
        color: var(--hearth-muted);
        font-variant-numeric: tabular-nums;
      }
      .head .right {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 1rem;
      }
      .switch-label {
        font-size: 0.9rem;
        font-weight: 550;
      }
    `,
  ];

  constructor() {
    super();
    this.sample = null;
    this.energy = null;
    this.energyError = '';
    this.agents = null;
    this.uptime = undefined;
    this.showSources = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.loadAgents();
    void this.loadUptime();
    // Jobs start and finish with activity entries; ask for the counts again then (at most every 2 s).
    this.unsubscribe = activityEvents.subscribe(() => {
      if (this.agentsTimer !== undefined) return;
      this.agentsTimer = window.setTimeout(() => {
        this.agentsTimer = undefined;
        void this.loadAgents();
      }, 2000);
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
    window.clearTimeout(this.agentsTimer);
    this.agentsTimer = undefined;
  }

  private async loadAgents(): Promise<void> {
    try {
      this.agents = await agentsApi.list();
    } catch (err) {
      if (toApiError(err).status === 401) fire(this, 'hearth-refresh', { notice: 'Your session ended. Sign in again to continue.' });
    }
  }

  private async loadUptime(): Promise<void> {
    try {
      const d = (await api.device()) as DeviceWithUptime;
      this.uptime = typeof d.uptimeSeconds === 'number' ? { seconds: d.uptimeSeconds, at: Date.now() } : null;
    } catch {
      this.uptime = null;
    }
  }

  private uptimeTile(): Tile {
    const u = this.uptime;
    if (u === undefined) return { id: 'uptime', label: 'Uptime', icon: 'clock', value: '…' };
    if (u === null) return { id: 'uptime', label: 'Uptime', icon: 'clock', absent: 'not reported by this version of hearthd' };
    return { id: 'uptime', label: 'Uptime', icon: 'clock', value: formatUptime(u.seconds + (Date.now() - u.at) / 1000), sub: 'hearthd running' };
  }

  private modelTile(): Tile {
    const rt = this.models.value.runtime;
    if (!rt) return { id: 'model', label: 'Model', icon: 'model', value: '…' };
    const w = workerText(rt.worker, rt.active !== null);
    const name = rt.active ? modelStatus.nameOf(rt.active) : null;
    const loaded = rt.worker.state === 'loaded';
    return {
      id: 'model',
      label: 'Model',
      icon: 'model',
      value: loaded ? 'Loaded' : rt.active ? 'Not loaded' : 'No model',
      tag: loaded ? html`<span class="tag ok">ready</span>` : undefined,
      sub: name ? html`${name} · ${w.label.toLowerCase()}` : html`<a href="/models">Choose a model</a>`,
      tone: w.tone === 'bad' ? 'bad' : undefined,
    };
  }

  private agentsTile(): Tile {
    const a = this.agents;
    if (!a) return { id: 'agents', label: 'Agents', icon: 'agent', value: '…' };
    const on = a.agents.filter((x) => x.enabled).length;
    return {
      id: 'agents',
      label: 'Agents',
      icon: 'agent',
      value: `${a.counts.running} running · ${a.counts.queued} queued`,
      sub: a.paused ? `Paused: ${a.pausedReasons.join('; ') || 'by you'}` : `${on} of ${a.agents.length} on`,
      tone: a.paused ? 'warn' : undefined,
    };
  }

  private energyTile(): Tile {
    const e = this.energy;
    if (!e) return { id: 'energy', label: 'Energy today', icon: 'energy', ...(this.energyError ? { absent: this.energyError } : { value: '…' }) };
    const t = e.today;
    if (t.kwh === null) return { id: 'energy', label: 'Energy today', icon: 'energy', absent: 'no power reading today' };
    const cover = t.coverage < 0.98 ? ` · readings cover ${coverageText(t.coverage)} of the day so far` : '';
    return {
      id: 'energy',
      label: 'Energy today',
      icon: 'energy',
      value: formatKwh(t.kwh),
      tag: t.estimated ? estimatedTag : undefined,
      sub: `${t.cost === null ? 'no cost' : formatCost(t.cost, t.currency)}${cover}`,
    };
  }

  private readingTile(id: string, label: string, iconName: IconName, r: Reading, sub?: string, tone?: Tile['tone']): Tile {
    return { id, label, icon: iconName, value: readingText(r), source: r.source, sub, tone, tag: r.estimated ? estimatedTag : undefined };
  }

  private sampleTiles(s: TelemetrySample | null): Tile[] {
    if (!s) {
      return [
        { id: 'power', label: 'Power now', icon: 'energy', value: '…' },
        { id: 'temperature', label: 'Hottest', icon: 'thermometer', value: '…' },
        { id: 'cpu', label: 'CPU load', icon: 'gauge', value: '…' },
        { id: 'memory', label: 'Memory', icon: 'memory', value: '…' },
        { id: 'disk', label: 'Data disk', icon: 'disk', value: '…' },
      ];
    }
    const tiles: Tile[] = [];
    const p = s.power.system;
    tiles.push(
      isAbsent(p)
        ? { id: 'power', label: 'Power now', icon: 'energy', absent: p.reason }
        : this.readingTile('power', 'Power now', 'energy', p, p.estimated ? 'estimated from CPU load' : 'measured'),
    );
    const hot = hottest(s);
    tiles.push(
      isAbsent(hot)
        ? { id: 'temperature', label: 'Hottest', icon: 'thermometer', absent: hot.reason }
        : this.readingTile('temperature', 'Hottest', 'thermometer', hot.reading, hot.label),
    );
    const f = s.cpu.freqMhz;
    tiles.push(this.readingTile('cpu', 'CPU load', 'gauge', s.cpu.loadPct, `${s.cpu.perCorePct.length} cores${isAbsent(f) ? '' : ` · ${readingText(f)}`}`));
    const used = s.memory.used.value;
    const total = s.memory.total.value;
    tiles.push({
      id: 'memory',
      label: 'Memory',
      icon: 'memory',
      value: `${total > 0 ? Math.round((used / total) * 100) : 0} %`,
      sub: `${formatBytes(used)} of ${formatBytes(total)}`,
      source: s.memory.used.source,
    });
    const d = s.disk;
    if (isAbsent(d)) {
      tiles.push({ id: 'disk', label: 'Data disk', icon: 'disk', absent: d.reason });
    } else {
      const ratio = d.total.value > 0 ? d.used.value / d.total.value : 0;
      tiles.push({
        id: 'disk',
        label: 'Data disk',
        icon: 'disk',
        value: `${Math.round(ratio * 100)} % full`,
        sub: `${formatBytes(d.total.value - d.used.value)} free of ${formatBytes(d.total.value)}`,
        source: d.used.source,
        tone: ratio >= 0.9 ? 'bad' : undefined,
      });
    }
    return tiles;
  }

  private tile(t: Tile): TemplateResult {
    const cls = `tile${t.absent ? ' absent' : ''}${t.tone ? ` ${t.tone}` : ''}`;
    return html`<li class=${cls} data-testid=${`glance-${t.id}`} title=${t.source ? `Source: ${sourceText(t.source)}` : nothing}>
      <span class="label">${icon(t.icon, 16)} ${t.label}</span>
      ${t.absent
        ? html`<span class="value" data-absent>Not available</span><span class="sub">${t.absent}</span>`
        : html`<span class="value" data-value>${t.value}${t.tag ?? nothing}</span>${t.sub ? html`<span class="sub">${t.sub}</span>` : nothing}`}
      ${this.showSources && t.source ? html`<span class="source">${sourceText(t.source)}</span>` : nothing}
    </li>`;
  }

  protected override render() {
    const s = this.sample;
    const tiles = [this.uptimeTile(), this.modelTile(), this.agentsTile(), this.energyTile(), ...this.sampleTiles(s)];
    return html`<section class="card" aria-labelledby="glance-title">
      <div class="head">
        <h2 id="glance-title">${icon('activity', 20)} At a glance</h2>
        <div class="right">
          <span class="when" data-testid="sample-time">${s ? html`Live · ${sampleClock(s.at)}` : 'Waiting for the first reading…'}</span>
          <label class="switch-label"
            ><input type="checkbox" role="switch" class="switch" .checked=${this.showSources} @change=${(e: Event) => (this.showSources = (e.target as HTMLInputElement).checked)} />
            Sources</label
          >
        </div>
      </div>
      <ul class="tiles">
        ${tiles.map((t) => this.tile(t))}
      </ul>
    </section>`;
  }
}
customElements.define('hearth-status-glance', StatusGlance);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-status-glance': StatusGlance;
  }
}
