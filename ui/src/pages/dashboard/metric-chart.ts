import { LitElement, css, html, nothing, unsafeCSS, type PropertyValues } from 'lit';
import uPlot from 'uplot';
import uPlotCss from 'uplot/dist/uPlot.min.css?inline';
import { toApiError } from '../../data/api.js';
import { sampleValue, telemetryApi, type HistoryResult, type TelemetrySample, type Unit } from '../../data/telemetry.js';
import { fire } from '../../events.js';
import { shared } from '../../components/styles.js';
import { formatValue } from '../../components/telemetry-view.js';

export type ChartRange = 'hour' | 'day' | 'week' | 'month';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** How far back each range looks, and the seconds per point asked for ('auto': the last hour at full resolution). */
export const RANGES: Record<ChartRange, { label: string; spanMs: number; step: number | 'auto' }> = {
  hour: { label: 'Hour', spanMs: HOUR_MS, step: 'auto' },
  day: { label: 'Day', spanMs: DAY_MS, step: 300 },
  week: { label: 'Week', spanMs: 7 * DAY_MS, step: 1800 },
  month: { label: 'Month', spanMs: 30 * DAY_MS, step: 7200 },
};

/** Longer ranges are asked again this often while on screen; the hour follows the live samples. */
const REFRESH_MS = 5 * 60_000;

type Series = [number[], (number | null)[], (number | null)[], (number | null)[]];

const empty = (): Series => [[], [], [], []];

/**
 * One metric over time, drawn by uPlot: the average as a line with the min–max of each point as a band
 * behind it; a gap in the readings stays a gap. The hour view grows with each live sample. Resizes with
 * its box; the value under the pointer (or the latest) shows above the chart.
 */
export class MetricChart extends LitElement {
  static override properties = {
    metric: {},
    label: {},
    unit: {},
    range: {},
    /** The latest live sample (hour view: appended). */
    sample: { attribute: false },
    /** History holds this metric (asking for one it does not know is a 400). */
    known: { type: Boolean },
    /** Why there is no such reading on this box; the chart is not drawn. */
    absent: {},
    /** Said next to the title ("estimated"). */
    note: {},
    /** Top of the value axis when there is a natural one (100 %, the memory installed). */
    max: { type: Number },
    readout: { state: true },
    loadError: { state: true },
    loading: { state: true },
  };
  declare metric: string;
  declare label: string;
  declare unit: Unit;
  declare range: ChartRange;
  declare sample: TelemetrySample | null;
  declare known: boolean;
  declare absent: string;
  declare note: string;
  declare max: number | null;
  /** The point under the pointer, or the latest: when, the value, and its lowest–highest when they differ. */
  declare readout: { time: string; value: string; spread: string } | null;
  declare loadError: string;
  declare loading: boolean;

  private plot: uPlot | null = null;
  private data: Series = empty();
  /** Seconds per point of what is drawn. */
  private stepS = 1;
  private seq = 0;
  private refreshTimer: number | undefined;
  private cursorIdx: number | null = null;
  /** The span shown, in seconds since 1970. */
  private xRange: [number, number] = [Date.now() / 1000 - 3600, Date.now() / 1000];
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor() {
    super();
    this.metric = '';
    this.label = '';
    this.unit = '%';
    this.range = 'hour';
    this.sample = null;
    this.known = false;
    this.absent = '';
    this.note = '';
    this.max = null;
    this.readout = null;
    this.loadError = '';
    this.loading = true;
  }

  static override styles = [
    shared,
    unsafeCSS(uPlotCss),
    css`
      :host {
        display: grid;
        gap: 0.4rem;
        min-width: 0;
      }
      .head {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        justify-content: space-between;
        gap: 0.1rem 0.75rem;
      }
      h3 {
        margin: 0;
        font-size: 0.95rem;
      }
      .note {
        font-weight: 500;
        color: var(--hearth-muted);
        font-size: 0.85rem;
      }
      .readout {
        font-size: 0.88rem;
        color: var(--hearth-muted);
        font-variant-numeric: tabular-nums;
      }
      .readout strong {
        color: var(--hearth-text);
      }
      .plot {
        position: relative;
        height: var(--chart-height, 11rem);
        min-width: 0;
        overflow: hidden;
      }
      .plot .over {
        position: absolute;
        inset: 0;
        display: grid;
        place-items: center;
        text-align: center;
        padding: 1rem;
        font-size: 0.9rem;
        color: var(--hearth-muted);
        pointer-events: none;
      }
      .absent {
        display: grid;
        place-items: center;
        text-align: center;
        height: var(--chart-height, 11rem);
        padding: 1rem;
        border-radius: var(--hearth-radius-sm);
        border: 1px dashed var(--hearth-border-strong);
        color: var(--hearth-muted);
        font-size: 0.9rem;
      }
      .u-wrap,
      .uplot {
        font-family: var(--hearth-font);
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.refreshTimer = window.setInterval(() => {
      if (this.range !== 'hour' && document.visibilityState === 'visible') void this.load();
    }, REFRESH_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearInterval(this.refreshTimer);
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
    this.seq++;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('metric') || changed.has('range') || changed.has('known') || (changed.has('absent') && !this.absent)) {
      if (!this.absent && this.metric && this.known) void this.load();
      else if (!this.known) this.loading = false;
    }
    if (changed.has('sample') && this.sample && this.range === 'hour' && !this.absent) this.addSample(this.sample);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (this.absent) {
      this.plot?.destroy();
      this.plot = null;
      return;
    }
    if (!this.plot) this.create();
    else if (changed.has('max') || changed.has('unit')) {
      this.plot.destroy();
      this.plot = null;
      this.create();
    }
  }

  private async load(): Promise<void> {
    if (!this.known) return;
    const seq = ++this.seq;
    const r = RANGES[this.range];
    this.loading = this.data[0].length === 0;
    try {
      // The hour: the server's last hour by its own clock; longer ranges from our clock (minute resolution makes skew moot).
      const res = await telemetryApi.history(
        this.range === 'hour' ? { metric: this.metric, step: r.step } : { metric: this.metric, from: Date.now() - r.spanMs, step: r.step },
      );
      if (seq !== this.seq) return;
      this.loadError = '';
      this.show(res);
    } catch (err) {
      if (seq !== this.seq) return;
      const e = toApiError(err);
      if (e.status === 401) return fire(this, 'hearth-refresh', { notice: 'Your session ended. Sign in again to continue.' });
      this.loadError = e.detail;
    } finally {
      if (seq === this.seq) this.loading = false;
    }
  }

  /** Points from history, with a null wherever readings are missing for longer than a couple of steps (drawn as a gap). */
  private show(res: HistoryResult): void {
    this.stepS = res.step;
    const d = empty();
    const gap = res.step * 1000 * 2.5;
    let prev: number | null = null;
    for (const [t, min, avg, max] of res.points) {
      if (prev !== null && t - prev > gap) push(d, (prev + res.step * 1000) / 1000, null, null, null);
      push(d, t / 1000, avg, min, max);
      prev = t;
    }
    this.data = d;
    this.xRange = [res.from / 1000, res.to / 1000];
    this.redraw();
  }

  /** A live sample into the hour view: the oldest points fall off the left. */
  private addSample(s: TelemetrySample): void {
    const v = sampleValue(s, this.metric);
    const t = s.at / 1000;
    const xs = this.data[0];
    const last = xs[xs.length - 1];
    if (last !== undefined && t <= last) return;
    // A reading missing from this sample: a gap, not a zero.
    if (v === null) {
      if (last !== undefined && this.data[1][xs.length - 1] !== null) push(this.data, t, null, null, null);
    } else {
      if (last !== undefined && t - last > this.stepS * 2.5 && this.data[1][xs.length - 1] !== null) push(this.data, last + this.stepS, null, null, null);
      push(this.data, t, v, v, v);
    }
    const from = t - RANGES.hour.spanMs / 1000;
    let drop = 0;
    while (drop < xs.length && xs[drop]! < from) drop++;
    if (drop > 0) for (const a of this.data) a.splice(0, drop);
    this.xRange = [from, t];
    this.redraw();
  }

  private redraw(): void {
    if (this.plot) {
      this.plot.batch(() => {
        this.plot!.setData(this.data, false);
        this.plot!.setScale('x', { min: this.xRange[0], max: this.xRange[1] });
      });
    }
    this.updateReadout();
  }

  private get points(): number {
    return this.data[1].filter((v) => v !== null).length;
  }

  private updateReadout(): void {
    const d = this.data;
    let i = this.cursorIdx;
    if (i === null || d[1][i] === null || d[1][i] === undefined) {
      i = null;
      for (let k = d[1].length - 1; k >= 0; k--) {
        if (d[1][k] !== null) {
          i = k;
          break;
        }
      }
    }
    if (i === null) {
      this.readout = null;
      return;
    }
    const avg = d[1][i]!;
    const min = d[2][i];
    const max = d[3][i];
    const when = new Date(d[0][i]! * 1000);
    const time =
      this.range === 'hour' || this.range === 'day'
        ? when.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', ...(this.range === 'hour' ? { second: '2-digit' } : {}), hourCycle: 'h23' })
        : when.toLocaleString(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const spread = min !== null && max !== null && min !== undefined && max !== undefined && formatValue(min, this.unit) !== formatValue(max, this.unit);
    this.readout = { time, value: formatValue(avg, this.unit), spread: spread ? `${formatValue(min, this.unit)}–${formatValue(max, this.unit)}` : '' };
  }

  private colors() {
    const style = getComputedStyle(this);
    const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
    return {
      accent: v('--hearth-accent', '#c2410c'),
      muted: v('--hearth-muted', '#6f6259'),
      grid: v('--hearth-border', '#e6dcd1'),
      font: v('--hearth-font', 'system-ui, sans-serif'),
    };
  }

  private create(): void {
    const box = this.renderRoot.querySelector<HTMLElement>('.plot');
    if (!box) return;
    const c = this.colors();
    const unit = this.unit;
    const axisFont = `12px ${c.font}`;
    // Axis labels: whole figures stay whole ("40 W", not "40.0 W").
    const fmt = (v: number) => (v === 0 ? '0' : unit === 'W' && Number.isInteger(v) ? `${v} W` : formatValue(v, unit));
    const opts: uPlot.Options = {
      width: Math.max(100, box.clientWidth),
      height: Math.max(80, box.clientHeight),
      legend: { show: false },
      cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 7, fill: c.accent } },
      padding: [8, 20, 0, 0],
      scales: {
        x: { time: true },
        y: {
          range: (_u, min, max) => {
            // Room above the highest point, rounded up to a figure the axis can label.
            const roomy = max > 0 ? max * 1.1 : 1;
            const round = roomy > 100 ? 50 : roomy > 20 ? 10 : 5;
            const top = this.max ?? (unit === 'B' ? roomy : Math.ceil(roomy / round) * round);
            // Temperatures and power never start at zero on their own; load and memory do.
            const bottom = this.max !== null || unit === 'W' ? 0 : Math.max(0, Math.floor(min - Math.max(2, (max - min) * 0.2)));
            return [bottom, Math.max(top, bottom + 1)];
          },
        },
      },
      axes: [
        {
          stroke: c.muted,
          font: axisFont,
          grid: { stroke: c.grid, width: 1 },
          ticks: { stroke: c.grid, width: 1 },
          // The 24-hour clock within a day, the date beyond, as the rest of the app writes times.
          values: (_u, splits, _i, _space, incr) =>
            splits.map((t) => {
              const d = new Date(t * 1000);
              return incr >= 86_400
                ? d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })
                : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
            }),
        },
        {
          stroke: c.muted,
          font: axisFont,
          grid: { stroke: c.grid, width: 1 },
          ticks: { show: false },
          size: unit === 'B' ? 64 : 52,
          values: (_u, splits) => splits.map(fmt),
        },
      ],
      series: [
        {},
        { label: this.label, stroke: c.accent, width: 2, value: (_u, v) => (v === null ? '—' : fmt(v)) },
        { label: 'max', stroke: 'transparent', points: { show: false } },
        { label: 'min', stroke: 'transparent', points: { show: false } },
      ],
      bands: [{ series: [2, 3], fill: 'rgba(194, 65, 12, 0.14)' }],
      hooks: {
        setCursor: [
          (u) => {
            this.cursorIdx = u.cursor.idx ?? null;
            this.updateReadout();
          },
        ],
      },
    };
    this.plot = new uPlot(opts, this.data, box);
    this.plot.setScale('x', { min: this.xRange[0], max: this.xRange[1] });
    this.resize.disconnect();
    this.resize.observe(box);
  }

  private fit(): void {
    const box = this.renderRoot.querySelector<HTMLElement>('.plot');
    if (!box || !this.plot) return;
    const width = Math.max(100, Math.floor(box.clientWidth));
    const height = Math.max(80, Math.floor(box.clientHeight));
    if (width !== this.plot.width || height !== this.plot.height) this.plot.setSize({ width, height });
  }

  protected override render() {
    const r = this.readout;
    return html`<div class="head">
        <h3>${this.label}${this.note ? html` <span class="note">(${this.note})</span>` : nothing}</h3>
        ${this.absent
          ? nothing
          : html`<span class="readout" aria-live="off"
              >${r ? html`${r.time} · <strong>${r.value}</strong>${r.spread ? html` <span title="lowest–highest in this point">(${r.spread})</span>` : nothing}` : nothing}</span
            >`}
      </div>
      ${this.absent
        ? html`<p class="absent" data-testid="chart-absent">${this.absent}</p>`
        : html`<div class="plot" role="img" aria-label=${`${this.label} over the last ${RANGES[this.range].label.toLowerCase()}`}>
            ${this.loadError
              ? html`<p class="over error">${this.loadError}</p>`
              : this.loading
                ? html`<p class="over">Loading…</p>`
                : this.points === 0
                  ? html`<p class="over">${this.known ? 'No readings in this time yet.' : 'Waiting for the first readings…'}</p>`
                  : nothing}
          </div>`}`;
  }
}

function push(d: Series, t: number, avg: number | null, min: number | null, max: number | null): void {
  d[0].push(t);
  d[1].push(avg);
  d[2].push(min);
  d[3].push(max);
}

customElements.define('hearth-metric-chart', MetricChart);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-metric-chart': MetricChart;
  }
}
