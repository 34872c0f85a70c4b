import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clockMinutes, inWindow, QuietHours, type QuietHoursSettings } from '../../appliance/src/telemetry/quiet-hours.js';
import type { ActivitySink, BackgroundWork } from '../../appliance/src/telemetry/governor.js';

/** Local wall-clock time on 2026-11-27 (+ days), so the test holds in any time zone. */
const local = (hh: number, mm = 0, days = 0) => new Date(2026, 10, 27 + days, hh, mm).getTime();
const m = (hhmm: string) => clockMinutes(hhmm);

test('windows: across midnight, within a day, and all day', () => {
  assert.equal(m('22:30'), 22 * 60 + 30);
  assert.throws(() => clockMinutes('7:00'), /not a time of day/);
  const night = (t: string) => inWindow(m(t), '22:00', '06:00');
  assert.deepEqual(['21:59', '22:00', '23:30', '00:00', '05:59', '06:00', '12:00'].map(night), [false, true, true, true, true, false, false]);
  const day = (t: string) => inWindow(m(t), '13:00', '15:00');
  assert.deepEqual(['12:59', '13:00', '14:59', '15:00', '23:00'].map(day), [false, true, true, false, false]);
  assert.equal(inWindow(m('03:00'), '08:00', '08:00'), true);
});

class Work implements BackgroundWork {
  queued = 0;
  pauses = new Map<string, string>();
  log: string[] = [];
  pause(key: string, reason: string) {
    this.pauses.set(key, reason);
  }
  resume(key: string) {
    if (this.pauses.delete(key)) this.log.push(`resume ${key}`);
  }
  backlog() {
    this.log.push('count');
    return this.queued;
  }
}

function setup(settings: QuietHoursSettings | null) {
  let now = local(12);
  const work = new Work();
  const entries: { kind: string; message: string }[] = [];
  const activity: ActivitySink = { add: (kind, message) => entries.push({ kind, message }) };
  const current = { settings };
  const quiet = new QuietHours({ work, activity, settings: () => current.settings, now: () => now, minCheckMs: 10_000 });
  return { quiet, work, entries, current, at: (ms: number) => (now = ms) };
}

test('a large backlog waits for the window across midnight and runs in it; a small one runs any time', () => {
  const { quiet, work, entries, at } = setup({ start: '22:00', end: '06:00', backlog: 20 });
  work.queued = 5;
  at(local(12));
  assert.equal(quiet.check(), false, 'a small backlog runs in the afternoon');
  assert.equal(work.pauses.size, 0);

  work.queued = 140;
  at(local(12, 1));
  assert.equal(quiet.check(), true);
  assert.equal(work.pauses.get('quiet-hours'), 'Held until 22:00: 140 jobs waiting');

  at(local(21, 59));
  assert.equal(quiet.check(), true);
  at(local(22, 0));
  assert.equal(quiet.check(), false, 'the window opens at 22:00');
  assert.equal(work.pauses.size, 0);
  at(local(3, 0, 1));
  assert.equal(quiet.check(), false, 'still inside after midnight');
  at(local(5, 59, 1));
  assert.equal(quiet.check(), false);

  at(local(6, 0, 1));
  work.queued = 60;
  assert.equal(quiet.check(), true, 'the window closed with work left over');
  assert.equal(work.pauses.get('quiet-hours'), 'Held until 22:00: 60 jobs waiting');
  work.queued = 20;
  at(local(7, 0, 1));
  assert.equal(quiet.check(), false, 'the limit itself is small enough');

  assert.deepEqual(
    entries.map((e) => e.kind),
    ['quiet-hours.hold', 'quiet-hours.release', 'quiet-hours.hold', 'quiet-hours.release'],
  );
  assert.equal(entries[0]!.message, 'Held until 22:00: 140 jobs waiting');
  assert.match(entries[1]!.message, /Quiet hours began \(22:00–06:00\)/);
});

test('the backlog is counted at most every minCheckMs, but a changed setting applies at once', () => {
  const { quiet, work, current, at } = setup({ start: '22:00', end: '06:00', backlog: 20 });
  work.queued = 100;
  at(local(12, 0));
  quiet.check();
  at(local(12, 0) + 5_000);
  quiet.check();
  assert.equal(work.log.filter((l) => l === 'count').length, 1);
  at(local(12, 0) + 10_000);
  quiet.check();
  assert.equal(work.log.filter((l) => l === 'count').length, 2);
  assert.equal(quiet.holding, true);

  current.settings = null;
  at(local(12, 0) + 11_000);
  assert.equal(quiet.check(), false, 'quiet hours turned off releases at once');
  assert.deepEqual(work.log.slice(-1), ['resume quiet-hours']);

  current.settings = { start: '09:00', end: '17:00', backlog: 20 };
  at(local(12, 0) + 12_000);
  assert.equal(quiet.check(), false, 'now inside the new window');
  current.settings = { start: '20:00', end: '21:00', backlog: 200 };
  at(local(12, 0) + 13_000);
  assert.equal(quiet.check(), false, '100 is within the new limit');
  quiet.stop();
  assert.equal(work.pauses.size, 0);
});
