import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HearthDatabase } from '../../appliance/src/store/store.js';
import { createLogger } from '../../appliance/src/log.js';
import { HistoryQueryError, HOUR_MS, MINUTE_KEEP_MS, MINUTE_MS, TelemetryHistory, historySize, sampleMetrics } from '../../appliance/src/telemetry/history.js';
import { fillSyntheticYear, makeSample, TYPICAL_TEMPS } from '../helpers/telemetry-history.js';

const log = createLogger('test', 'error');
/** 2026-11-27 08:00:00 UTC: a whole hour, so minutes line up. */
const T0 = Date.UTC(2026, 10, 27, 8, 0, 0);

function setup(t: { after: (fn: () => void) => void }, intervalMs = 1000) {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-history-'));
  const store = new HearthDatabase(dir, log);
  store.open();
  const clock = { now: T0, interval: intervalMs };
  const make = () => new TelemetryHistory({ store, intervalMs: () => clock.interval, now: () => clock.now });
  const history = make();
  history.start();
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, store, clock, history, make };
}

const minuteRows = (store: HearthDatabase, metric: string) =>
  store.db
    .prepare('SELECT m.t, m.n, m.min, m.avg, m.max FROM telemetry_minute m JOIN telemetry_metrics x ON x.id = m.metric WHERE x.name = ? ORDER BY m.t')
    .all(metric) as { t: number; n: number; min: number; avg: number; max: number }[];

test('a sample gives the contract’s metrics; absent readings give none (never 0)', () => {
  const full = sampleMetrics(makeSample(T0, { powerW: 21.5, temps: TYPICAL_TEMPS, gpuPowerW: 80 })).map((m) => m.name);
  assert.deepEqual(full, [
    'cpu.load.pct',
    'mem.used.bytes',
    'power.system.w',
    'temp.max.c',
    'temp.hwmon.coretemp.temp1.c',
    'temp.hwmon.coretemp.temp2.c',
    'temp.hwmon.coretemp.temp3.c',
    'temp.hwmon.nvme.temp1.c',
    'disk.read.bps',
    'disk.write.bps',
    'net.rx.bps',
    'net.tx.bps',
    'gpu.power.w',
    'gpu.util.pct',
  ]);
  const bare = sampleMetrics(makeSample(T0, { powerW: null, temps: [], disk: null, net: null })).map((m) => m.name);
  assert.deepEqual(bare, ['cpu.load.pct', 'mem.used.bytes']);
  const hottest = sampleMetrics(makeSample(T0, { temps: TYPICAL_TEMPS })).find((m) => m.name === 'temp.max.c');
  assert.equal(hottest?.value, 55);
});

test('samples roll into per-minute min/avg/max rows as each minute closes; the last hour stays at full resolution', (t) => {
  const { store, clock, history } = setup(t);
  // Three minutes of 1 s samples, load 0..59 % in each minute, plus one sample opening the fourth minute.
  for (let i = 0; i <= 180; i++) {
    clock.now = T0 + i * 1000;
    history.add(makeSample(clock.now, { loadPct: (i % 60) + (Math.floor(i / 60) === 1 ? 0.25 : 0), powerW: 20 }));
  }
  const rows = minuteRows(store, 'cpu.load.pct');
  assert.equal(rows.length, 3, 'three closed minutes are written; the open one is not yet');
  const m0 = T0 / MINUTE_MS;
  // Stored ×10: avg of 0..59 = 29.5 -> 295; the second minute is +0.25 (avg 29.75 -> 297.5 -> 298).
  assert.deepEqual(rows[0], { t: m0, n: 60, min: 0, avg: 295, max: 590 });
  assert.deepEqual(rows[1], { t: m0 + 1, n: 60, min: 3, avg: 298, max: 593 });
  assert.deepEqual(rows[2], { t: m0 + 2, n: 60, min: 0, avg: 295, max: 590 });
  assert.deepEqual(minuteRows(store, 'mem.used.bytes')[0], { t: m0, n: 60, min: 4 * 2 ** 20, avg: 4 * 2 ** 20, max: 4 * 2 ** 20 }, 'bytes are kept in KiB');

  const full = history.query({ metric: 'cpu.load.pct', from: T0, to: T0 + 181_000, step: 'auto' });
  assert.equal(full.source, 'ring');
  assert.equal(full.step, 1);
  assert.equal(full.unit, '%');
  assert.equal(full.points.length, 181);
  assert.deepEqual(full.points[61], [T0 + 61_000, 1.25, 1.25, 1.25]);

  const perMinute = history.query({ metric: 'cpu.load.pct', from: T0, to: T0 + 4 * MINUTE_MS, step: 60 });
  assert.equal(perMinute.source, 'minute');
  assert.deepEqual(perMinute.points, [
    [T0, 0, 29.5, 59],
    [T0 + MINUTE_MS, 0.3, 29.8, 59.3],
    [T0 + 2 * MINUTE_MS, 0, 29.5, 59],
    [T0 + 3 * MINUTE_MS, 0, 0, 0], // the open minute, from memory
  ]);
  const fiveSeconds = history.query({ metric: 'cpu.load.pct', from: T0, to: T0 + 10_000, step: 5 });
  assert.deepEqual(fiveSeconds.points, [
    [T0, 0, 2, 4],
    [T0 + 5000, 5, 7, 9],
  ]);
  assert.deepEqual(
    history.metrics().find((m) => m.name === 'temp.hwmon.coretemp.temp1.c'),
    { name: 'temp.hwmon.coretemp.temp1.c', unit: 'C', label: 'Package id 0 temperature' },
  );
});

test('the ring holds one hour: 3600 / interval samples, and follows an interval change', (t) => {
  const { clock, history } = setup(t);
  for (let i = 0; i < 7200; i++) {
    clock.now = T0 + i * 1000;
    history.add(makeSample(clock.now));
  }
  assert.equal(history.ringFrom, T0 + 3599_000, 'only the last hour (3601 samples, an hour apart end to end)');
  const r = history.query({ metric: 'cpu.load.pct', from: T0, to: clock.now + 1, step: 1 });
  assert.equal(r.points.length, 3601);
  clock.interval = 10_000;
  for (let i = 1; i <= 400; i++) {
    clock.now += 10_000;
    history.add(makeSample(clock.now));
  }
  assert.equal(history.ringFrom, clock.now - 3600_000, 'at 10 s the ring keeps 361 samples = one hour');
  const auto = history.query({ metric: 'cpu.load.pct', from: clock.now - 3599_000, to: clock.now + 1, step: 'auto' });
  assert.equal(auto.step, 10);
  assert.equal(auto.points.length, 360);
});

test('stop flushes the open minute; a restart in the same minute merges into its row', (t) => {
  const { store, clock, history, make } = setup(t);
  for (let i = 0; i < 20; i++) {
    clock.now = T0 + i * 1000;
    history.add(makeSample(clock.now, { loadPct: 10 }));
  }
  history.stop();
  assert.deepEqual(minuteRows(store, 'cpu.load.pct'), [{ t: T0 / MINUTE_MS, n: 20, min: 100, avg: 100, max: 100 }]);
  store.close();
  store.open();
  const again = make();
  again.start();
  assert.ok(again.has('cpu.load.pct'), 'metric ids are loaded at start');
  for (let i = 30; i < 60; i++) {
    clock.now = T0 + i * 1000;
    again.add(makeSample(clock.now, { loadPct: 40 }));
  }
  again.stop();
  // 20 × 10 % and 30 × 40 % -> avg 28 %
  assert.deepEqual(minuteRows(store, 'cpu.load.pct'), [{ t: T0 / MINUTE_MS, n: 50, min: 100, avg: 280, max: 400 }]);
  const r = again.query({ metric: 'cpu.load.pct', from: T0 - HOUR_MS, to: T0 + HOUR_MS, step: 'auto' });
  assert.equal(r.source, 'minute');
  assert.deepEqual(r.points, [[T0, 10, 28, 40]]);
});

test('a year and more of minutes: older than 366 days rolls into hours and is pruned; queries span both', (t) => {
  const { store, clock, make } = setup(t);
  const end = T0;
  const days = 400;
  const fill = fillSyntheticYear(store, { end, minutes: days * 1440, only: ['cpu.load.pct', 'power.system.w'] });
  assert.equal(fill.rows, days * 1440 * 2);
  const load = (store.db.prepare("SELECT id FROM telemetry_metrics WHERE name = 'cpu.load.pct'").get() as { id: number }).id;
  // An old hour to check against: 390 days ago, 10:00.
  const oldHour = Math.floor((end - 390 * 86_400_000) / HOUR_MS);
  const before = store.db.prepare('SELECT n, min, avg, max FROM telemetry_minute WHERE metric = ? AND t >= ? AND t < ? ').all(load, oldHour * 60, oldHour * 60 + 60) as {
    n: number;
    min: number;
    avg: number;
    max: number;
  }[];
  assert.equal(before.length, 60);

  clock.now = end;
  const history = make();
  const t0 = performance.now();
  history.start(); // rolls up what aged while "off"
  const pruneMs = performance.now() - t0;

  const cut = Math.floor((end - MINUTE_KEEP_MS) / HOUR_MS) * 60;
  const oldest = store.db.prepare('SELECT min(t) AS t, count(*) AS n FROM telemetry_minute WHERE metric = ?').get(load) as { t: number; n: number };
  assert.equal(oldest.t, cut, 'minute rows start at the first whole hour within 366 days');
  assert.equal(oldest.n, Math.floor(end / MINUTE_MS) - cut);
  const hours = store.db.prepare('SELECT count(*) AS n FROM telemetry_hour WHERE metric = ?').get(load) as { n: number };
  assert.equal(hours.n, (cut - (Math.floor(end / MINUTE_MS) - days * 1440)) / 60);
  const rolled = store.db.prepare('SELECT n, min, avg, max FROM telemetry_hour WHERE metric = ? AND t = ?').get(load, oldHour) as { n: number; min: number; avg: number; max: number };
  assert.deepEqual(rolled, {
    n: 3600,
    min: Math.min(...before.map((r) => r.min)),
    avg: Math.round(before.reduce((s, r) => s + r.avg * r.n, 0) / 3600),
    max: Math.max(...before.map((r) => r.max)),
  });

  // A query across the cut: hours before it, minutes summed into hours after it.
  const span = history.query({ metric: 'cpu.load.pct', from: end - 395 * 86_400_000, to: end - 365 * 86_400_000, step: 'auto' });
  assert.equal(span.step, 3600);
  assert.equal(span.source, 'hour');
  assert.equal(span.points.length, 30 * 24);
  const atOld = span.points.find((p) => p[0] === oldHour * HOUR_MS);
  assert.deepEqual(atOld, [oldHour * HOUR_MS, rolled.min / 10, rolled.avg / 10, rolled.max / 10]);
  const day = history.query({ metric: 'power.system.w', from: end - 86_400_000, to: end, step: 'auto' });
  assert.equal(day.source, 'minute');
  assert.equal(day.points.length, 1440);
  const year = history.query({ metric: 'power.system.w', from: end - days * 86_400_000, to: end, step: 'auto' });
  assert.equal(year.points.length, days * 24);

  // The energy minutes were rolled up too by the energy meter, not here: history leaves them alone.
  const energyRows = (store.db.prepare('SELECT count(*) AS n FROM telemetry_energy').get() as { n: number }).n;
  assert.equal(energyRows, days * 1440);
  const size = historySize(store);
  assert.ok(size.bytes > 0 && size.bytesPerRow > 5 && size.bytesPerRow < 40, `bytes per row ${size.bytesPerRow}`);
  assert.ok(pruneMs < 20_000, `pruning ${days - 366} days took ${pruneMs} ms`);
});

test('bad history queries are refused with a clear message', (t) => {
  const { clock, history } = setup(t);
  history.add(makeSample(clock.now));
  assert.throws(() => history.query({ metric: 'cpu.temp' }), (e: Error) => e instanceof HistoryQueryError && /no metric "cpu.temp".*cpu\.load\.pct/.test(e.message));
  assert.throws(() => history.query({ metric: 'cpu.load.pct', from: T0, to: T0 }), /from must be before to/);
  assert.throws(() => history.query({ metric: 'cpu.load.pct', from: T0 - 30 * 86_400_000, to: T0, step: 60 }), /more than 20000 points: use a larger step \(at least 130 s\)/);
  assert.throws(() => history.query({ metric: 'cpu.load.pct', from: T0 - 5 * HOUR_MS, to: T0 - 4 * HOUR_MS, step: 1 }), /last hour only/);
  assert.throws(() => history.query({ metric: 'cpu.load.pct', step: 0.5 }), /whole number of seconds/);
});
