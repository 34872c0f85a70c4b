import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HearthDatabase } from '../../appliance/src/store/store.js';
import { createLogger } from '../../appliance/src/log.js';
import {
  ScheduleTrigger,
  checkSchedule,
  latestSlotAt,
  nextRunAt,
  type SetTimer,
} from '../../appliance/src/agents/triggers/schedule-trigger.js';

const log = createLogger('test', 'error');
const BERLIN = 'Europe/Berlin';
const DAILY_7 = { cron: '0 7 * * *', timezone: BERLIN, catchUp: true };
const iso = (s: string) => Date.parse(s);

/** A fake clock: timers run only when the test moves time past them, in order. */
class FakeClock {
  longestDelay = 0;
  private timers: { at: number; fn: () => void }[] = [];
  constructor(public now: number) {}
  get = (): number => this.now;
  setTimer: SetTimer = (fn, delayMs) => {
    this.longestDelay = Math.max(this.longestDelay, delayMs);
    const t = { at: this.now + delayMs, fn };
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  };
  get pending(): number {
    return this.timers.length;
  }
  /** Runs every timer due up to `to`, each at its own time. */
  advanceTo(to: number): void {
    for (;;) {
      const due = this.timers.filter((t) => t.at <= to).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = Math.max(this.now, due.at);
      due.fn();
    }
    this.now = to;
  }
  /** The wall clock jumps (NTP at boot) without timers running; they run late, at their next wake. */
  jumpTo(to: number): void {
    this.now = to;
  }
}

function setup(t: { after: (fn: () => void) => void }, start: string) {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-schedule-'));
  const store = new HearthDatabase(dir, log);
  store.open();
  const clock = new FakeClock(iso(start));
  const slots: { agent: string; slot: string; missed: boolean; at: string }[] = [];
  let failNext = false;
  const trigger = new ScheduleTrigger({
    store,
    log,
    now: clock.get,
    setTimer: clock.setTimer,
    onSlot: (agent, slot, missed) => {
      if (failNext) {
        failNext = false;
        throw new Error('queue is full');
      }
      slots.push({ agent, slot: slot.toISOString(), missed, at: new Date(clock.now).toISOString() });
    },
  });
  const lastSlot = (agent: string): string | null => {
    const row = store.db.prepare('SELECT last_slot_at FROM schedule_state WHERE agent = ?').get(agent) as { last_slot_at: number } | undefined;
    return row ? new Date(row.last_slot_at).toISOString() : null;
  };
  const setLastSlot = (agent: string, at: string) =>
    store.db.prepare('INSERT OR REPLACE INTO schedule_state (agent, last_slot_at) VALUES (?, ?)').run(agent, iso(at));
  t.after(() => {
    trigger.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, clock, trigger, slots, lastSlot, setLastSlot, failOnce: () => (failNext = true) };
}

test('checkSchedule accepts good schedules and explains bad ones', () => {
  assert.equal(checkSchedule('0 7 * * *', BERLIN), null);
  assert.equal(checkSchedule('30 6 * * MON-FRI', null), null);
  assert.equal(checkSchedule('@daily', 'UTC'), null);
  const badZone = checkSchedule('0 7 * * *', 'Mars/Olympus');
  assert.match(badZone ?? '', /"Mars\/Olympus" is not a time zone.*Europe\/Berlin/);
  const badCron = checkSchedule('0 25 * * *', BERLIN);
  assert.match(badCron ?? '', /"0 25 \* \* \*" is not a schedule.*hour.*"0 7 \* \* \*"/);
  assert.match(checkSchedule('every morning', null) ?? '', /not a schedule/);
  assert.match(checkSchedule('0 0 7 * * *', null) ?? '', /five fields/, 'seconds are refused: minute resolution');
  assert.match(checkSchedule('0 7 31 2 *', null) ?? '', /never comes round/);
});

test('nextRunAt is strictly after, latestSlotAt includes the instant itself, both in the given zone', () => {
  // 2026-01-15 07:00 in Berlin (CET, UTC+1) is 06:00Z.
  assert.equal(nextRunAt('0 7 * * *', BERLIN, new Date('2026-01-15T05:59:59.500Z'))?.toISOString(), '2026-01-15T06:00:00.000Z');
  assert.equal(nextRunAt('0 7 * * *', BERLIN, new Date('2026-01-15T06:00:00.000Z'))?.toISOString(), '2026-01-16T06:00:00.000Z');
  assert.equal(latestSlotAt('0 7 * * *', BERLIN, new Date('2026-01-15T06:00:00.000Z'))?.toISOString(), '2026-01-15T06:00:00.000Z');
  assert.equal(latestSlotAt('0 7 * * *', BERLIN, new Date('2026-01-15T05:59:59.999Z'))?.toISOString(), '2026-01-14T06:00:00.000Z');
  assert.equal(nextRunAt('bad', BERLIN, new Date()), null);
});

test('daily 07:00 Europe/Berlin fires at 07:00 local across both DST changes, re-armed after each slot', (t) => {
  const { clock, trigger, slots, lastSlot } = setup(t, '2026-03-27T12:00:00Z');
  assert.equal(trigger.set('briefing', DAILY_7), null);
  assert.equal(trigger.nextRun('briefing')?.toISOString(), '2026-03-28T06:00:00.000Z');
  clock.advanceTo(iso('2026-03-31T00:00:00Z'));
  // 29 March 2026: clocks go forward, 07:00 CEST is 05:00Z.
  assert.deepEqual(
    slots.map((s) => [s.slot, s.at, s.missed]),
    [
      ['2026-03-28T06:00:00.000Z', '2026-03-28T06:00:00.000Z', false],
      ['2026-03-29T05:00:00.000Z', '2026-03-29T05:00:00.000Z', false],
      ['2026-03-30T05:00:00.000Z', '2026-03-30T05:00:00.000Z', false],
    ],
  );
  assert.equal(lastSlot('briefing'), '2026-03-30T05:00:00.000Z');
  assert.equal(trigger.nextRun('briefing')?.toISOString(), '2026-03-31T05:00:00.000Z');
  // 25 October 2026: clocks go back, 07:00 CET is 06:00Z again.
  slots.length = 0;
  clock.jumpTo(iso('2026-10-23T12:00:00Z'));
  trigger.set('briefing', { ...DAILY_7, catchUp: false });
  clock.advanceTo(iso('2026-10-27T00:00:00Z'));
  assert.deepEqual(
    slots.map((s) => s.slot),
    ['2026-10-24T05:00:00.000Z', '2026-10-25T06:00:00.000Z', '2026-10-26T06:00:00.000Z'],
  );
  assert.ok(clock.longestDelay <= 10 * 60_000, `timers are capped (longest ${clock.longestDelay} ms)`);
});

test('catch-up: a slot missed since yesterday runs once at set(), marked missed', (t) => {
  const { trigger, slots, lastSlot, setLastSlot } = setup(t, '2026-06-10T07:30:00Z'); // 09:30 in Berlin (CEST)
  setLastSlot('briefing', '2026-06-09T05:00:00Z'); // yesterday 07:00
  trigger.set('briefing', DAILY_7);
  assert.deepEqual(slots, [{ agent: 'briefing', slot: '2026-06-10T05:00:00.000Z', missed: true, at: '2026-06-10T07:30:00.000Z' }]);
  assert.equal(lastSlot('briefing'), '2026-06-10T05:00:00.000Z');
  assert.equal(trigger.nextRun('briefing')?.toISOString(), '2026-06-11T05:00:00.000Z');
  // Restarting again the same morning finds nothing missed.
  trigger.stop();
  const again = setup(t, '2026-06-10T08:00:00Z');
  again.setLastSlot('briefing', lastSlot('briefing')!);
  again.trigger.set('briefing', DAILY_7);
  assert.equal(again.slots.length, 0);
});

test('box off for three days: one catch-up (the latest slot), not three', (t) => {
  const { trigger, slots, lastSlot, setLastSlot } = setup(t, '2026-06-10T07:30:00Z');
  setLastSlot('briefing', '2026-06-07T05:00:00Z');
  trigger.set('briefing', DAILY_7);
  assert.deepEqual(slots.map((s) => [s.slot, s.missed]), [['2026-06-10T05:00:00.000Z', true]]);
  assert.equal(lastSlot('briefing'), '2026-06-10T05:00:00.000Z');
});

test('catchUp false: a missed slot is passed over (and recorded so), the next one runs on time', (t) => {
  const { clock, trigger, slots, lastSlot, setLastSlot } = setup(t, '2026-06-10T07:30:00Z');
  setLastSlot('briefing', '2026-06-09T05:00:00Z');
  trigger.set('briefing', { ...DAILY_7, catchUp: false });
  assert.equal(slots.length, 0);
  assert.equal(lastSlot('briefing'), '2026-06-10T05:00:00.000Z');
  clock.advanceTo(iso('2026-06-11T05:00:00Z'));
  assert.deepEqual(slots.map((s) => [s.slot, s.missed]), [['2026-06-11T05:00:00.000Z', false]]);
});

test('a fresh agent (no row) runs nothing at once; its row records the latest past slot', (t) => {
  const { trigger, slots, lastSlot } = setup(t, '2026-06-10T07:30:00Z');
  assert.equal(lastSlot('briefing'), null);
  trigger.set('briefing', DAILY_7);
  assert.equal(slots.length, 0);
  assert.equal(lastSlot('briefing'), '2026-06-10T05:00:00.000Z');
  assert.equal(trigger.nextRun('briefing')?.toISOString(), '2026-06-11T05:00:00.000Z');
});

test('editing the schedule re-arms it without running a slot at once', (t) => {
  const { clock, trigger, slots } = setup(t, '2026-06-10T07:30:00Z');
  trigger.set('briefing', DAILY_7);
  trigger.set('briefing', { ...DAILY_7, cron: '0 8 * * *' }); // 08:00 today has passed
  assert.equal(slots.length, 0);
  assert.equal(clock.pending, 1, 'the old timer was cancelled');
  assert.equal(trigger.nextRun('briefing')?.toISOString(), '2026-06-11T06:00:00.000Z');
  clock.advanceTo(iso('2026-06-11T06:00:00Z'));
  assert.deepEqual(slots.map((s) => s.slot), ['2026-06-11T06:00:00.000Z']);
});

test('an invalid schedule arms nothing and says why', (t) => {
  const { clock, trigger, lastSlot } = setup(t, '2026-06-10T07:30:00Z');
  trigger.set('custom', DAILY_7);
  assert.match(trigger.set('custom', { cron: '0 7 * *', timezone: BERLIN, catchUp: true }) ?? '', /not a schedule/);
  assert.equal(trigger.nextRun('custom'), null);
  assert.equal(clock.pending, 0, 'the previous timer is gone too');
  assert.match(trigger.set('other', { cron: '0 7 * * *', timezone: 'Nowhere/Town', catchUp: true }) ?? '', /not a time zone/);
  assert.equal(lastSlot('other'), null);
});

test('remove stops the timer and keeps the state; forget drops the state', (t) => {
  const { clock, trigger, slots, lastSlot } = setup(t, '2026-06-10T07:30:00Z');
  trigger.set('a', { cron: '*/15 * * * *', timezone: 'UTC', catchUp: true });
  trigger.set('b', { cron: '*/15 * * * *', timezone: 'UTC', catchUp: true });
  clock.advanceTo(iso('2026-06-10T08:00:00Z'));
  assert.equal(slots.length, 4, 'both ran at 07:45 and 08:00');
  trigger.remove('a');
  trigger.forget('b');
  assert.equal(trigger.nextRun('a'), null);
  assert.equal(clock.pending, 0);
  clock.advanceTo(iso('2026-06-10T12:00:00Z'));
  assert.equal(slots.length, 4);
  assert.equal(lastSlot('a'), '2026-06-10T08:00:00.000Z');
  assert.equal(lastSlot('b'), null);
});

test('a clock set forward (no RTC, NTP at boot) is noticed within the timer cap: one late slot, missed', (t) => {
  const { clock, trigger, slots } = setup(t, '2026-06-10T07:30:00Z');
  trigger.set('briefing', DAILY_7);
  clock.jumpTo(iso('2026-06-13T09:00:00Z'));
  clock.advanceTo(iso('2026-06-13T09:10:00Z'));
  assert.deepEqual(slots.map((s) => [s.slot, s.missed]), [['2026-06-13T05:00:00.000Z', true]]);
  assert.equal(trigger.nextRun('briefing')?.toISOString(), '2026-06-14T05:00:00.000Z');
});

test('a slot whose onSlot throws is not recorded, and the schedule carries on', (t) => {
  const { clock, trigger, slots, lastSlot, failOnce } = setup(t, '2026-06-10T07:30:00Z');
  trigger.set('briefing', DAILY_7);
  failOnce();
  clock.advanceTo(iso('2026-06-11T05:00:00Z'));
  assert.equal(slots.length, 0);
  assert.equal(lastSlot('briefing'), '2026-06-10T05:00:00.000Z', 'the failed slot is offered again at the next start');
  clock.advanceTo(iso('2026-06-12T05:00:00Z'));
  assert.deepEqual(slots.map((s) => s.slot), ['2026-06-12T05:00:00.000Z']);
});

test('a last slot in the future (a clock that was wrong) is reset, not waited for', (t) => {
  const { clock, trigger, slots, lastSlot, setLastSlot } = setup(t, '2026-06-10T07:30:00Z');
  setLastSlot('briefing', '2030-01-01T06:00:00Z');
  trigger.set('briefing', DAILY_7);
  assert.equal(lastSlot('briefing'), '2026-06-10T05:00:00.000Z');
  clock.advanceTo(iso('2026-06-11T05:00:00Z'));
  assert.equal(slots.length, 1);
});
