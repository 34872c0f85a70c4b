import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HearthDatabase } from '../../appliance/src/store/store.js';
import { createLogger } from '../../appliance/src/log.js';
import { RunLog } from '../../appliance/src/agents/run-log.js';
import { EnergyMeter, offPeakWindows, startOfDay, startOfMonth, startOfWeek, type Tariff } from '../../appliance/src/telemetry/energy.js';
import { MINUTE_MS } from '../../appliance/src/telemetry/history.js';
import { makeSample } from '../helpers/telemetry-history.js';

// Local-time boundaries are the point of some tests here: a zone one hour off UTC, with summer time.
process.env.TZ = 'Europe/Berlin';

const log = createLogger('test', 'error');
/** Friday 2026-11-27 09:00 in Berlin (08:00 UTC). */
const T0 = Date.UTC(2026, 10, 27, 8, 0, 0);

function setup(t: { after: (fn: () => void) => void }, options: { intervalMs?: number; tariff?: Tariff; now?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-energy-'));
  const store = new HearthDatabase(dir, log);
  store.open();
  // Thousands of minute commits in a test: no fsync each (the daemon keeps FULL).
  store.db.pragma('synchronous = OFF');
  const clock = { now: options.now ?? T0 };
  const tariff = options.tariff ?? { currency: 'EUR', pricePerKwh: 0.3, offPeak: null };
  const names: Record<string, string> = { librarian: 'Librarian', briefing: 'Morning briefing' };
  const make = () =>
    new EnergyMeter({
      store,
      tariff: () => tariff,
      intervalMs: () => options.intervalMs ?? 1000,
      now: () => clock.now,
      agentName: (id) => names[id] ?? id,
      activeModel: () => 'm1',
    });
  const meter = make();
  meter.start();
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, clock, meter, make };
}

const close = (actual: number | null, expected: number, eps = 1e-6) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= eps, `expected ${expected}, got ${actual}`);

const energyRows = (store: HearthDatabase) => store.db.prepare('SELECT t, mj, est_mj AS est, covered_ms AS covered FROM telemetry_energy ORDER BY t').all();

test('energy is the trapezoid integral of system power, cut exactly at minute boundaries; gaps over 3 intervals and absent readings are not bridged', (t) => {
  const { store, clock, meter } = setup(t);
  const feed = (s: number, w: number | null, estimated = false) => {
    clock.now = T0 + s * 1000;
    meter.add(makeSample(clock.now, { powerW: w, estimated }));
  };
  feed(0, 10);
  feed(1, 20); // 15 J
  feed(2, 30); // 25 J
  feed(5, 30); // 3 s = 3 intervals: bridged, 90 J
  feed(11, 50); // 6 s: a gap, not bridged
  feed(12, 50); // 50 J
  feed(13, null); // no reading
  feed(14, 40); // after an absent reading: not bridged
  feed(15, 40, true); // 40 J, from an estimate
  feed(58, 60); // gap
  assert.deepEqual(energyRows(store), [], 'nothing written while the minute is open');
  feed(61, 90); // 58 s..61 s crosses the minute: P(60 s) = 80 W -> 140 J in minute 0, 85 J in minute 1
  close(meter.energyBetween(T0 + 500, T0 + 1500).joules, 20); // 8.75 + 11.25
  feed(121, 10); // a gap again; closes minute 1
  const m0 = T0 / MINUTE_MS;
  assert.deepEqual(energyRows(store), [
    { t: m0, mj: 360_000, est: 40_000, covered: 9000 },
    { t: m0 + 1, mj: 85_000, est: 0, covered: 1000 },
  ]);
  assert.deepEqual(meter.totalJoules(), { measured: 405, estimated: 40 });
  const e = meter.energyBetween(T0, T0 + 121_000);
  close(e.joules, 445);
  assert.equal(e.coveredMs, 10_000);
  assert.equal(e.estimated, true);
});

test('kWh today, this week (from Monday) and this month are counted from local midnight, with coverage', (t) => {
  // Wednesday 2026-11-25 10:00 in Berlin; 3.6 kW for days before it, one sample a minute.
  const now = new Date(2026, 10, 25, 10, 0).getTime();
  const { clock, meter } = setup(t, { intervalMs: 60_000, now });
  for (let at = new Date(2026, 9, 31, 20, 0).getTime(); at <= now; at += MINUTE_MS) {
    clock.now = at;
    meter.add(makeSample(at, { powerW: 3600 }));
  }
  assert.equal(startOfDay(now), new Date(2026, 10, 25).getTime());
  assert.equal(new Date(startOfWeek(now)).getDay(), 1);
  assert.equal(startOfWeek(now), new Date(2026, 10, 23).getTime());
  assert.equal(startOfMonth(now), new Date(2026, 10, 1).getTime());
  const s = meter.summary();
  // 3.6 kW = 3.6 kWh an hour: today 10 h, the week 58 h (Mon 00:00 to Wed 10:00), the month 24 days 10 h.
  close(s.today.kwh, 36);
  close(s.week.kwh, 208.8);
  close(s.month.kwh, 586 * 3.6);
  close(s.today.cost, 36 * 0.3, 1e-4);
  assert.equal(s.today.offPeakKwh, null);
  assert.equal(s.today.estimated, false);
  assert.equal(s.today.coverage, 1);
  assert.equal(s.today.from, new Date(2026, 10, 25).toISOString());
  assert.equal(s.today.from, '2026-11-24T23:00:00.000Z', 'local midnight, not UTC midnight');
  assert.equal(s.month.currency, 'EUR');
});

test('the off-peak window across midnight is priced apart, in local time', (t) => {
  const now = new Date(2026, 10, 25, 10, 0).getTime();
  const tariff: Tariff = { currency: 'EUR', pricePerKwh: 0.3, offPeak: { start: '22:00', end: '06:00', pricePerKwh: 0.1 } };
  const { clock, meter } = setup(t, { intervalMs: 60_000, now, tariff });
  for (let at = new Date(2026, 9, 31, 20, 0).getTime(); at <= now; at += MINUTE_MS) {
    clock.now = at;
    meter.add(makeSample(at, { powerW: 3600 }));
  }
  const s = meter.summary();
  // Today: 00:00-06:00 off-peak (the window that began yesterday at 22:00), 06:00-10:00 peak.
  close(s.today.offPeakKwh, 21.6);
  close(s.today.cost, 14.4 * 0.3 + 21.6 * 0.1, 1e-4);
  // Week: Mon 00-06, Mon 22-Tue 06, Tue 22-Wed 06 = 22 h off-peak of 58 h.
  close(s.week.offPeakKwh, 22 * 3.6);
  close(s.week.cost, 36 * 3.6 * 0.3 + 22 * 3.6 * 0.1, 1e-4);
  // Month: Nov 1 00-06 and 24 whole nights = 198 h off-peak of 586 h.
  close(s.month.offPeakKwh, 198 * 3.6);
  close(s.month.cost, 388 * 3.6 * 0.3 + 198 * 3.6 * 0.1, 1e-4);

  // The night summer time ends (25 October 2026) has a 9-hour window; a same-day window works too.
  const dst = offPeakWindows({ start: '22:00', end: '06:00' }, new Date(2026, 9, 24, 12).getTime(), new Date(2026, 9, 25, 12).getTime());
  assert.deepEqual(dst.map(([a, b]) => (b - a) / 3_600_000), [9]);
  const day = offPeakWindows({ start: '01:00', end: '05:30' }, new Date(2026, 10, 2).getTime(), new Date(2026, 10, 4, 3).getTime());
  assert.deepEqual(day.map(([a, b]) => (b - a) / 3_600_000), [4.5, 4.5, 2]);
  assert.deepEqual(offPeakWindows({ start: '06:00', end: '06:00' }, 0, Date.now()), []);
});

test('no power reading: no kWh (null, never 0); an estimate is labelled estimated', (t) => {
  const { clock, meter } = setup(t);
  for (let i = 0; i < 90; i++) {
    clock.now = T0 + i * 1000;
    meter.add(makeSample(clock.now, { powerW: null }));
  }
  const none = meter.summary().today;
  assert.equal(none.kwh, null);
  assert.equal(none.cost, null);
  assert.equal(none.coverage, 0);
  for (let i = 90; i < 150; i++) {
    clock.now = T0 + i * 1000;
    meter.add(makeSample(clock.now, { powerW: 36, estimated: true }));
  }
  const est = meter.summary().today;
  close(est.kwh, (36 * 59) / 3.6e6);
  assert.equal(est.estimated, true);
  assert.deepEqual(meter.totalJoules(), { measured: 0, estimated: 36 * 59 });
});

test('per-run energy: shared by tokens between overlapping runs, stored in runs.energy_j once the overlapping runs finish; J per 1k tokens; per agent', (t) => {
  const { store, clock, meter, make } = setup(t);
  const runs = new RunLog(store, () => clock.now);
  // 100 W throughout, one sample a second.
  let s = 0;
  const until = (second: number) => {
    for (; s <= second; s++) {
      clock.now = T0 + s * 1000;
      meter.add(makeSample(clock.now, { powerW: 100 }));
    }
    clock.now = T0 + second * 1000;
  };
  const start = (agent: string) => runs.start({ jobId: null, agent, trigger: 'folder', input: {}, model: 'm1' });
  const finish = (id: number, prompt: number, generated: number) =>
    runs.finish(id, { outcome: 'done', model: 'm1', usage: { calls: 1, promptTokens: prompt, generatedTokens: generated, ttftMs: 5, modelMs: 100 } });
  const energyOf = (id: number) => runs.get(id)!.energyJ;

  // Same minute, both at once: 6000 J shared 300:100 (the contract's formula).
  until(0);
  const a = start('librarian');
  const b = start('briefing');
  until(60);
  finish(a, 100, 200);
  finish(b, 50, 50);
  meter.attributeRun(a);
  meter.attributeRun({ id: b });
  close(energyOf(a), 4500);
  close(energyOf(b), 1500);

  // Overlapping in part: C 100-160 s, D 130-190 s, 600 tokens each (10 a second).
  until(100);
  const c = start('librarian');
  until(130);
  const d = start('briefing');
  until(160);
  finish(c, 100, 500);
  meter.attributeRun(c);
  until(170);
  assert.equal(energyOf(c), null, 'C waits while D, which overlaps it, still runs');
  until(190);
  finish(d, 100, 500);
  meter.attributeRun(d);
  // C: 30 s alone (3000 J) + 30 s shared half and half (1500 J); D the mirror image.
  close(energyOf(c), 4500);
  close(energyOf(d), 4500);
  close(energyOf(c)! + energyOf(d)!, meter.energyBetween(T0 + 100_000, T0 + 190_000).joules, 1e-9);

  // A run without tokens, alone, gets the whole stretch; a run handed in before the samples reach its end waits for them.
  until(200);
  const e = start('custom-1');
  clock.now = T0 + 210_000;
  finish(e, 0, 0);
  meter.attributeRun(e);
  assert.equal(energyOf(e), null, 'no sample at or after its end yet');
  until(210);
  close(energyOf(e), 1000);

  // J per 1,000 generated tokens of the model: all its runs' energy over their generated tokens (E generated none).
  const per1k = meter.joulesPer1kTokens();
  assert.equal(per1k?.model, 'm1');
  close(per1k!.value, ((4500 + 1500 + 4500 + 4500) / (200 + 50 + 500 + 500)) * 1000);
  assert.equal(per1k?.runs, 4);
  assert.equal(per1k?.estimated, false);

  // An older run this month counts for the month, not today.
  clock.now = new Date(2026, 10, 25, 12).getTime();
  const old = start('librarian');
  finish(old, 10, 10);
  store.db.prepare('UPDATE runs SET energy_j = 777 WHERE id = ?').run(old);
  clock.now = T0 + 210_000;
  const agents = meter.agents();
  assert.deepEqual(
    agents.map((x) => ({ ...x, todayJ: Math.round(x.todayJ), monthJ: Math.round(x.monthJ) })),
    [
      { agent: 'librarian', name: 'Librarian', todayJ: 9000, monthJ: 9777, runs: 3 },
      { agent: 'briefing', name: 'Morning briefing', todayJ: 6000, monthJ: 6000, runs: 2 },
      { agent: 'custom-1', name: 'custom-1', todayJ: 1000, monthJ: 1000, runs: 1 },
    ],
  );
  assert.deepEqual(
    meter.agentTotals().map((x) => [x.agent, Math.round(x.joules)]),
    [
      ['briefing', 6000],
      ['custom-1', 1000],
      ['librarian', 9777],
    ],
  );
  const report = meter.report();
  assert.equal(report.agents.length, 3);
  close(report.today.kwh, meter.energyBetween(T0, T0 + 210_000).joules / 3.6e6);

  // A run that ended while hearthd went down is picked up at the next start and priced from the minute rows.
  until(300);
  const g = start('librarian');
  until(360);
  finish(g, 10, 10);
  meter.stop(); // stopped before the run was handed in
  assert.equal(energyOf(g), null);
  const again = make();
  again.start();
  assert.equal(energyOf(g), null, 'settled once a sample passes its end');
  clock.now = T0 + 400_000;
  again.add(makeSample(clock.now, { powerW: 100 }));
  close(energyOf(g), 6000, 1e-6);
  assert.deepEqual(again.totalJoules(), meter.totalJoules(), 'the all-time counter carries over a restart');
});
