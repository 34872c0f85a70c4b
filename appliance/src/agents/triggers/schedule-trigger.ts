import type { Statement } from 'better-sqlite3';
import { Cron } from 'croner';
import type { Logger } from '../../log.js';
import { perConnection, type HearthDatabase } from '../../store/store.js';

/** Starts a timer; returns what cancels it. Injectable so tests run on a fake clock. */
export type SetTimer = (fn: () => void, delayMs: number) => () => void;

export interface Schedule {
  cron: string;
  /** An IANA name; null: the box's own time zone. */
  timezone: string | null;
  /** Run a slot missed while hearthd was not running, once, when set() first sees it. */
  catchUp: boolean;
}

export interface ScheduleTriggerOptions {
  store: HearthDatabase;
  log: Logger;
  now?: () => number;
  setTimer?: SetTimer;
  /** A slot has come (missed: it is late, e.g. the box was off). Recorded in schedule_state once this returns. */
  onSlot: (agentId: string, slot: Date, missed: boolean) => void;
}

// A timer never waits longer than this: a Raspberry Pi without a real-time clock may set its clock
// forward by days at boot (NTP), and a long timer would not notice. setTimeout itself stops at 2^31-1 ms.
const MAX_TIMER_MS = 10 * 60_000;
const EXAMPLE = 'five fields: minute hour day-of-month month day-of-week, e.g. "0 7 * * *" for 07:00 every day';

const defaultSetTimer: SetTimer = (fn, delayMs) => {
  const t = setTimeout(fn, delayMs);
  t.unref(); // a schedule alone must not keep the process alive
  return () => clearTimeout(t);
};

/** null when the schedule is fine, else a message a person can act on. */
export function checkSchedule(cron: string, timezone: string | null): string | null {
  if (timezone !== null) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: timezone });
    } catch {
      return `"${timezone}" is not a time zone Hearth knows; use a name like Europe/Berlin or America/New_York.`;
    }
  }
  let pattern: Cron;
  try {
    pattern = parse(cron, timezone);
  } catch (err) {
    const why = (err as Error).message.replace(/^Cron(Pattern|Date)?:\s*/, '');
    return `"${cron}" is not a schedule Hearth understands (${why}). Write ${EXAMPLE}.`;
  }
  if (pattern.nextRun(new Date()) === null) return `"${cron}" never comes round (a date like 31 February?). Write ${EXAMPLE}.`;
  return null;
}

/** The first slot strictly after `after`; null for an invalid or never-recurring schedule. */
export function nextRunAt(cron: string, timezone: string | null, after: Date): Date | null {
  try {
    return parse(cron, timezone).nextRun(after);
  } catch {
    return null;
  }
}

/** The latest slot at or before `at`; null when there is none (or the schedule is invalid). */
export function latestSlotAt(cron: string, timezone: string | null, at: Date): Date | null {
  try {
    // previousRuns is strict; 1 ms later includes a slot exactly at `at` (slots are whole minutes).
    return parse(cron, timezone).previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
  } catch {
    return null;
  }
}

// Parsed patterns by (cron, time zone): config changes are rare, so a small cache is plenty.
const parsed = new Map<string, Cron>();
function parse(cron: string, timezone: string | null): Cron {
  const key = `${timezone ?? ''}\u0000${cron}`;
  let c = parsed.get(key);
  if (!c) {
    // Minute resolution: a six-field (seconds) schedule could wake a model every second.
    c = new Cron(cron.trim(), { timezone: timezone ?? undefined, paused: true, mode: '5-part' });
    if (parsed.size >= 200) parsed.clear();
    parsed.set(key, c);
  }
  return c;
}

interface Armed {
  schedule: Schedule;
  /** The slot last handed to onSlot (or recorded as passed), ms. */
  lastSlot: number;
  next: Date | null;
  cancel: (() => void) | null;
}

/**
 * Runs agents on cron schedules with its own timers (re-armed after each slot, never longer than
 * MAX_TIMER_MS). schedule_state keeps the slot last handed out, so a slot missed while the box was
 * off is caught up once at start-up (the latest one only, like anacron) when the agent asks for it.
 */
export class ScheduleTrigger {
  private readonly store: HearthDatabase;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly setTimer: SetTimer;
  private readonly onSlot: ScheduleTriggerOptions['onSlot'];
  private readonly agents = new Map<string, Armed>();
  private readonly statements = perConnection(() => this.store, () => this.prepare());

  constructor(options: ScheduleTriggerOptions) {
    this.store = options.store;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? defaultSetTimer;
    this.onSlot = options.onSlot;
  }

  /**
   * (Re)arms an agent's schedule. The first time in this process a missed slot is caught up (if
   * catchUp); a re-arm (the schedule was edited) never runs anything at once. A fresh agent (no
   * schedule_state row) starts from now. Returns null, or checkSchedule's message (nothing armed).
   */
  set(agentId: string, schedule: Schedule): string | null {
    const rearm = this.agents.has(agentId);
    this.disarm(agentId);
    const problem = checkSchedule(schedule.cron, schedule.timezone);
    if (problem) {
      this.log.warn(`agent ${agentId} is not scheduled: ${problem}`);
      return problem;
    }
    const now = this.now();
    const latest = latestSlotAt(schedule.cron, schedule.timezone, new Date(now))?.getTime() ?? null;
    const row = this.s.get.get(agentId) as { last_slot_at: number } | undefined;
    const entry: Armed = { schedule, lastSlot: row?.last_slot_at ?? 0, next: null, cancel: null };
    this.agents.set(agentId, entry);
    if (!row || entry.lastSlot > now) {
      // Fresh agent, or a slot "in the future" from a clock that was wrong: start from now, nothing to catch up.
      this.record(agentId, entry, latest ?? now);
    } else if (latest !== null && latest > entry.lastSlot) {
      if (schedule.catchUp && !rearm) this.fire(agentId, entry, latest, true);
      else this.record(agentId, entry, latest); // passed over on purpose: not caught up later either
    }
    if (this.agents.get(agentId) === entry) this.arm(agentId, entry);
    return null;
  }

  /** Stops the agent's timer; its schedule_state stays (a later set() catches up from it). */
  remove(agentId: string): void {
    this.disarm(agentId);
  }

  /** Stops the timer and forgets the last slot: for an agent deleted or switched off, so turning it on later does not catch up. */
  forget(agentId: string): void {
    this.disarm(agentId);
    this.s.remove.run(agentId);
  }

  nextRun(agentId: string): Date | null {
    return this.agents.get(agentId)?.next ?? null;
  }

  /** Stops every timer; schedule_state is kept for the next start. */
  stop(): void {
    for (const id of [...this.agents.keys()]) this.disarm(id);
  }

  private disarm(agentId: string): void {
    const entry = this.agents.get(agentId);
    if (!entry) return;
    entry.cancel?.();
    entry.cancel = null;
    this.agents.delete(agentId);
  }

  private arm(agentId: string, entry: Armed): void {
    const now = this.now();
    entry.next = nextRunAt(entry.schedule.cron, entry.schedule.timezone, new Date(now));
    if (!entry.next) return;
    const delay = Math.min(Math.max(0, entry.next.getTime() - now), MAX_TIMER_MS);
    entry.cancel = this.setTimer(() => this.wake(agentId, entry), delay);
  }

  private wake(agentId: string, entry: Armed): void {
    entry.cancel = null;
    if (this.agents.get(agentId) !== entry) return;
    const now = this.now();
    if (entry.next && now >= entry.next.getTime()) {
      // Late (a suspended box, a clock set forward): the latest slot only, and it counts as missed.
      const slot = latestSlotAt(entry.schedule.cron, entry.schedule.timezone, new Date(now))?.getTime() ?? entry.next.getTime();
      if (slot > entry.lastSlot) this.fire(agentId, entry, slot, slot !== entry.next.getTime());
    }
    if (this.agents.get(agentId) === entry) this.arm(agentId, entry);
  }

  private fire(agentId: string, entry: Armed, slot: number, missed: boolean): void {
    try {
      this.onSlot(agentId, new Date(slot), missed);
    } catch (err) {
      // Not recorded: a restart with catchUp offers this slot again.
      this.log.error(`agent ${agentId}: the ${new Date(slot).toISOString()} slot failed to start: ${(err as Error).message}`);
      return;
    }
    this.record(agentId, entry, slot);
  }

  private record(agentId: string, entry: Armed, slot: number): void {
    entry.lastSlot = slot;
    this.s.upsert.run(agentId, slot);
  }

  private get s() {
    return this.statements();
  }

  private prepare() {
    const db = this.store.db;
    const st = (sql: string): Statement => db.prepare(sql);
    return {
      get: st('SELECT last_slot_at FROM schedule_state WHERE agent = ?'),
      upsert: st(`INSERT INTO schedule_state (agent, last_slot_at) VALUES (?, ?)
                  ON CONFLICT (agent) DO UPDATE SET last_slot_at = excluded.last_slot_at`),
      remove: st('DELETE FROM schedule_state WHERE agent = ?'),
    };
  }
}
