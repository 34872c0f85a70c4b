// Telemetry, energy and alerts: typed calls for their parts of hearthd's API.
// Mirrors appliance/src/telemetry (types.ts, routes.ts, history.ts, energy.ts, alerts.ts, alert-routes.ts).

import { openEventStream, request } from './api.js';
import { SharedEventStream } from './live-stream.js';
import { isAbsent, type Absent, type Reading, type TelemetrySample, type Unit } from '../../../appliance/src/telemetry/types.js';

export { isAbsent };
export type { Absent, Maybe, Reading, TelemetrySample, TempKind, Unit } from '../../../appliance/src/telemetry/types.js';

/** Energy used since `from` (today, this week, this month), priced at the owner's tariff. */
export interface EnergyPeriod {
  /** Start of the period, ISO 8601. */
  from: string;
  /** null: no power reading at all in the period (no sensor and no estimate), never a made-up 0. */
  kwh: number | null;
  cost: number | null;
  currency: string;
  offPeakKwh: number | null;
  /** Some of it comes from an estimated power reading. */
  estimated: boolean;
  /** Share of the period so far with power readings (0..1). */
  coverage: number;
}

export interface EnergySummary {
  today: EnergyPeriod;
  week: EnergyPeriod;
  month: EnergyPeriod;
}

export interface AgentEnergy {
  agent: string;
  name: string;
  todayJ: number;
  monthJ: number;
  /** Runs this month with an energy figure. */
  runs: number;
}

export interface EnergyReport extends EnergySummary {
  agents: AgentEnergy[];
  /** Energy per 1,000 generated tokens of the active model over its runs of the last 30 days. */
  joulesPer1kTokens: { model: string; value: number; runs: number; estimated: boolean } | null;
}

/** GET /api/telemetry/now: the latest sample and the energy so far. */
export type TelemetryNow = TelemetrySample & { energy: EnergySummary };

export interface MetricInfo {
  name: string;
  unit: Unit;
  label: string;
}

export interface HistoryResult {
  metric: string;
  unit: Unit;
  label: string;
  /** Seconds per point. */
  step: number;
  source: 'ring' | 'minute' | 'hour';
  from: number;
  to: number;
  /** [bucket start ms, min, avg, max], oldest first; buckets without readings are left out. */
  points: [number, number, number, number][];
}

export type AlertKind = 'temperature' | 'disk' | 'worker-crashes' | 'sensor-missing';
export type AlertSeverity = 'warning' | 'critical';

export interface Alert {
  /** Unique per occurrence. */
  id: string;
  /** The condition: one active alert per key. */
  key: string;
  kind: AlertKind;
  severity: AlertSeverity;
  message: string;
  since: string;
  resolvedAt: string | null;
  /** Hidden by the owner while the condition lasts; shown again if it gets worse. */
  dismissedAt: string | null;
  data: unknown;
}

export interface AlertsView {
  /** Not dismissed, critical first. */
  active: Alert[];
  /** Resolved or dismissed, newest first. */
  recent: Alert[];
}

// The owner's telemetry settings: mirrors appliance/src/config/schema.ts (telemetrySchema),
// appliance/src/telemetry/device-profiles.ts and settings-routes.ts.

export type DeviceProfileId = 'generic' | 'rtx-spark';

/** °C: warn = an alert; throttle = background agents pause, the model uses fewer threads; critical = background work stops, an alert. */
export interface ThermalThresholds {
  warnC: number;
  throttleC: number;
  criticalC: number;
}

export interface DeviceProfile {
  id: DeviceProfileId;
  name: string;
  /** Nominal whole-box draw at rest and flat out (W): for the estimate where no power sensor exists. */
  idleW: number;
  maxW: number;
  thresholds: ThermalThresholds;
}

export interface TelemetrySettings {
  /** Seconds between samples, 1 to 60. */
  intervalSeconds: number;
  profile: DeviceProfileId;
  tariff: {
    currency: string;
    pricePerKwh: number;
    /** HH:MM to HH:MM (24-hour) at another price, or none. */
    offPeak: { start: string; end: string; pricePerKwh: number } | null;
  };
  /** null: the profile's. */
  thresholds: ThermalThresholds | null;
  /** Heavy background work (a backlog above `backlog` jobs) held to this window; null: any time. */
  quietHours: { start: string; end: string; backlog: number } | null;
  /** Where alerts go besides the UI; null: nowhere. */
  alerts: { webhookUrl: string | null; ntfyUrl: string | null };
}

/** GET/PUT /api/telemetry/settings. */
export interface TelemetrySettingsView {
  settings: TelemetrySettings;
  /** The thresholds in force: the owner's, or the profile's. */
  thresholds: ThermalThresholds;
  profiles: DeviceProfile[];
}

/** The metrics the dashboard charts, by the names history uses. */
export const CHART_METRICS = {
  power: 'power.system.w',
  temperature: 'temp.max.c',
  load: 'cpu.load.pct',
  memory: 'mem.used.bytes',
} as const;

const query = (params: Record<string, string | number | undefined>) => {
  const parts = Object.entries(params)
    .filter((kv): kv is [string, string | number] => kv[1] !== undefined && kv[1] !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
};

export const telemetryApi = {
  /** 503 before the first sample; the event stream sends the latest sample when it opens, so views use that instead. */
  now: () => request<TelemetryNow>('GET', '/telemetry/now'),
  history: (q: { metric: string; from?: number; to?: number; step?: number | 'auto' }) => request<HistoryResult>('GET', `/telemetry/history${query(q)}`),
  metrics: () => request<{ metrics: MetricInfo[] }>('GET', '/telemetry/metrics'),
  energy: () => request<EnergyReport>('GET', '/energy'),
  alerts: () => request<AlertsView>('GET', '/alerts'),
  dismissAlert: (id: string) => request<Alert>('POST', `/alerts/${encodeURIComponent(id)}/dismiss`),
  settings: () => request<TelemetrySettingsView>('GET', '/telemetry/settings'),
  /** Any subset of the settings; a bad one is a 400 naming its field (e.g. "tariff.pricePerKwh") and nothing changes. */
  saveSettings: (changes: Partial<TelemetrySettings>) => request<TelemetrySettingsView>('PUT', '/telemetry/settings', changes),
};

/**
 * One EventSource on /api/telemetry/events for every view that shows live readings (the dashboard's
 * status and charts): open only while one is on screen, so hearthd sends nothing when no one watches.
 * The latest sample comes first when it opens.
 */
export const telemetryEvents = new SharedEventStream<{ type: 'sample'; sample: TelemetrySample }>((emit, on) =>
  openEventStream<{ sample: TelemetrySample }>('/api/telemetry/events', {
    open: on.open,
    error: on.error,
    events: { sample: (sample) => emit({ type: 'sample', sample }) },
  }),
);

// Reading a sample the way the dashboard shows it.

export type Shown = { reading: Reading; label?: string } | Absent;

/** The hottest temperature sensor, or why there is none. */
export function hottest(s: TelemetrySample): { reading: Reading; label: string; id: string } | Absent {
  let best: TelemetrySample['temperatures'][number] | null = null;
  for (const t of s.temperatures) if (!best || t.reading.value > best.reading.value) best = t;
  if (best) return { reading: best.reading, label: best.label, id: best.id };
  return { absent: true, reason: absentReason(s, 'temperatures') ?? 'no temperature sensor on this box' };
}

/** Why something was not found, from the sample's list of absences. */
export function absentReason(s: TelemetrySample, what: string): string | null {
  return s.absent.find((a) => a.what === what)?.reason ?? null;
}

/** The value a sample gives a chart metric, or null when it has none (absent is never 0). */
export function sampleValue(s: TelemetrySample, metric: string): number | null {
  switch (metric) {
    case CHART_METRICS.power:
      return isAbsent(s.power.system) ? null : s.power.system.value;
    case CHART_METRICS.temperature:
      return s.temperatures.length ? Math.max(...s.temperatures.map((t) => t.reading.value)) : null;
    case CHART_METRICS.load:
      return s.cpu.loadPct.value;
    case CHART_METRICS.memory:
      return s.memory.used.value;
    default:
      return null;
  }
}

/**
 * The alerts the shell shows (the bell and the banner for a critical one), for every view from one
 * answer: asked when the first view subscribes, again every minute while the tab is visible, and at
 * once when told (an activity entry about heat, a dismissal).
 */
class AlertsStore {
  private readonly listeners = new Set<() => void>();
  private timer: number | undefined;
  private inflight: Promise<void> | null = null;
  view: AlertsView | null = null;

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) {
      void this.refresh();
      this.timer = window.setInterval(() => {
        if (document.visibilityState === 'visible') void this.refresh();
      }, 60_000);
      document.addEventListener('visibilitychange', this.onVisible);
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        window.clearInterval(this.timer);
        document.removeEventListener('visibilitychange', this.onVisible);
      }
    };
  }

  private readonly onVisible = () => {
    if (document.visibilityState === 'visible') void this.refresh();
  };

  refresh(): Promise<void> {
    this.inflight ??= telemetryApi
      .alerts()
      .then(
        (view) => {
          this.view = view;
          this.emit();
        },
        () => undefined, // Keep what is shown; the next try may answer.
      )
      .finally(() => (this.inflight = null));
    return this.inflight;
  }

  /** Gone from the list at once; the server's answer follows. */
  async dismiss(id: string): Promise<void> {
    const dismissed = await telemetryApi.dismissAlert(id);
    if (this.view) {
      this.view = { active: this.view.active.filter((a) => a.id !== id), recent: [dismissed, ...this.view.recent.filter((a) => a.id !== id)] };
      this.emit();
    }
    await this.inflight;
    await this.refresh();
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }
}

export const alertsStore = new AlertsStore();
