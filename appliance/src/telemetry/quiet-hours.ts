import type { TelemetrySettings } from '../config/schema.js';
import type { ActivitySink, BackgroundWork } from './governor.js';

export type QuietHoursSettings = NonNullable<TelemetrySettings['quietHours']>;

export const QUIET_HOURS_PAUSE = 'quiet-hours';

/** Minutes after local midnight of "HH:MM". */
export function clockMinutes(hhmm: string): number {
  const m = /^(\d\d):(\d\d)$/.exec(hhmm);
  if (!m) throw new Error(`"${hhmm}" is not a time of day (HH:MM)`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Whether local minute-of-day `minute` is inside [start, end); a window whose end is not after its start runs across midnight; start = end is all day. */
export function inWindow(minute: number, start: string, end: string): boolean {
  const s = clockMinutes(start);
  const e = clockMinutes(end);
  if (s === e) return true;
  return s < e ? minute >= s && minute < e : minute >= s || minute < e;
}

const localMinute = (at: number) => {
  const d = new Date(at);
  return d.getHours() * 60 + d.getMinutes();
};

export interface QuietHoursOptions {
  work: BackgroundWork;
  activity: ActivitySink;
  /** Read at each check; null means heavy work may run any time. */
  settings: () => QuietHoursSettings | null;
  now?: () => number;
  /** The backlog is counted at most this often (default 10 s): the check rides on every sample. */
  minCheckMs?: number;
}

/**
 * Holds heavy background work (a backlog larger than the owner's limit) to the quiet-hours window:
 * outside it, such a backlog waits (pause 'quiet-hours', "Held until 22:00: 140 jobs waiting"); inside
 * it, everything runs. A small backlog runs at any time. Call check() on each sample; it is cheap.
 */
export class QuietHours {
  private held = false;
  private lastCheck = -Infinity;
  private lastKey = '';
  private readonly now: () => number;
  private readonly minCheckMs: number;

  constructor(private readonly options: QuietHoursOptions) {
    this.now = options.now ?? Date.now;
    this.minCheckMs = options.minCheckMs ?? 10_000;
  }

  get holding(): boolean {
    return this.held;
  }

  check(at = this.now()): boolean {
    const s = this.options.settings();
    const key = s ? `${s.start}-${s.end}-${s.backlog}` : '';
    // A changed setting is applied at once; otherwise the backlog is counted every minCheckMs at most.
    if (key === this.lastKey && at - this.lastCheck < this.minCheckMs) return this.held;
    this.lastKey = key;
    this.lastCheck = at;
    if (!s) return this.release('Quiet hours turned off: background work runs at any time', at);
    if (inWindow(localMinute(at), s.start, s.end)) return this.release(`Quiet hours began (${s.start}–${s.end}): held background work runs now`, at);
    const backlog = this.options.work.backlog();
    if (backlog <= s.backlog) return this.release(`${backlog} job${backlog === 1 ? '' : 's'} waiting, within the ${s.backlog} allowed outside quiet hours: background work runs`, at);
    const reason = `Held until ${s.start}: ${backlog} jobs waiting`;
    this.options.work.pause(QUIET_HOURS_PAUSE, reason);
    if (!this.held) {
      this.held = true;
      this.options.activity.add('quiet-hours.hold', reason, { data: { backlog, limit: s.backlog, window: { start: s.start, end: s.end }, at: new Date(at).toISOString() } });
    }
    return true;
  }

  /** Lifts the hold (hearthd stopping). */
  stop(): void {
    this.options.work.resume(QUIET_HOURS_PAUSE);
    this.held = false;
    this.lastKey = '';
    this.lastCheck = -Infinity;
  }

  private release(message: string, at: number): false {
    if (this.held) {
      this.held = false;
      this.options.work.resume(QUIET_HOURS_PAUSE);
      this.options.activity.add('quiet-hours.release', message, { data: { at: new Date(at).toISOString() } });
    }
    return false;
  }
}
