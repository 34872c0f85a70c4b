import { css } from 'lit';
import type { Reading, Unit } from '../data/telemetry.js';
import { formatBytes, formatRate } from './model-view.js';

// How readings, energy and money read to a person. An absent reading is never shown as a number.

const oneDecimal = (v: number) => (Math.abs(v) < 100 ? v.toFixed(1) : String(Math.round(v)));

/** A value in its unit: "34.7 W", "52 °C", "23 %", "1.9 GB", "1,200 rpm". */
export function formatValue(value: number, unit: Unit): string {
  switch (unit) {
    case 'W':
      return `${oneDecimal(value)} W`;
    case 'C':
      return `${Math.round(value)} °C`;
    case '%':
      return `${Math.round(value)} %`;
    case 'B':
      return formatBytes(value);
    case 'B/s':
      return formatRate(value);
    case 'rpm':
      return `${Math.round(value).toLocaleString('en')} rpm`;
    case 'MHz':
      return value >= 1000 ? `${(value / 1000).toFixed(2)} GHz` : `${Math.round(value)} MHz`;
    case 'J':
      return formatJoules(value);
    case 'A':
      return `${value.toFixed(2)} A`;
    case 'V':
      return `${value.toFixed(2)} V`;
  }
}

export const readingText = (r: Reading): string => formatValue(r.value, r.unit);

/** Where a reading came from, in words, with the raw source after it: "Estimate from CPU load (estimate:generic)". */
export function sourceText(source: string): string {
  const [kind = '', rest = ''] = source.split(/:(.*)/s);
  const words: Record<string, string> = {
    estimate: `Estimate from CPU load and the ${rest || 'device'} profile`,
    rapl: `RAPL energy counter ${rest}`,
    hwmon: `Hardware sensor ${rest}`,
    thermal: `Thermal zone ${rest}`,
    proc: `Kernel counters ${rest}`,
    statfs: `File system of ${rest}`,
    diskstats: `Disk counters of ${rest}`,
    nvidia: `NVIDIA driver (nvidia-smi) ${rest}`,
    'nvidia-smi': `NVIDIA driver (nvidia-smi) ${rest}`,
    power_supply: `Power supply ${rest}`,
  };
  return words[kind]?.trim() ?? source;
}

/** 850 J, 12.5 Wh, 3.40 kWh: joules below a watt-hour, then watt-hours and kilowatt-hours. */
export function formatJoules(j: number): string {
  if (j < 3600) return `${Math.round(j).toLocaleString('en')} J`;
  return formatKwh(j / 3.6e6);
}

/** 0.45 Wh, 120 Wh, 1.23 kWh. */
export function formatKwh(kwh: number): string {
  const wh = kwh * 1000;
  if (wh < 10) return `${wh.toFixed(2)} Wh`;
  if (wh < 1000) return `${Math.round(wh)} Wh`;
  return `${kwh.toFixed(kwh < 100 ? 2 : 0)} kWh`;
}

/** €0.42, or "under €0.01" for a cost that rounds to nothing; the currency code itself when the browser does not know it. */
export function formatCost(cost: number, currency: string): string {
  const fmt = (v: number) => {
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v);
    } catch {
      return `${v.toFixed(2)} ${currency}`;
    }
  };
  if (cost > 0 && cost < 0.005) return `under ${fmt(0.01)}`;
  return fmt(cost);
}

/** 12 min, 5 h 12 min, 3 d 4 h. */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

/** "62 %", "under 1 %": how much of a period readings cover (asked only when there are some). */
export const coverageText = (coverage: number): string => (coverage < 0.005 ? 'under 1 %' : `${Math.round(coverage * 100)} %`);

/** 14:32:05: when a reading was taken. */
export const sampleClock = (at: number): string =>
  new Date(at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

/** Readings at a glance: tiles of a label, a value and a line under it; an absent reading and its reason look different from a value. */
export const telemetryViewStyles = css`
  .tiles {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(min(100%, 13.5rem), 1fr));
    gap: 0.75rem;
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .tile {
    display: grid;
    align-content: start;
    gap: 0.15rem;
    min-width: 0;
    padding: 0.8rem 0.95rem;
    border-radius: var(--hearth-radius-sm);
    background: var(--hearth-surface-2);
    border: 1px solid var(--hearth-border);
  }
  .tile .label {
    display: flex;
    align-items: center;
    gap: 0.4rem;
    font-size: 0.82rem;
    font-weight: 600;
    color: var(--hearth-muted);
  }
  .tile .value {
    display: flex;
    flex-wrap: wrap;
    align-items: baseline;
    gap: 0.2rem 0.5rem;
    font-size: 1.35rem;
    font-weight: 700;
    line-height: 1.25;
    font-variant-numeric: tabular-nums;
    overflow-wrap: anywhere;
  }
  .tile .sub {
    font-size: 0.85rem;
    color: var(--hearth-muted);
    overflow-wrap: anywhere;
  }
  .tile .source {
    font-size: 0.78rem;
    font-family: var(--hearth-mono);
    color: var(--hearth-muted);
    overflow-wrap: anywhere;
  }
  /* Absent: a dash and the reason, never a number. */
  .tile.absent .value {
    color: var(--hearth-muted);
    font-weight: 600;
    font-size: 1.05rem;
  }
  .tile.warn {
    background: #fffaeb;
    border-color: #fedf89;
  }
  .tile.bad {
    background: var(--hearth-error-soft);
    border-color: #fecdca;
  }
  /* On a phone: two tiles a row; a reason for an absent reading gets the whole row. */
  @media (max-width: 600px) {
    .tiles {
      grid-template-columns: repeat(2, minmax(0, 1fr));
      gap: 0.5rem;
    }
    .tile {
      padding: 0.6rem 0.7rem;
    }
    .tile .value {
      font-size: 1.1rem;
    }
    .tile.absent {
      grid-column: 1 / -1;
    }
  }

  /* A segmented control: radio buttons that look like one bar of choices. */
  .segmented {
    display: inline-flex;
    flex-wrap: nowrap;
    gap: 0;
    padding: 0.2rem;
    border-radius: var(--hearth-radius-sm);
    background: var(--hearth-surface-2);
    border: 1px solid var(--hearth-border);
    max-width: 100%;
  }
  .segmented label {
    position: relative;
    display: block;
    font-size: 0.9rem;
    font-weight: 600;
    color: var(--hearth-muted);
    cursor: pointer;
  }
  .segmented input {
    position: absolute;
    opacity: 0;
    inset: 0;
    margin: 0;
    cursor: pointer;
  }
  .segmented span {
    display: block;
    padding: 0.4rem 0.85rem;
    min-height: 2.2rem;
    border-radius: 8px;
    line-height: 1.4rem;
    white-space: nowrap;
  }
  .segmented input:checked + span {
    background: var(--hearth-surface);
    color: var(--hearth-text);
    box-shadow: 0 1px 3px rgba(72, 44, 20, 0.15);
  }
  .segmented input:focus-visible + span {
    box-shadow: 0 0 0 3px var(--hearth-accent-ring);
  }
  @media (max-width: 420px) {
    .segmented span {
      padding-inline: 0.6rem;
    }
  }
`;
