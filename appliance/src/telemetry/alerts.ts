import { EventEmitter } from 'node:events';
import type { Logger } from '../log.js';
import { isAbsent, type TelemetrySample } from './types.js';

export type AlertKind = 'temperature' | 'disk' | 'worker-crashes' | 'sensor-missing';
export type AlertSeverity = 'warning' | 'critical';

export interface Alert {
  /** Unique per occurrence: the same condition coming back later is a new alert. */
  id: string;
  /** The condition ('temperature', 'disk', 'worker-crashes', 'sensor:<id>'): one active alert per key. */
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

export interface AlertInput {
  key: string;
  kind: AlertKind;
  severity: AlertSeverity;
  message: string;
  data?: unknown;
}

/** The owner's delivery URLs (config telemetry.alerts). */
export interface AlertTargets {
  webhookUrl: string | null;
  ntfyUrl: string | null;
}

/** What the alert center reads of the inference worker supervisor (InferenceWorker fits). */
export interface WorkerHealth {
  readonly crashes: number;
  readonly lastCrash: { at: string; detail: string } | null;
}

export type AlertChange = 'raised' | 'escalated' | 'updated' | 'resolved' | 'dismissed';

/** One delivery's outcome, emitted as 'delivery'. */
export interface DeliveryResult {
  alertId: string;
  change: AlertChange;
  target: 'webhook' | 'ntfy';
  ok: boolean;
  attempts: number;
  error: string | null;
}

export interface AlertCenterOptions {
  log: Logger;
  targets: () => AlertTargets;
  /** The box's name, in titles of delivered alerts. */
  deviceName?: () => string;
  worker?: WorkerHealth;
  now?: () => number;
  /** Delays between delivery attempts (default 5 s, 30 s, 2 min, 10 min): after the last, it is given up. */
  retryDelaysMs?: number[];
  /** One attempt's time limit (default 10 s). */
  timeoutMs?: number;
  /** Resolved or dismissed alerts kept for the recent list (default 50). */
  keepRecent?: number;
  /** Samples a sensor must be missing before it is an alert (default 3): one failed read is not a lost sensor. */
  missingSamples?: number;
}

export const DISK_FULL_RATIO = 0.9;
const DISK_CRITICAL_RATIO = 0.97;
/** Cleared a little below the line, so a disk hovering at 90 % does not flap. */
const DISK_CLEAR_RATIO = 0.88;
const CRASH_WINDOW_MS = 10 * 60_000;
const CRASH_LOOP = 3;
const MAX_IN_FLIGHT = 100;

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;

/**
 * The box's alerts: high temperature (raised by the governor), disk nearly full, a model worker that
 * keeps crashing, a sensor that disappears. One active alert per condition, resolved when it clears.
 * New and worse alerts (and their resolution) go to the owner's webhook (JSON) and ntfy topic (text)
 * with retries, in the background: observe() never waits on the network and never throws for it.
 * Emits 'alert' (Alert, change) on every change, for the live stream, and 'delivery' (DeliveryResult).
 */
export class AlertCenter extends EventEmitter {
  private readonly active = new Map<string, Alert>();
  private readonly recent: Alert[] = [];
  private readonly now: () => number;
  private seq = 0;
  private readonly retryDelays: number[];
  private readonly timeoutMs: number;
  private readonly keepRecent: number;
  private readonly missingSamples: number;
  /** Sensors seen so far, with the samples in a row each has been missing. */
  private readonly sensors = new Map<string, { label: string; missing: number }>();
  private crashSeen: number | null = null;
  private crashTimes: number[] = [];
  /** Retries waiting on a timer, with what ends their wait. */
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly aborts = new Set<AbortController>();
  private stopped = false;

  constructor(private readonly options: AlertCenterOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.retryDelays = options.retryDelaysMs ?? [5_000, 30_000, 120_000, 600_000];
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.keepRecent = options.keepRecent ?? 50;
    this.missingSamples = Math.max(1, options.missingSamples ?? 3);
  }

  /** Active alerts the owner has not dismissed (worst first), and recently resolved or dismissed ones (newest first). */
  list(): { active: Alert[]; recent: Alert[] } {
    const active = [...this.active.values()]
      .filter((a) => a.dismissedAt === null)
      .sort((a, b) => (a.severity === b.severity ? b.since.localeCompare(a.since) : a.severity === 'critical' ? -1 : 1));
    const recent = [...this.recent, ...[...this.active.values()].filter((a) => a.dismissedAt !== null)].sort((a, b) =>
      (b.resolvedAt ?? b.dismissedAt ?? '').localeCompare(a.resolvedAt ?? a.dismissedAt ?? ''),
    );
    return { active: active.map(copy), recent: recent.slice(0, this.keepRecent).map(copy) };
  }

  get(id: string): Alert | null {
    const a = [...this.active.values()].find((x) => x.id === id) ?? this.recent.find((x) => x.id === id);
    return a ? copy(a) : null;
  }

  /** Raises the alert for a condition, or updates the active one; a worse severity is delivered again (and shown again if dismissed). */
  raise(input: AlertInput): Alert {
    const at = new Date(this.now()).toISOString();
    const existing = this.active.get(input.key);
    if (!existing) {
      const alert: Alert = { id: `${this.now().toString(36)}-${(++this.seq).toString(36)}`, key: input.key, kind: input.kind, severity: input.severity, message: input.message, since: at, resolvedAt: null, dismissedAt: null, data: input.data ?? null };
      this.active.set(input.key, alert);
      this.changed(alert, 'raised');
      return copy(alert);
    }
    const worse = existing.severity === 'warning' && input.severity === 'critical';
    const sameText = existing.message === input.message && existing.severity === input.severity;
    existing.severity = input.severity;
    existing.message = input.message;
    existing.data = input.data ?? existing.data;
    if (worse) {
      existing.dismissedAt = null;
      this.changed(existing, 'escalated');
    } else if (!sameText) this.changed(existing, 'updated');
    return copy(existing);
  }

  /** The condition cleared: the alert moves to the recent list. No-op when nothing is active for the key. */
  resolve(key: string, note?: string): Alert | null {
    const alert = this.active.get(key);
    if (!alert) return null;
    this.active.delete(key);
    alert.resolvedAt = new Date(this.now()).toISOString();
    if (note) alert.message = `${alert.message} Resolved: ${note}.`;
    this.recent.unshift(alert);
    if (this.recent.length > this.keepRecent) this.recent.length = this.keepRecent;
    this.changed(alert, 'resolved');
    return copy(alert);
  }

  /** The owner has seen it: hidden from the active list (kept while the condition lasts so it is not raised again). Null if there is no such alert. */
  dismiss(id: string): Alert | null {
    const alert = [...this.active.values()].find((a) => a.id === id) ?? this.recent.find((a) => a.id === id);
    if (!alert) return null;
    if (alert.dismissedAt === null) {
      alert.dismissedAt = new Date(this.now()).toISOString();
      this.emit('alert', copy(alert), 'dismissed' satisfies AlertChange);
    }
    return copy(alert);
  }

  /** One sample in: disk fullness, lost sensors, the model worker's crashes. Never throws for delivery. */
  observe(sample: TelemetrySample): void {
    this.checkDisk(sample);
    this.checkSensors(sample);
    this.checkWorker(sample.at);
  }

  /** Resolves when no delivery is in flight or waiting to retry (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops retries and cancels deliveries in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const [t, done] of this.timers) {
      clearTimeout(t);
      done();
    }
    this.timers.clear();
    for (const a of this.aborts) a.abort();
    await this.idle();
  }

  start(): void {
    this.stopped = false;
  }

  private checkDisk(sample: TelemetrySample): void {
    const disk = sample.disk;
    if (isAbsent(disk) || !(disk.total.value > 0)) return;
    const ratio = disk.used.value / disk.total.value;
    const free = disk.total.value - disk.used.value;
    if (ratio >= DISK_FULL_RATIO) {
      const pct = Math.floor(ratio * 100);
      this.raise({
        key: 'disk',
        kind: 'disk',
        severity: ratio >= DISK_CRITICAL_RATIO ? 'critical' : 'warning',
        message: `The data disk is ${pct} % full (${gb(free)} free). Free some space: models, shares and history all live there.`,
        data: { usedBytes: disk.used.value, totalBytes: disk.total.value, source: disk.used.source },
      });
    } else if (ratio < DISK_CLEAR_RATIO) this.resolve('disk', `${Math.floor(ratio * 100)} % full`);
  }

  private checkSensors(sample: TelemetrySample): void {
    const present = new Map<string, string>();
    for (const t of sample.temperatures) present.set(`temp:${t.id}`, t.label);
    for (const f of sample.fans) present.set(`fan:${f.id}`, f.label);
    for (const p of sample.power.parts) present.set(`power:${p.id}`, p.label);
    // An estimate is not a sensor; a measured system power that goes away is.
    if (!isAbsent(sample.power.system) && !sample.power.system.estimated) present.set('power:system', 'System power');
    if (!isAbsent(sample.gpu)) {
      if (!isAbsent(sample.gpu.temp)) present.set('gpu:temp', `${sample.gpu.name} temperature`);
      if (!isAbsent(sample.gpu.power)) present.set('gpu:power', `${sample.gpu.name} power`);
    }
    if (!isAbsent(sample.battery)) present.set('battery', 'Battery / UPS');

    for (const [id, label] of present) {
      const known = this.sensors.get(id);
      if (!known) this.sensors.set(id, { label, missing: 0 });
      else {
        known.label = label;
        if (known.missing >= this.missingSamples) this.resolve(`sensor:${id}`, 'it answers again');
        known.missing = 0;
      }
    }
    for (const [id, known] of this.sensors) {
      if (present.has(id)) continue;
      known.missing++;
      if (known.missing === this.missingSamples) {
        const why = sample.absent.find((a) => id.startsWith(`${a.what}:`) || a.what === id)?.reason;
        this.raise({
          key: `sensor:${id}`,
          kind: 'sensor-missing',
          severity: 'warning',
          message: `The sensor "${known.label}" (${id}) stopped reporting${why ? `: ${why}` : ''}. Readings from it are shown as absent.`,
          data: { sensor: id, label: known.label },
        });
      }
    }
  }

  private checkWorker(at: number): void {
    const worker = this.options.worker;
    if (!worker) return;
    const n = worker.crashes;
    if (this.crashSeen !== null && n > this.crashSeen) for (let i = this.crashSeen; i < n; i++) this.crashTimes.push(at);
    this.crashSeen = n;
    this.crashTimes = this.crashTimes.filter((t) => t > at - CRASH_WINDOW_MS);
    const recent = this.crashTimes.length;
    if (recent >= CRASH_LOOP) {
      const last = worker.lastCrash ? ` (last: ${worker.lastCrash.detail})` : '';
      this.raise({
        key: 'worker-crashes',
        kind: 'worker-crashes',
        severity: 'critical',
        message: `The model worker crashed ${recent} times in 10 minutes${last}. Hearth keeps restarting it; a smaller model or a restart of the box may help.`,
        data: { crashesIn10Min: recent, lastCrash: worker.lastCrash },
      });
    } else this.resolve('worker-crashes', 'no crash loop in the last 10 minutes');
  }

  private changed(alert: Alert, change: AlertChange): void {
    this.emit('alert', copy(alert), change);
    if (change === 'raised' || change === 'escalated' || change === 'resolved') this.deliver(copy(alert), change);
  }

  private deliver(alert: Alert, change: AlertChange): void {
    if (this.stopped) return;
    let targets: AlertTargets;
    try {
      targets = this.options.targets();
    } catch {
      return;
    }
    if (targets.webhookUrl) this.attempt(alert, change, 'webhook', targets.webhookUrl, 1);
    if (targets.ntfyUrl) this.attempt(alert, change, 'ntfy', targets.ntfyUrl, 1);
  }

  /** One attempt in the background; on failure a later one on a timer, until the delays run out. */
  private attempt(alert: Alert, change: AlertChange, target: 'webhook' | 'ntfy', url: string, attempt: number): void {
    if (this.stopped) return;
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      this.options.log.warn(`alert delivery dropped: ${MAX_IN_FLIGHT} deliveries already waiting`, { alert: alert.id, target });
      return;
    }
    const p = this.send(alert, change, target, url).then(
      () => this.finish({ alertId: alert.id, change, target, ok: true, attempts: attempt, error: null }),
      (err: unknown) => {
        const error = (err as Error).message ?? String(err);
        const delay = this.retryDelays[attempt - 1];
        if (delay === undefined || this.stopped || (err as DeliveryError).permanent) {
          this.options.log.warn(`could not deliver an alert to the ${target} URL after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${error}`);
          this.finish({ alertId: alert.id, change, target, ok: false, attempts: attempt, error });
          return;
        }
        // The retry is tracked as in flight from now, so idle() waits for it too.
        const retry = new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            this.timers.delete(t);
            this.attempt(alert, change, target, url, attempt + 1);
            resolve();
          }, delay);
          t.unref();
          this.timers.set(t, resolve);
        });
        this.track(retry);
      },
    );
    this.track(p);
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private finish(result: DeliveryResult): void {
    this.emit('delivery', result);
  }

  private async send(alert: Alert, change: AlertChange, target: 'webhook' | 'ntfy', url: string): Promise<void> {
    const device = this.options.deviceName?.() ?? 'Hearth';
    const abort = new AbortController();
    this.aborts.add(abort);
    const timer = setTimeout(() => abort.abort(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    try {
      const init: RequestInit =
        target === 'webhook'
          ? { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ event: `alert.${change}`, device, alert }) }
          : { method: 'POST', headers: ntfyHeaders(alert, change, device), body: alert.message };
      const res = await fetch(url, { ...init, signal: abort.signal, redirect: 'follow' });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) {
        const err = new DeliveryError(`the server answered ${res.status}`);
        // Other 4xx answers will not change by trying again (a wrong URL or topic).
        err.permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
        throw err;
      }
    } catch (err) {
      if (abort.signal.aborted) throw abort.signal.reason instanceof Error ? abort.signal.reason : new Error('cancelled');
      throw err instanceof DeliveryError ? err : new Error((err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message);
    } finally {
      clearTimeout(timer);
      this.aborts.delete(abort);
    }
  }
}

class DeliveryError extends Error {
  permanent = false;
}

/** ntfy takes the title and priority in headers; header values must be ASCII, so anything else is RFC 2047 encoded. */
function ntfyHeaders(alert: Alert, change: AlertChange, device: string): Record<string, string> {
  const what = { temperature: 'high temperature', disk: 'disk nearly full', 'worker-crashes': 'model worker keeps crashing', 'sensor-missing': 'a sensor disappeared' }[alert.kind];
  const title = change === 'resolved' ? `${device}: resolved: ${what}` : `${device}: ${what}`;
  const priority = change === 'resolved' ? '3' : alert.severity === 'critical' ? '5' : '4';
  const tags = change === 'resolved' ? 'white_check_mark' : alert.severity === 'critical' ? 'rotating_light' : 'warning';
  return { 'Content-Type': 'text/plain; charset=utf-8', Title: headerText(title), Priority: priority, Tags: tags };
}

function headerText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

function copy(a: Alert): Alert {
  return { ...a };
}
