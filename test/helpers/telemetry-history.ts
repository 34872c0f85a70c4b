import type { HearthDatabase } from '../../appliance/src/store/store.js';
import { MINUTE_MS, TelemetryHistory } from '../../appliance/src/telemetry/history.js';
import { isAbsent, type Maybe, type Reading, type TelemetrySample, type TempKind } from '../../appliance/src/telemetry/types.js';

const r = (value: number, unit: Reading['unit'], source: string, estimated = false): Reading => ({ value, unit, source, ...(estimated ? { estimated: true as const } : {}) });
const absent = (reason: string) => ({ absent: true as const, reason });

export interface SampleSpec {
  /** System power in W; null: no power sensor (absent). */
  powerW?: number | null;
  estimated?: boolean;
  loadPct?: number;
  memUsed?: number;
  temps?: { id: string; label: string; kind: TempKind; c: number }[];
  gpuPowerW?: number;
  disk?: { readBps: number; writeBps: number } | null;
  net?: { rxBps: number; txBps: number } | null;
  costMs?: number;
}

/** A sample as the sampler makes them, from a few numbers (the scripted feed of the tests). */
export function makeSample(at: number, spec: SampleSpec = {}): TelemetrySample {
  const power: Maybe<Reading> =
    spec.powerW === null || spec.powerW === undefined ? absent('no power sensor on this machine') : r(spec.powerW, 'W', spec.estimated ? 'estimate:generic' : 'rapl:package-0', spec.estimated);
  const temps = spec.temps ?? [{ id: 'hwmon.coretemp.temp1', label: 'Package id 0', kind: 'cpu-package' as const, c: 50 }];
  const disk = spec.disk === undefined ? { readBps: 1000, writeBps: 2000 } : spec.disk;
  const net = spec.net === undefined ? { rxBps: 300, txBps: 100 } : spec.net;
  return {
    at,
    cpu: { loadPct: r(spec.loadPct ?? 10, '%', 'proc:/proc/stat'), perCorePct: [spec.loadPct ?? 10, spec.loadPct ?? 10], freqMhz: r(2400, 'MHz', 'sysfs:/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq') },
    memory: { used: r(spec.memUsed ?? 4 * 2 ** 30, 'B', 'proc:/proc/meminfo'), total: r(16 * 2 ** 30, 'B', 'proc:/proc/meminfo') },
    disk: disk
      ? { used: r(100e9, 'B', 'statfs:/var/lib/hearth'), total: r(500e9, 'B', 'statfs:/var/lib/hearth'), readBps: r(disk.readBps, 'B/s', 'proc:/proc/diskstats'), writeBps: r(disk.writeBps, 'B/s', 'proc:/proc/diskstats') }
      : absent('the data directory is on no block device'),
    net: net ? { rxBps: r(net.rxBps, 'B/s', 'proc:/proc/net/dev'), txBps: r(net.txBps, 'B/s', 'proc:/proc/net/dev') } : absent('no network interface besides loopback'),
    temperatures: temps.map((t) => ({ id: t.id, label: t.label, kind: t.kind, reading: r(t.c, 'C', `hwmon:/sys/class/hwmon/hwmon0/${t.id}`) })),
    fans: [{ id: 'hwmon.nct6775.fan1', label: 'fan1', reading: r(900, 'rpm', 'hwmon:/sys/class/hwmon/hwmon1/fan1_input') }],
    power: { system: power, parts: [] },
    gpu:
      spec.gpuPowerW === undefined
        ? absent('no GPU found')
        : { name: 'NVIDIA Test', utilPct: r(50, '%', 'nvidia-smi'), power: r(spec.gpuPowerW, 'W', 'nvidia-smi'), temp: r(60, 'C', 'nvidia-smi'), memUsed: r(1e9, 'B', 'nvidia-smi'), memTotal: r(8e9, 'B', 'nvidia-smi') },
    battery: absent('no battery or UPS'),
    absent: [...(isAbsent(power) ? [{ what: 'power', reason: power.reason }] : []), { what: 'battery', reason: 'no battery or UPS' }],
    costMs: spec.costMs ?? 0.3,
  };
}

/** Temperature sensors of a typical mini PC: package, two cores, NVMe. */
export const TYPICAL_TEMPS: SampleSpec['temps'] = [
  { id: 'hwmon.coretemp.temp1', label: 'Package id 0', kind: 'cpu-package', c: 55 },
  { id: 'hwmon.coretemp.temp2', label: 'Core 0', kind: 'cpu-core', c: 52 },
  { id: 'hwmon.coretemp.temp3', label: 'Core 1', kind: 'cpu-core', c: 53 },
  { id: 'hwmon.nvme.temp1', label: 'Composite', kind: 'nvme', c: 41 },
];

export interface FillOptions {
  /** The last minute filled ends here (ms). Default: now. */
  end?: number;
  /** How many minutes back (default a year: 525,600). */
  minutes?: number;
  /** The sample whose metrics are filled (default: the typical mini PC, 12 metrics). */
  sample?: SampleSpec;
  /** Only these metrics (default: all the sample has). */
  only?: string[];
  /** Fill the energy minutes too (default true). */
  energy?: boolean;
}

/**
 * A year (or `minutes`) of minute history written the way TelemetryHistory writes it — minute by minute, every
 * metric of the minute in one go, values like a real box's — for the bench's "size of a year of minute history".
 */
export function fillSyntheticYear(store: HearthDatabase, options: FillOptions = {}): { minutes: number; rows: number; metrics: string[] } {
  const end = options.end ?? Date.now();
  const minutes = options.minutes ?? 525_600;
  const history = new TelemetryHistory({ store, intervalMs: () => 1000, now: () => end });
  history.start();
  // One real sample registers the metrics with their ids and scales (and is not flushed).
  history.add(makeSample(end, { powerW: 20, temps: TYPICAL_TEMPS, ...options.sample }));
  const db = store.db;
  const metrics = (db.prepare('SELECT id, name, scale FROM telemetry_metrics ORDER BY id').all() as { id: number; name: string; scale: number }[]).filter(
    (m) => !options.only || options.only.includes(m.name),
  );
  const insert = db.prepare('INSERT OR REPLACE INTO telemetry_minute (metric, t, n, min, avg, max) VALUES (?, ?, ?, ?, ?, ?)');
  const energy = db.prepare('INSERT OR REPLACE INTO telemetry_energy (t, mj, est_mj, covered_ms) VALUES (?, ?, 0, 60000)');
  const first = Math.floor(end / MINUTE_MS) - minutes;
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const typical = (name: string, dayPhase: number): [number, number] => {
    // [typical value, spread] in the metric's own unit
    if (name === 'cpu.load.pct') return [8 + 30 * dayPhase, 25];
    if (name === 'mem.used.bytes') return [6e9 + 2e9 * dayPhase, 2e8];
    if (name === 'power.system.w' || name === 'gpu.power.w') return [14 + 20 * dayPhase, 8];
    if (name.startsWith('temp.')) return [45 + 15 * dayPhase, 6];
    return [2e4 + 5e5 * dayPhase * rand(), 3e5]; // B/s
  };
  let rows = 0;
  const write = db.transaction((from: number, to: number) => {
    for (let t = from; t < to; t++) {
      const dayPhase = 0.5 + 0.5 * Math.sin((2 * Math.PI * (t % 1440)) / 1440);
      for (const m of metrics) {
        const [v, spread] = typical(m.name, dayPhase);
        const lo = Math.max(0, v - spread * rand());
        const hi = v + spread * rand();
        insert.run(m.id, t, 60, Math.round(lo * m.scale), Math.round(v * m.scale), Math.round(hi * m.scale));
        rows++;
      }
      if (options.energy !== false) energy.run(t, Math.round((14 + 20 * dayPhase) * 60 * 1000));
    }
  });
  // A day per transaction, like a box that has been running (and not one huge journal); no fsync each (size is the same).
  const sync = db.pragma('synchronous', { simple: true }) as number;
  db.pragma('synchronous = OFF');
  try {
    for (let t = first; t < first + minutes; t += 1440) write(t, Math.min(first + minutes, t + 1440));
  } finally {
    db.pragma(`synchronous = ${sync}`);
  }
  return { minutes, rows, metrics: metrics.map((m) => m.name) };
}
