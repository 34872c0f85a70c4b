import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HearthDatabase } from '../../appliance/src/store/store.js';
import { ActivityLog } from '../../appliance/src/activity/activity-log.js';
import { createLogger } from '../../appliance/src/log.js';
import { AlertCenter } from '../../appliance/src/telemetry/alerts.js';
import {
  ThermalGovernor,
  governorThresholds,
  hottestSensor,
  type BackgroundWork,
  type InferenceThreads,
  type Thresholds,
} from '../../appliance/src/telemetry/governor.js';
import type { TelemetrySample, TempKind } from '../../appliance/src/telemetry/types.js';

const log = createLogger('test', 'error');
const T0 = Date.parse('2026-11-27T14:00:00Z');
const THRESHOLDS: Thresholds = { warnC: 80, throttleC: 90, criticalC: 100 };

type Temp = { id: string; kind: TempKind; c: number };

function sample(at: number, temps: Temp[], gpuC?: number): TelemetrySample {
  const absent = (reason: string) => ({ absent: true as const, reason });
  return {
    at,
    cpu: { loadPct: { value: 50, unit: '%', source: 'proc:/proc/stat' }, perCorePct: [50, 50], freqMhz: absent('no cpufreq') },
    memory: { used: { value: 1e9, unit: 'B', source: 'proc:/proc/meminfo' }, total: { value: 8e9, unit: 'B', source: 'proc:/proc/meminfo' } },
    disk: absent('test'),
    net: absent('test'),
    temperatures: temps.map((t) => ({ id: t.id, label: t.id, kind: t.kind, reading: { value: t.c, unit: 'C' as const, source: `hwmon:/sys/class/hwmon/${t.id}` } })),
    fans: [],
    power: { system: absent('no power sensor on this machine'), parts: [] },
    gpu:
      gpuC === undefined
        ? absent('no GPU')
        : { name: 'RTX', utilPct: absent('n/a'), power: absent('n/a'), temp: { value: gpuC, unit: 'C', source: 'nvidia-smi' }, memUsed: absent('n/a'), memTotal: absent('n/a') },
    battery: absent('no battery'),
    absent: [],
    costMs: 0.1,
  };
}

const cpu = (c: number): Temp[] => [
  { id: 'pkg', kind: 'cpu-package', c },
  { id: 'acpitz', kind: 'chassis', c: 120 }, // ignored: chassis zones are often fixed or wrong
];

/** Records what the governor asks of the runner and the model worker, tagged with the sample index. */
class Recorder implements BackgroundWork, InferenceThreads {
  i = -1;
  calls: string[] = [];
  paused = new Map<string, string>();
  pause(key: string, reason: string): void {
    if (this.paused.get(key) === reason) return;
    this.paused.set(key, reason);
    this.calls.push(`${this.i} pause ${key}`);
  }
  resume(key: string): void {
    if (!this.paused.delete(key)) return;
    this.calls.push(`${this.i} resume ${key}`);
  }
  backlog(): number {
    return 0;
  }
  setThreadLimit(n: number | null): void {
    this.calls.push(`${this.i} threads ${n}`);
  }
}

function setup(t: { after: (fn: () => void) => void }, opts: { hysteresisC?: number; calmSamples?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-governor-'));
  const store = new HearthDatabase(dir, log);
  store.open();
  let now = T0;
  const clock = { get: () => now, set: (ms: number) => (now = ms) };
  const activity = new ActivityLog(store, { now: clock.get });
  const alerts = new AlertCenter({ log, targets: () => ({ webhookUrl: null, ntfyUrl: null }), now: clock.get });
  const rec = new Recorder();
  const governor = new ThermalGovernor({ work: rec, threads: rec, activity, alerts, thresholds: () => THRESHOLDS, hotThreads: () => 2, ...opts });
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** Feeds the series one sample a second; returns the state after each. */
  const run = (series: number[], from = 0) =>
    series.map((c, k) => {
      const i = from + k;
      rec.i = i;
      clock.set(T0 + i * 1000);
      return governor.observe(sample(T0 + i * 1000, cpu(c)));
    });
  return { governor, activity, alerts, rec, run };
}

test('a scripted temperature series pauses and resumes background work at the exact samples, with hysteresis', (t) => {
  const { run, rec, activity, alerts } = setup(t, { hysteresisC: 5, calmSamples: 3 });
  //              0   1   2   3   4   5   6   7   8   9  10  11  12  13  14  15  16  17
  const series = [60, 70, 81, 85, 91, 92, 88, 84, 83, 86, 84, 84, 84, 76, 74, 74, 74, 60];
  const states = run(series);
  assert.deepEqual(states, [
    'ok', 'ok', 'warn', 'warn', 'throttle', 'throttle',
    'throttle', // 88: below 90 but not 5 °C below
    'throttle', 'throttle', // 84, 83: calm 1 and 2
    'throttle', // 86: the calm run is broken
    'throttle', 'throttle', 'warn', // 84 ×3: resumes at the third
    'warn', // 76: not below 80 − 5
    'warn', 'warn', 'ok', // 74 ×3
    'ok',
  ]);
  assert.deepEqual(rec.calls, ['4 pause thermal', '4 threads 2', '12 resume thermal', '12 threads null']);

  const entries = activity.list().reverse();
  assert.deepEqual(
    entries.map((e) => [e.kind, e.at]),
    [
      ['governor.warn', new Date(T0 + 2000).toISOString()],
      ['governor.throttle', new Date(T0 + 4000).toISOString()],
      ['governor.resume', new Date(T0 + 12000).toISOString()],
      ['governor.ok', new Date(T0 + 16000).toISOString()],
    ],
  );
  // Each entry carries the reading that caused it, with its source.
  const throttle = entries[1]!;
  assert.match(throttle.message, /pkg at 91\.0 °C \(throttle at 90\.0 °C\): background agents paused, the model uses 2 threads/);
  assert.deepEqual(throttle.data, {
    state: 'throttle',
    previous: 'warn',
    reading: { id: 'pkg', label: 'pkg', kind: 'cpu-package', value: 91, unit: 'C', source: 'hwmon:/sys/class/hwmon/pkg' },
    thresholds: THRESHOLDS,
    at: new Date(T0 + 4000).toISOString(),
  });
  assert.equal((entries[2]!.data as { reading: { value: number } }).reading.value, 84);

  // Warm raised a warning alert; cool again resolved it.
  const { active, recent } = alerts.list();
  assert.equal(active.length, 0);
  assert.equal(recent.length, 1);
  assert.equal(recent[0]!.kind, 'temperature');
  assert.equal(recent[0]!.since, new Date(T0 + 2000).toISOString());
  assert.equal(recent[0]!.resolvedAt, new Date(T0 + 16000).toISOString());
});

test('critical stops background work and alerts the owner; it steps down through throttle as it cools', (t) => {
  const { run, rec, activity, alerts, governor } = setup(t, { hysteresisC: 5, calmSamples: 2 });
  const events: string[] = [];
  governor.on('state', (s: { state: string }) => events.push(s.state));
  //              0   1    2    3   4   5   6   7   8   9
  const series = [70, 95, 101, 99, 94, 93, 91, 84, 84, 70];
  const states = run(series);
  assert.deepEqual(states, ['ok', 'throttle', 'critical', 'critical', 'critical', 'throttle', 'throttle', 'throttle', 'warn', 'warn']);
  assert.deepEqual(rec.calls, [
    '1 pause thermal',
    '1 threads 2',
    '2 pause thermal', // the reason now names the critical reading
    '2 pause thermal-critical',
    '5 pause thermal',
    '5 resume thermal-critical',
    '8 resume thermal',
    '8 threads null',
  ]);
  assert.deepEqual(events, ['throttle', 'critical', 'throttle', 'warn']);
  assert.deepEqual(
    activity.list().reverse().map((e) => e.kind),
    ['governor.throttle', 'governor.critical', 'governor.cooling', 'governor.resume'],
  );
  assert.equal(rec.paused.size, 0);

  // The alert escalated to critical at sample 2 and is still active (warning) while warm.
  const [alert] = alerts.list().active;
  assert.equal(alert?.kind, 'temperature');
  assert.equal(alert?.severity, 'warning');
  assert.equal(alert?.since, new Date(T0 + 1000).toISOString());
});

test('going down all the way: a cold calm run after critical lands on ok in one step', (t) => {
  const { run, rec } = setup(t, { hysteresisC: 5, calmSamples: 3 });
  const states = run([105, 50, 50, 50]);
  assert.deepEqual(states, ['critical', 'critical', 'critical', 'ok']);
  assert.deepEqual(rec.calls, ['0 pause thermal', '0 threads 2', '0 pause thermal-critical', '3 resume thermal', '3 threads null', '3 resume thermal-critical']);
});

test('hottest sensor: CPU, GPU (also from nvidia-smi) and NVMe count; chassis and other zones do not', () => {
  const s = sample(T0, [
    { id: 'pkg', kind: 'cpu-package', c: 60 },
    { id: 'nvme', kind: 'nvme', c: 71 },
    { id: 'acpitz', kind: 'chassis', c: 99 },
    { id: 'zone9', kind: 'other', c: 98 },
  ]);
  assert.equal(hottestSensor(s)?.id, 'nvme');
  const withGpu = sample(T0, [{ id: 'pkg', kind: 'cpu-package', c: 60 }], 83);
  assert.deepEqual(hottestSensor(withGpu), { id: 'gpu', label: 'RTX', kind: 'gpu', value: 83, unit: 'C', source: 'nvidia-smi' });
  assert.equal(hottestSensor(sample(T0, [{ id: 'acpitz', kind: 'chassis', c: 99 }])), null);
});

test('without a governed sensor the state holds: nothing is guessed', (t) => {
  const { governor, rec } = setup(t, { calmSamples: 1 });
  rec.i = 0;
  assert.equal(governor.observe(sample(T0, cpu(95))), 'throttle');
  rec.i = 1;
  assert.equal(governor.observe(sample(T0 + 1000, [])), 'throttle');
  assert.deepEqual(rec.calls, ['0 pause thermal', '0 threads 2']);
  assert.equal(governor.status().hottest?.value, 95);
  governor.stop();
  assert.deepEqual(rec.calls.slice(2), ['1 resume thermal', '1 threads null']);
});

test('thresholds come from the settings, else the device profile, and are kept in order', () => {
  const profile = { warnC: 85, throttleC: 95, criticalC: 105 };
  assert.deepEqual(governorThresholds({ thresholds: null }, profile), profile);
  assert.deepEqual(governorThresholds({ thresholds: { warnC: 70, throttleC: 80, criticalC: 90 } }, profile), { warnC: 70, throttleC: 80, criticalC: 90 });
  assert.deepEqual(governorThresholds({ thresholds: { warnC: 90, throttleC: 80, criticalC: 85 } }, profile), { warnC: 90, throttleC: 90, criticalC: 90 });
});

test('a threshold changed in the settings applies at the next sample', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-governor-'));
  const store = new HearthDatabase(dir, log);
  store.open();
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let thresholds = THRESHOLDS;
  const rec = new Recorder();
  const g = new ThermalGovernor({ work: rec, threads: rec, activity: new ActivityLog(store), thresholds: () => thresholds, hotThreads: () => 1 });
  assert.equal(g.observe(sample(T0, cpu(75))), 'ok');
  thresholds = { warnC: 60, throttleC: 70, criticalC: 110 };
  assert.equal(g.observe(sample(T0 + 1000, cpu(75))), 'throttle');
});
