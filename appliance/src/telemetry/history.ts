import type { Statement } from 'better-sqlite3';
import { perConnection, type HearthDatabase } from '../store/store.js';
import { isAbsent, type TelemetrySample, type Unit } from './types.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Minute rows older than this are rolled into hours and deleted. */
export const MINUTE_KEEP_MS = 366 * DAY_MS;
/** The in-memory ring's span. */
export const RING_SPAN_MS = HOUR_MS;

export type HistorySource = 'ring' | 'minute' | 'hour';

export interface MetricInfo {
  name: string;
  unit: Unit;
  label: string;
}

interface MetricDef extends MetricInfo {
  /** Stored as round(value * scale): 0.1 °C, 0.1 W, 0.1 %, KiB. */
  scale: number;
}

export interface HistoryQuery {
  metric: string;
  /** ms since the epoch; default: an hour before `to`. */
  from?: number;
  /** ms since the epoch; default: now. */
  to?: number;
  /** Seconds per point, or 'auto': full resolution up to an hour, minutes up to two days, hours beyond. */
  step?: number | 'auto';
}

export interface HistoryResult {
  metric: string;
  unit: Unit;
  label: string;
  /** Seconds per point. */
  step: number;
  source: HistorySource;
  from: number;
  to: number;
  /** [bucket start ms, min, avg, max], oldest first; buckets without readings are left out. */
  points: [number, number, number, number][];
}

/** Bad history query: a message a person can act on (the route answers 400 with it). */
export class HistoryQueryError extends Error {}

const MAX_POINTS = 20_000;
const MAX_SPAN_MS = 20 * 366 * DAY_MS;

/** Unit and scale by metric name; per-sensor temperatures share one definition. */
function definition(name: string, label?: string): MetricDef | null {
  const fixed: Record<string, MetricDef> = {
    'cpu.load.pct': { name, unit: '%', scale: 10, label: 'CPU load' },
    'mem.used.bytes': { name, unit: 'B', scale: 1 / 1024, label: 'Memory used' },
    'power.system.w': { name, unit: 'W', scale: 10, label: 'System power' },
    'temp.max.c': { name, unit: 'C', scale: 10, label: 'Hottest temperature' },
    'disk.read.bps': { name, unit: 'B/s', scale: 1, label: 'Disk read' },
    'disk.write.bps': { name, unit: 'B/s', scale: 1, label: 'Disk write' },
    'net.rx.bps': { name, unit: 'B/s', scale: 1, label: 'Network received' },
    'net.tx.bps': { name, unit: 'B/s', scale: 1, label: 'Network sent' },
    'gpu.power.w': { name, unit: 'W', scale: 10, label: 'GPU power' },
    'gpu.util.pct': { name, unit: '%', scale: 10, label: 'GPU load' },
  };
  if (fixed[name]) return fixed[name];
  if (/^temp\..+\.c$/.test(name)) return { name, unit: 'C', scale: 10, label: label ? `${label} temperature` : name };
  return null;
}

/** The values a sample contributes to history, by metric name (absent readings contribute nothing). */
export function sampleMetrics(s: TelemetrySample): { name: string; value: number; label?: string }[] {
  const out: { name: string; value: number; label?: string }[] = [];
  const push = (name: string, value: number, label?: string) => {
    if (Number.isFinite(value)) out.push({ name, value, label });
  };
  push('cpu.load.pct', s.cpu.loadPct.value);
  push('mem.used.bytes', s.memory.used.value);
  if (!isAbsent(s.power.system)) push('power.system.w', s.power.system.value);
  if (s.temperatures.length) push('temp.max.c', Math.max(...s.temperatures.map((t) => t.reading.value)));
  for (const t of s.temperatures) push(`temp.${t.id}.c`, t.reading.value, t.label);
  if (!isAbsent(s.disk)) {
    push('disk.read.bps', s.disk.readBps.value);
    push('disk.write.bps', s.disk.writeBps.value);
  }
  if (!isAbsent(s.net)) {
    push('net.rx.bps', s.net.rxBps.value);
    push('net.tx.bps', s.net.txBps.value);
  }
  if (!isAbsent(s.gpu)) {
    if (!isAbsent(s.gpu.power)) push('gpu.power.w', s.gpu.power.value);
    if (!isAbsent(s.gpu.utilPct)) push('gpu.util.pct', s.gpu.utilPct.value);
  }
  return out;
}

interface Acc {
  n: number;
  sum: number;
  min: number;
  max: number;
}

interface Metric extends MetricDef {
  id: number;
  /** Index into the ring's value arrays. */
  slot: number;
}

interface RingEntry {
  at: number;
  /** By slot; NaN where the sample had no value. */
  values: Float64Array;
}

export interface TelemetryHistoryOptions {
  store: HearthDatabase;
  /** The sampling interval now (config can change it). */
  intervalMs: () => number;
  now?: () => number;
}

/**
 * History of the samples: the last hour at full resolution in memory, per-minute min/avg/max in hearth.db
 * for a year, per-hour beyond. Fed every sample by the telemetry module; flushes a minute as it closes and at stop.
 */
export class TelemetryHistory {
  private readonly now: () => number;
  private readonly byName = new Map<string, Metric>();
  private ring: (RingEntry | undefined)[] = [];
  private ringStart = 0;
  private ringLength = 0;
  private openMinute: number | null = null;
  private readonly open = new Map<number, Acc>();
  private lastPruneHour = -1;
  private readonly statements = perConnection(() => this.options.store, () => this.prepare());

  constructor(private readonly options: TelemetryHistoryOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Loads the metric ids and rolls up what aged while hearthd was off. */
  start(): void {
    for (const row of this.s.metrics.all() as (MetricDef & { id: number })[]) this.remember(row);
    this.prune();
  }

  /** The open minute goes to disk, so a restart loses nothing. */
  stop(): void {
    this.flush();
  }

  add(sample: TelemetrySample): void {
    const minute = Math.floor(sample.at / MINUTE_MS);
    if (this.openMinute !== null && minute !== this.openMinute) this.flush();
    this.openMinute = minute;
    const values = sampleMetrics(sample);
    const metrics = values.map((v) => this.metric(v.name, v.label));
    const row = new Float64Array(this.byName.size).fill(NaN);
    values.forEach((v, i) => {
      const m = metrics[i];
      if (!m) return;
      row[m.slot] = v.value;
      const scaled = v.value * m.scale;
      const acc = this.open.get(m.id);
      if (!acc) this.open.set(m.id, { n: 1, sum: scaled, min: scaled, max: scaled });
      else {
        acc.n++;
        acc.sum += scaled;
        if (scaled < acc.min) acc.min = scaled;
        if (scaled > acc.max) acc.max = scaled;
      }
    });
    this.pushRing({ at: sample.at, values: row });
  }

  /** Writes the open minute (merged with a row already there: a restart within the same minute). */
  flush(): void {
    const minute = this.openMinute;
    if (minute === null || this.open.size === 0) return;
    const s = this.s;
    const rows = [...this.open].map(([metric, a]) => ({ metric, t: minute, n: a.n, min: Math.round(a.min), avg: Math.round(a.sum / a.n), max: Math.round(a.max) }));
    this.open.clear();
    this.openMinute = null;
    this.options.store.transaction(() => {
      for (const r of rows) s.upsertMinute.run(r);
    });
    if (Math.floor(minute / 60) !== this.lastPruneHour) this.prune();
  }

  /** Minute rows older than a year become hour rows (whole hours only), once per hour. */
  prune(): void {
    const cut = Math.floor((this.now() - MINUTE_KEEP_MS) / HOUR_MS) * 60;
    this.lastPruneHour = Math.floor(this.now() / HOUR_MS);
    const s = this.s;
    this.options.store.transaction(() => {
      for (const id of (s.metricIds.all() as { id: number }[]).map((r) => r.id)) {
        if (!s.oldestMinute.get({ metric: id, cut })) continue;
        s.rollHours.run({ metric: id, cut });
        s.deleteMinutes.run({ metric: id, cut });
      }
    });
  }

  /** Metric names with units: those stored and those seen since start. */
  metrics(): MetricInfo[] {
    return [...this.byName.values()].sort((a, b) => a.id - b.id).map(({ name, unit, label }) => ({ name, unit, label }));
  }

  has(metric: string): boolean {
    return this.byName.has(metric);
  }

  /** Oldest time the ring holds at full resolution. */
  get ringFrom(): number | null {
    return this.ringLength ? this.ringAt(0).at : null;
  }

  query(q: HistoryQuery): HistoryResult {
    const m = this.byName.get(q.metric);
    if (!m) {
      const known = this.metrics().map((x) => x.name);
      throw new HistoryQueryError(`There is no metric "${q.metric}". Known metrics: ${known.length ? known.join(', ') : 'none yet (no sample taken)'}.`);
    }
    const to = q.to ?? this.now();
    const from = q.from ?? to - HOUR_MS;
    if (!Number.isFinite(from) || !Number.isFinite(to)) throw new HistoryQueryError('from and to must be times (ms since 1970 or ISO 8601).');
    if (from >= to) throw new HistoryQueryError('from must be before to.');
    if (to - from > MAX_SPAN_MS) throw new HistoryQueryError('Ask for at most 20 years at once.');
    const intervalS = Math.max(1, Math.round(this.options.intervalMs() / 1000));
    let step: number;
    if (q.step === undefined || q.step === 'auto') {
      const span = to - from;
      step = span <= HOUR_MS && from >= this.now() - RING_SPAN_MS ? intervalS : span <= 2 * DAY_MS ? 60 : 3600;
    } else {
      step = q.step;
      if (!Number.isInteger(step) || step < 1) throw new HistoryQueryError('step must be "auto" or a whole number of seconds (1 or more).');
    }
    if ((to - from) / (step * 1000) > MAX_POINTS) {
      throw new HistoryQueryError(`That is more than ${MAX_POINTS} points: use a larger step (at least ${Math.ceil((to - from) / 1000 / MAX_POINTS)} s) or a shorter span.`);
    }
    if (step < 60 && to <= this.now() - RING_SPAN_MS) {
      throw new HistoryQueryError('Full resolution is kept for the last hour only: use step=60 or more (or step=auto) for older times.');
    }
    const points = step < 60 ? this.fromRing(m, from, to, step) : this.fromStore(m, from, to, step);
    // The resolution the points come from: minute rows are summed into hours on the fly, and are hours beyond a year anyway.
    const source: HistorySource = step < 60 ? 'ring' : step >= 3600 ? 'hour' : 'minute';
    return { metric: m.name, unit: m.unit, label: m.label, step, source, from, to, points };
  }

  private fromRing(m: Metric, from: number, to: number, step: number): HistoryResult['points'] {
    const stepMs = step * 1000;
    const buckets = new Map<number, Acc>();
    for (let i = 0; i < this.ringLength; i++) {
      const e = this.ringAt(i);
      if (e.at < from || e.at >= to) continue;
      const v = e.values[m.slot];
      if (v === undefined || Number.isNaN(v)) continue;
      addTo(buckets, Math.floor(e.at / stepMs) * stepMs, { n: 1, sum: v, min: v, max: v });
    }
    return [...buckets].sort((a, b) => a[0] - b[0]).map(([t, a]) => [t, a.min, a.sum / a.n, a.max]);
  }

  private fromStore(m: Metric, from: number, to: number, step: number): HistoryResult['points'] {
    const stepMs = step * 1000;
    const buckets = new Map<number, Acc>();
    const args = { metric: m.id, from, to, stepMs };
    for (const r of this.s.minuteBuckets.all(args) as BucketRow[]) addTo(buckets, r.b * stepMs, { n: r.n, sum: r.total, min: r.mn, max: r.mx });
    for (const r of this.s.hourBuckets.all(args) as BucketRow[]) addTo(buckets, r.b * stepMs, { n: r.n, sum: r.total, min: r.mn, max: r.mx });
    // The minute still open is in memory only.
    const open = this.openMinute !== null ? this.open.get(m.id) : undefined;
    const openAt = (this.openMinute ?? 0) * MINUTE_MS;
    if (open && openAt >= from && openAt < to) addTo(buckets, Math.floor(openAt / stepMs) * stepMs, { n: open.n, sum: open.sum, min: Math.round(open.min), max: Math.round(open.max) });
    const unscale = (v: number) => Math.round(v) / m.scale;
    return [...buckets].sort((a, b) => a[0] - b[0]).map(([t, a]) => [t, unscale(a.min), unscale(a.sum / a.n), unscale(a.max)]);
  }

  private metric(name: string, label: string | undefined): Metric | null {
    const known = this.byName.get(name);
    if (known) return known;
    const def = definition(name, label);
    if (!def) return null;
    this.s.insertMetric.run(def);
    const row = this.s.metricByName.get(name) as MetricDef & { id: number };
    return this.remember(row);
  }

  private remember(row: MetricDef & { id: number }): Metric {
    const m: Metric = { id: row.id, name: row.name, unit: row.unit, scale: row.scale, label: row.label, slot: this.byName.size };
    this.byName.set(m.name, m);
    return m;
  }

  private capacity(): number {
    return Math.max(60, Math.ceil(RING_SPAN_MS / Math.max(1, this.options.intervalMs()))) + 1;
  }

  private ringAt(i: number): RingEntry {
    return this.ring[(this.ringStart + i) % this.ring.length]!;
  }

  private pushRing(e: RingEntry): void {
    const cap = this.capacity();
    if (cap !== this.ring.length) {
      // The interval changed: keep the newest entries in a ring of the new size.
      const keep: RingEntry[] = [];
      for (let i = Math.max(0, this.ringLength - cap + 1); i < this.ringLength; i++) keep.push(this.ringAt(i));
      this.ring = new Array<RingEntry | undefined>(cap);
      keep.forEach((k, i) => (this.ring[i] = k));
      this.ringStart = 0;
      this.ringLength = keep.length;
    }
    if (this.ringLength === this.ring.length) {
      this.ringStart = (this.ringStart + 1) % this.ring.length;
      this.ringLength--;
    }
    this.ring[(this.ringStart + this.ringLength) % this.ring.length] = e;
    this.ringLength++;
    // Entries older than an hour go too (a longer interval before, or a clock jump).
    while (this.ringLength > 1 && this.ringAt(0).at < e.at - RING_SPAN_MS) {
      this.ring[this.ringStart] = undefined;
      this.ringStart = (this.ringStart + 1) % this.ring.length;
      this.ringLength--;
    }
  }

  private get s() {
    return this.statements();
  }

  private prepare() {
    const st = (sql: string): Statement => this.options.store.db.prepare(sql);
    const merge = `ON CONFLICT (metric, t) DO UPDATE SET
        avg = CAST(round((avg * n + excluded.avg * excluded.n) * 1.0 / (n + excluded.n)) AS INTEGER),
        n = n + excluded.n, min = min(min, excluded.min), max = max(max, excluded.max)`;
    const buckets = (table: string, unitMs: number) =>
      st(`SELECT (t * ${unitMs}) / CAST(@stepMs AS INTEGER) AS b, sum(n) AS n, sum(avg * n) AS total, min(min) AS mn, max(max) AS mx FROM ${table}
          WHERE metric = @metric AND t >= CAST(@from AS INTEGER) / ${unitMs} AND t * ${unitMs} < @to GROUP BY b`);
    return {
      metrics: st('SELECT id, name, unit, scale, label FROM telemetry_metrics ORDER BY id'),
      metricIds: st('SELECT id FROM telemetry_metrics'),
      metricByName: st('SELECT id, name, unit, scale, label FROM telemetry_metrics WHERE name = ?'),
      insertMetric: st('INSERT OR IGNORE INTO telemetry_metrics (name, unit, scale, label) VALUES (@name, @unit, @scale, @label)'),
      upsertMinute: st(`INSERT INTO telemetry_minute (metric, t, n, min, avg, max) VALUES (@metric, @t, @n, @min, @avg, @max) ${merge}`),
      oldestMinute: st('SELECT 1 FROM telemetry_minute WHERE metric = @metric AND t < @cut LIMIT 1'),
      rollHours: st(`INSERT INTO telemetry_hour (metric, t, n, min, avg, max)
                     SELECT metric, t / 60, sum(n), min(min), CAST(round(sum(avg * n) * 1.0 / sum(n)) AS INTEGER), max(max)
                     FROM telemetry_minute WHERE metric = @metric AND t < @cut GROUP BY t / 60 ${merge}`),
      deleteMinutes: st('DELETE FROM telemetry_minute WHERE metric = @metric AND t < @cut'),
      minuteBuckets: buckets('telemetry_minute', MINUTE_MS),
      hourBuckets: buckets('telemetry_hour', HOUR_MS),
    };
  }
}

interface BucketRow {
  b: number;
  n: number;
  total: number;
  mn: number;
  mx: number;
}

function addTo(buckets: Map<number, Acc>, t: number, a: Acc): void {
  const b = buckets.get(t);
  if (!b) buckets.set(t, { ...a });
  else {
    b.n += a.n;
    b.sum += a.sum;
    b.min = Math.min(b.min, a.min);
    b.max = Math.max(b.max, a.max);
  }
}

export interface HistorySize {
  /** Bytes on disk of the telemetry tables (their b-tree pages). */
  bytes: number;
  minuteRows: number;
  hourRows: number;
  energyRows: number;
  /** bytes / all rows. */
  bytesPerRow: number;
  tables: Record<string, number>;
}

const TELEMETRY_TABLES = ['telemetry_metrics', 'telemetry_minute', 'telemetry_hour', 'telemetry_energy', 'telemetry_energy_hour'];

/** How much room the telemetry history takes in hearth.db (for the bench: a year of minutes). */
export function historySize(store: HearthDatabase): HistorySize {
  const db = store.db;
  const list = TELEMETRY_TABLES.map(() => '?').join(', ');
  // Each table's b-tree, and the UNIQUE index on metric names (an index of its own).
  const names = [...TELEMETRY_TABLES, ...(db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name IN (${list})`).all(...TELEMETRY_TABLES) as { name: string }[]).map((r) => r.name)];
  const tables: Record<string, number> = {};
  const pages = db.prepare('SELECT coalesce(sum(pgsize), 0) AS bytes FROM dbstat WHERE name = ?');
  for (const name of names) tables[name] = (pages.get(name) as { bytes: number }).bytes;
  const count = (t: string) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  const minuteRows = count('telemetry_minute');
  const hourRows = count('telemetry_hour');
  const energyRows = count('telemetry_energy') + count('telemetry_energy_hour');
  const bytes = Object.values(tables).reduce((a, b) => a + b, 0);
  const rows = minuteRows + hourRows + energyRows;
  return { bytes, minuteRows, hourRows, energyRows, bytesPerRow: rows ? bytes / rows : 0, tables };
}

export const historySizeBytes = (store: HearthDatabase): number => historySize(store).bytes;
