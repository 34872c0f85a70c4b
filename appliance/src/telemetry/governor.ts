import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import type { TelemetrySettings } from '../config/schema.js';
import type { AlertSeverity } from './alerts.js';
import { isAbsent, type Reading, type TelemetrySample, type TempKind } from './types.js';

/** °C at which the governor warns, throttles and stops background work. */
export interface Thresholds {
  warnC: number;
  throttleC: number;
  criticalC: number;
}

export type ThermalState = 'ok' | 'warn' | 'throttle' | 'critical';
const LEVELS: ThermalState[] = ['ok', 'warn', 'throttle', 'critical'];

/** Background work the governor and quiet hours hold back (the agent runner and its queue). */
export interface BackgroundWork {
  pause(key: string, reason: string): void;
  resume(key: string): void;
  /** Jobs waiting to run. */
  backlog(): number;
}

/** The inference worker's CPU threads: a number while hot, null for its normal setting. */
export interface InferenceThreads {
  setThreadLimit(n: number | null): void;
}

/** Where governor actions are written: the activity log. */
export interface ActivitySink {
  add(kind: string, message: string, extra?: { agent?: string; data?: unknown }): unknown;
}

/** What the governor needs of the alert center. */
export interface AlertSink {
  raise(a: { key: string; kind: 'temperature'; severity: AlertSeverity; message: string; data?: unknown }): unknown;
  resolve(key: string, note?: string): unknown;
}

/** The sensor reading a decision was made on. */
export interface HotSensor {
  id: string;
  label: string;
  kind: TempKind;
  value: number;
  unit: 'C';
  source: string;
}

export interface GovernorStatus {
  state: ThermalState;
  since: number;
  hottest: HotSensor | null;
  thresholds: Thresholds;
  threadLimit: number | null;
}

export interface ThermalGovernorOptions {
  work: BackgroundWork;
  threads: InferenceThreads;
  activity: ActivitySink;
  alerts?: AlertSink;
  /** Read at each sample, so a changed setting applies at once. */
  thresholds: () => Thresholds;
  /** A state is left only once the reading is this far below its threshold (default 5 °C)... */
  hysteresisC?: number;
  /** ...for this many samples in a row (default 10). */
  calmSamples?: number;
  /** Threads for the model while hot (default half the cores, at least 1). */
  hotThreads?: () => number;
}

/** Sensors that say how hot the box's working parts are; chassis and unnamed zones (acpitz) are often fixed or wrong. */
const GOVERNED: ReadonlySet<TempKind> = new Set(['cpu-package', 'cpu-core', 'gpu', 'nvme']);

export const THERMAL_PAUSE = 'thermal';
export const CRITICAL_PAUSE = 'thermal-critical';
export const TEMPERATURE_ALERT = 'temperature';

/** The owner's thresholds, or the device profile's; kept in order so a slip in the settings cannot invert them. */
export function governorThresholds(settings: Pick<TelemetrySettings, 'thresholds'>, profileDefaults: Thresholds): Thresholds {
  const t = settings.thresholds ?? profileDefaults;
  const warnC = t.warnC;
  const throttleC = Math.max(warnC, t.throttleC);
  return { warnC, throttleC, criticalC: Math.max(throttleC, t.criticalC) };
}

/** The hottest governed sensor in a sample, including the GPU reading from nvidia-smi; null when there is none. */
export function hottestSensor(sample: TelemetrySample): HotSensor | null {
  let best: HotSensor | null = null;
  const consider = (id: string, label: string, kind: TempKind, r: Reading) => {
    if (r.unit !== 'C' || !Number.isFinite(r.value)) return;
    if (!best || r.value > best.value) best = { id, label, kind, value: r.value, unit: 'C', source: r.source };
  };
  for (const t of sample.temperatures) if (GOVERNED.has(t.kind)) consider(t.id, t.label, t.kind, t.reading);
  if (!isAbsent(sample.gpu) && !isAbsent(sample.gpu.temp)) consider('gpu', sample.gpu.name, 'gpu', sample.gpu.temp);
  return best;
}

const fmt = (c: number) => `${c.toFixed(1)} °C`;

/**
 * Keeps the box cool: fed every sample, it moves between ok / warn / throttle / critical on the hottest
 * CPU, GPU or NVMe temperature. Going up is immediate; going down needs the reading `hysteresisC` below the
 * current state's threshold for `calmSamples` samples in a row. At throttle background agents pause and the
 * model gets fewer threads; at critical background work stops and the owner is alerted. Every change is an
 * activity entry with the reading that caused it. Emits 'state' (GovernorStatus) on each change.
 */
export class ThermalGovernor extends EventEmitter {
  private state: ThermalState = 'ok';
  private since = 0;
  private hottest: HotSensor | null = null;
  private calm = 0;
  /** Hottest reading during the current calm run: where the state steps down to. */
  private calmPeak = -Infinity;
  private threadLimit: number | null = null;
  private readonly hysteresisC: number;
  private readonly calmSamples: number;

  constructor(private readonly options: ThermalGovernorOptions) {
    super();
    this.hysteresisC = options.hysteresisC ?? 5;
    this.calmSamples = Math.max(1, options.calmSamples ?? 10);
  }

  status(): GovernorStatus {
    return { state: this.state, since: this.since, hottest: this.hottest, thresholds: this.options.thresholds(), threadLimit: this.threadLimit };
  }

  /** One sample in; returns the state after it. Without any governed sensor the state holds (never guessed). */
  observe(sample: TelemetrySample): ThermalState {
    const hot = hottestSensor(sample);
    if (!hot) return this.state;
    this.hottest = hot;
    const t = this.options.thresholds();
    const level = levelOf(hot.value, t);
    const current = LEVELS.indexOf(this.state);
    if (level > current) {
      this.calm = 0;
      this.calmPeak = -Infinity;
      this.enter(LEVELS[level]!, hot, t, sample.at);
      return this.state;
    }
    if (current > 0 && hot.value < thresholdOf(this.state, t) - this.hysteresisC) {
      this.calm++;
      this.calmPeak = Math.max(this.calmPeak, hot.value);
      if (this.calm >= this.calmSamples) {
        // Step down to the state the calm run's peak would still hold, with the same hysteresis.
        let target = 0;
        for (let l = current - 1; l > 0; l--) {
          if (this.calmPeak >= thresholdOf(LEVELS[l]!, t) - this.hysteresisC) {
            target = l;
            break;
          }
        }
        this.calm = 0;
        this.calmPeak = -Infinity;
        this.enter(LEVELS[target]!, hot, t, sample.at);
      }
    } else {
      this.calm = 0;
      this.calmPeak = -Infinity;
    }
    return this.state;
  }

  /** Lifts whatever the governor holds (hearthd stopping, or telemetry turned off). */
  stop(): void {
    this.options.work.resume(THERMAL_PAUSE);
    this.options.work.resume(CRITICAL_PAUSE);
    if (this.threadLimit !== null) this.options.threads.setThreadLimit(null);
    this.threadLimit = null;
    this.state = 'ok';
    this.calm = 0;
  }

  private enter(next: ThermalState, hot: HotSensor, t: Thresholds, at: number): void {
    const previous = this.state;
    const rising = LEVELS.indexOf(next) > LEVELS.indexOf(previous);
    this.state = next;
    this.since = at;
    const { work, threads, alerts } = this.options;
    const where = `${hot.label} at ${fmt(hot.value)}`;
    const held = next === 'throttle' || next === 'critical';
    const wasHeld = previous === 'throttle' || previous === 'critical';

    if (held) {
      work.pause(THERMAL_PAUSE, `The box is hot (${where}): background agents wait until it cools below ${fmt(t.throttleC - this.hysteresisC)}`);
      if (this.threadLimit === null) {
        this.threadLimit = Math.max(1, Math.floor(this.options.hotThreads?.() ?? availableParallelism() / 2));
        threads.setThreadLimit(this.threadLimit);
      }
    } else {
      work.resume(THERMAL_PAUSE);
      if (this.threadLimit !== null) threads.setThreadLimit(null);
      this.threadLimit = null;
    }
    if (next === 'critical') work.pause(CRITICAL_PAUSE, `Critical temperature (${where}): background work stopped`);
    else work.resume(CRITICAL_PAUSE);

    if (alerts) {
      if (next === 'ok') alerts.resolve(TEMPERATURE_ALERT, `Cooled to ${fmt(hot.value)}`);
      else if (next === 'critical') {
        alerts.raise({ key: TEMPERATURE_ALERT, kind: 'temperature', severity: 'critical', message: `Critical temperature: ${where} (critical at ${fmt(t.criticalC)}). Background work is stopped.`, data: { reading: hot, thresholds: t } });
      } else {
        alerts.raise({ key: TEMPERATURE_ALERT, kind: 'temperature', severity: 'warning', message: `High temperature: ${where} (warning at ${fmt(t.warnC)}).`, data: { reading: hot, thresholds: t } });
      }
    }

    const kind = rising ? `governor.${next}` : wasHeld && !held ? 'governor.resume' : next === 'ok' ? 'governor.ok' : 'governor.cooling';
    const message = rising
      ? {
          warn: `Warm: ${where} (warning at ${fmt(t.warnC)})`,
          throttle: `Hot: ${where} (throttle at ${fmt(t.throttleC)}): background agents paused, the model uses ${this.threadLimit} threads`,
          critical: `Critical: ${where} (critical at ${fmt(t.criticalC)}): background work stopped, owner alerted`,
          ok: '',
        }[next]
      : {
          critical: '',
          throttle: `Cooling: ${where}: still throttled, background work may finish what it holds`,
          warn: wasHeld ? `Cooled: ${where}: background agents resumed, the model uses its normal threads` : `Cooling: ${where}`,
          ok: wasHeld ? `Cool again: ${where}: background agents resumed, the model uses its normal threads` : `Cool again: ${where}`,
        }[next];
    this.options.activity.add(kind, message, { data: { state: next, previous, reading: hot, thresholds: t, at: new Date(at).toISOString() } });
    this.emit('state', this.status());
  }
}

function thresholdOf(state: ThermalState, t: Thresholds): number {
  return state === 'critical' ? t.criticalC : state === 'throttle' ? t.throttleC : state === 'warn' ? t.warnC : -Infinity;
}

function levelOf(c: number, t: Thresholds): number {
  return c >= t.criticalC ? 3 : c >= t.throttleC ? 2 : c >= t.warnC ? 1 : 0;
}
