import { LitElement, css, html, type TemplateResult } from 'lit';
import { CHART_METRICS, hottest, isAbsent, sampleValue, type MetricInfo, type TelemetrySample, type Unit } from '../../data/telemetry.js';
import { icon } from '../../components/icons.js';
import { shared } from '../../components/styles.js';
import { telemetryViewStyles } from '../../components/telemetry-view.js';
import { cardTitleStyles } from '../page.js';
import { RANGES, type ChartRange } from './metric-chart.js';
import './metric-chart.js';

interface ChartSpec {
  metric: string;
  label: string;
  unit: Unit;
}

const CHARTS: ChartSpec[] = [
  { metric: CHART_METRICS.power, label: 'Power', unit: 'W' },
  { metric: CHART_METRICS.temperature, label: 'Hottest temperature', unit: 'C' },
  { metric: CHART_METRICS.load, label: 'CPU load', unit: '%' },
  { metric: CHART_METRICS.memory, label: 'Memory used', unit: 'B' },
];

/** A reason from the sensors as a sentence: "No temperature sensor on this machine (…)." */
const sentence = (reason: string): string => `${reason.charAt(0).toUpperCase()}${reason.slice(1)}${/[.)]$/.test(reason) ? '' : '.'}`;

/** Power, the hottest temperature, CPU load and memory over the last hour, day, week or month; the hour follows the live samples. */
export class TelemetryCharts extends LitElement {
  static override properties = {
    sample: { attribute: false },
    /** The metrics history holds, or null before the answer. */
    metrics: { attribute: false },
    range: { state: true },
  };
  declare sample: TelemetrySample | null;
  declare metrics: MetricInfo[] | null;
  declare range: ChartRange;

  static override styles = [
    shared,
    cardTitleStyles,
    telemetryViewStyles,
    css`
      .card {
        display: grid;
        gap: 1.25rem;
      }
      .head {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 0.75rem 1rem;
      }
      .head h2 {
        margin: 0;
      }
      fieldset.segmented {
        display: inline-flex;
      }
      .charts {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 22rem), 1fr));
        gap: 1.5rem 2rem;
      }
      @media (max-width: 600px) {
        .charts {
          --chart-height: 9.5rem;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.sample = null;
    this.metrics = null;
    this.range = 'hour';
  }

  /** Why a chart has nothing to draw on this box, or '' when it has (or may have: before the first sample). */
  private absentReason(c: ChartSpec): string {
    if (this.metrics?.some((m) => m.name === c.metric)) return '';
    const s = this.sample;
    if (!s || sampleValue(s, c.metric) !== null) return '';
    if (c.metric === CHART_METRICS.power && isAbsent(s.power.system)) return sentence(s.power.system.reason);
    const hot = hottest(s);
    if (c.metric === CHART_METRICS.temperature && isAbsent(hot)) return sentence(hot.reason);
    return 'No readings on this box.';
  }

  private chart(c: ChartSpec): TemplateResult {
    const s = this.sample;
    const power = s?.power.system;
    const estimated = c.metric === CHART_METRICS.power && power && !isAbsent(power) && power.estimated;
    return html`<hearth-metric-chart
      data-metric=${c.metric}
      .metric=${c.metric}
      .label=${c.label}
      .unit=${c.unit}
      .range=${this.range}
      .sample=${s}
      .known=${this.metrics?.some((m) => m.name === c.metric) ?? false}
      .absent=${this.absentReason(c)}
      .note=${estimated ? 'estimated from CPU load' : ''}
      .max=${c.metric === CHART_METRICS.load ? 100 : c.metric === CHART_METRICS.memory && s ? s.memory.total.value : null}
    ></hearth-metric-chart>`;
  }

  protected override render() {
    return html`<section class="card" aria-labelledby="charts-title">
      <div class="head">
        <h2 id="charts-title">${icon('chart', 20)} History</h2>
        <fieldset class="segmented" aria-label="Time span">
          ${(Object.keys(RANGES) as ChartRange[]).map(
            (r) => html`<label
              ><input type="radio" name="range" value=${r} .checked=${this.range === r} @change=${() => (this.range = r)} /><span>${RANGES[r].label}</span></label
            >`,
          )}
        </fieldset>
      </div>
      <div class="charts">${CHARTS.map((c) => this.chart(c))}</div>
    </section>`;
  }
}
customElements.define('hearth-telemetry-charts', TelemetryCharts);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-telemetry-charts': TelemetryCharts;
  }
}
