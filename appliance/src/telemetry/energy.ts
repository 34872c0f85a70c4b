import type { Statement } from 'better-sqlite3';
import { perConnection, type HearthDatabase } from '../store/store.js';
import type { TelemetrySettings } from '../config/schema.js';
import { isAbsent, type TelemetrySample } from './types.js';
import { HOUR_MS, MINUTE_KEEP_MS, MINUTE_MS } from './history.js';

export type Tariff = TelemetrySettings['tariff'];

export interface EnergyPeriod {
  /** Start of the period (local midnight; Monday for the week, the 1st for the month), ISO 8601. */
  from: string;
  /** null: no power reading at all in the period (no sensor and no estimate), never a made-up 0. */
  kwh: number | null;
  cost: number | null;
  currency: string;
  /** Of kwh, used in the off-peak window (null without one). */
  offPeakKwh: number | null;
  /** Some of it comes from an estimated power reading. */
  estimated: boolean;
  /** Share of the period so far with power readings (0..1): below 1 after gaps or while hearthd was off. */
  coverage: number;
}

export interface EnergySummary {
  today: EnergyPeriod;
  week: EnergyPeriod;
  month: EnergyPeriod;
}

export interface AgentEnergy {
  agent: string;
  name: string;
  todayJ: number;
  monthJ: number;
  /** Runs this month with an energy figure. */
  runs: number;
}

export interface EnergyReport extends EnergySummary {
  agents: AgentEnergy[];
  /** Energy per 1,000 generated tokens of the active model over its runs of the last 30 days. */
  joulesPer1kTokens: { model: string; value: number; runs: number; estimated: boolean } | null;
}

export interface EnergyMeterOptions {
  store: HearthDatabase;
  tariff: () => Tariff;
  /** The sampling interval now: gaps longer than 3 intervals are not bridged. */
  intervalMs: () => number;
  now?: () => number;
  /** The name of an agent, for the report. */
  agentName?: (id: string) => string;
  /** The id of the model agents use now (runs.model), or null. */
  activeModel?: () => string | null;
}

interface PowerPoint {
  at: number;
  w: number;
  est: boolean;
  /** The stretch from the previous point counts (it was not a gap). */
  bridged: boolean;
}

interface MinuteEnergy {
  j: number;
  estJ: number;
  coveredMs: number;
}

interface RunRow {
  id: number;
  started_at: number;
  finished_at: number | null;
  outcome: string;
  tokens: number;
}

/** Power points kept in memory for per-run energy: longer than any stretch still waiting to be attributed. */
const POINTS_SPAN_MS = 2 * HOUR_MS;
const PENDING_MAX_AGE_MS = 24 * HOUR_MS;
const DAY_MS = 86_400_000;

/**
 * The box's energy: system power integrated over time (trapezoids between samples; gaps longer than three
 * intervals are not bridged), kept per minute in hearth.db; totals for today, this week and this month in
 * local time, priced at the owner's tariff; each agent run's share, stored with the run.
 */
export class EnergyMeter {
  private readonly now: () => number;
  private last: PowerPoint | null = null;
  private points: PowerPoint[] = [];
  private lastSampleAt = -Infinity;
  private readonly open = new Map<number, MinuteEnergy>();
  private readonly pending = new Map<number, number>(); // run id -> when it was handed in
  private flushedMj = 0;
  private flushedEstMj = 0;
  private lastPruneHour = -1;
  private readonly statements = perConnection(() => this.options.store, () => this.prepare());

  constructor(private readonly options: EnergyMeterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Reads the all-time totals, rolls up old minutes, and picks up runs of the last day still without a figure. */
  start(): void {
    this.prune();
    const t = this.s.totals.get() as { mj: number; est: number };
    this.flushedMj = t.mj;
    this.flushedEstMj = t.est;
    for (const r of this.s.unattributed.all({ since: this.now() - PENDING_MAX_AGE_MS }) as { id: number }[]) this.pending.set(r.id, this.now());
  }

  stop(): void {
    this.settle(true);
    this.flush(Infinity);
  }

  add(sample: TelemetrySample): void {
    const p = sample.power.system;
    this.lastSampleAt = Math.max(this.lastSampleAt, sample.at);
    if (isAbsent(p) || !Number.isFinite(p.value)) {
      this.last = null;
    } else {
      const prev = this.last;
      const bridged = prev !== null && sample.at > prev.at && sample.at - prev.at <= 3 * this.options.intervalMs();
      const point: PowerPoint = { at: sample.at, w: p.value, est: p.estimated === true, bridged };
      if (bridged) this.integrate(prev, point);
      if (prev === null || sample.at > prev.at) {
        this.last = point;
        this.points.push(point);
        const keepFrom = sample.at - POINTS_SPAN_MS;
        let drop = 0;
        while (drop < this.points.length - 1 && this.points[drop]!.at < keepFrom) drop++;
        if (drop > 0) this.points.splice(0, drop);
      }
    }
    this.flush(Math.floor(sample.at / MINUTE_MS));
    if (this.pending.size) this.settle(false);
  }

  /** Hand in a finished run: its energy is worked out once the runs overlapping it have finished too, and stored in runs.energy_j. */
  attributeRun(run: number | { id: number }): void {
    this.pending.set(typeof run === 'number' ? run : run.id, this.now());
    this.settle(false);
  }

  /** Energy between two times: from the power points in memory, and from the per-minute rows before them (pro rata). */
  energyBetween(from: number, to: number): { joules: number; coveredMs: number; estimated: boolean } {
    let joules = 0;
    let coveredMs = 0;
    let estimated = false;
    const memFrom = this.points.length ? this.points[0]!.at : Infinity;
    if (from < memFrom) {
      const end = Math.min(to, memFrom);
      const first = Math.floor(from / MINUTE_MS);
      const last = Math.floor((end - 1) / MINUTE_MS);
      for (const r of this.s.minutesBetween.all({ first, last }) as { t: number; mj: number; est_mj: number; covered_ms: number }[]) {
        const start = r.t * MINUTE_MS;
        const share = (Math.min(end, start + MINUTE_MS) - Math.max(from, start)) / MINUTE_MS;
        if (share <= 0) continue;
        joules += (r.mj / 1000) * share;
        coveredMs += r.covered_ms * share;
        if (r.est_mj > 0) estimated = true;
      }
    }
    for (let i = 1; i < this.points.length; i++) {
      const b = this.points[i]!;
      if (!b.bridged) continue;
      const a = this.points[i - 1]!;
      const x = Math.max(a.at, from);
      const y = Math.min(b.at, to);
      if (y <= x) continue;
      joules += trapezoid(a, b, x, y);
      coveredMs += y - x;
      if (a.est || b.est) estimated = true;
    }
    return { joules, coveredMs, estimated };
  }

  /** Joules counted since the history began (for the Prometheus counter), measured and estimated apart. */
  totalJoules(): { measured: number; estimated: number } {
    let j = this.flushedMj / 1000;
    let est = this.flushedEstMj / 1000;
    for (const m of this.open.values()) {
      j += m.j;
      est += m.estJ;
    }
    return { measured: j - est, estimated: est };
  }

  summary(): EnergySummary {
    const now = this.now();
    const today = startOfDay(now);
    return { today: this.period(today, now), week: this.period(startOfWeek(now), now), month: this.period(startOfMonth(now), now) };
  }

  /** Energy per agent today and this month (runs by their start), from runs.energy_j. */
  agents(): AgentEnergy[] {
    const now = this.now();
    const rows = this.s.perAgent.all({ today: startOfDay(now), month: startOfMonth(now) }) as { agent: string; today: number; month: number; runs: number }[];
    return rows.map((r) => ({ agent: r.agent, name: this.options.agentName?.(r.agent) ?? r.agent, todayJ: r.today, monthJ: r.month, runs: r.runs }));
  }

  /** All-time energy per agent (the Prometheus counter). */
  agentTotals(): { agent: string; joules: number }[] {
    return this.s.agentTotals.all() as { agent: string; joules: number }[];
  }

  joulesPer1kTokens(): EnergyReport['joulesPer1kTokens'] {
    const model = this.options.activeModel?.() ?? null;
    if (!model) return null;
    const r = this.s.perModel.get({ model, since: this.now() - 30 * DAY_MS }) as { j: number | null; generated: number | null; runs: number };
    if (!r.runs || !r.generated || r.j === null) return null;
    const from = this.now() - 30 * DAY_MS;
    const est = (this.s.estimatedSince.get({ first: Math.floor(from / MINUTE_MS) }) as { est: number }).est > 0 || this.points.some((p) => p.est && p.at >= from);
    return { model, value: (r.j / r.generated) * 1000, runs: r.runs, estimated: est };
  }

  report(): EnergyReport {
    return { ...this.summary(), agents: this.agents(), joulesPer1kTokens: this.joulesPer1kTokens() };
  }

  /** Energy and cost of [from, now): peak and off-peak apart, from the minute rows and the minutes still in memory. */
  private period(from: number, now: number): EnergyPeriod {
    const tariff = this.options.tariff();
    const total = this.sum(from, now);
    let off: Sum | null = null;
    if (tariff.offPeak) {
      off = { mj: 0, estMj: 0, coveredMs: 0 };
      for (const [a, b] of offPeakWindows(tariff.offPeak, from, now)) {
        const s = this.sum(a, b);
        off.mj += s.mj;
        off.estMj += s.estMj;
        off.coveredMs += s.coveredMs;
      }
    }
    const elapsed = Math.max(1, now - from);
    const base = { from: new Date(from).toISOString(), currency: tariff.currency, coverage: round(Math.min(1, total.coveredMs / elapsed), 4), estimated: total.estMj > 0 };
    if (total.coveredMs === 0) return { ...base, kwh: null, cost: null, offPeakKwh: null };
    const kwh = total.mj / 3.6e9;
    const offKwh = off ? off.mj / 3.6e9 : 0;
    const cost = (kwh - offKwh) * tariff.pricePerKwh + offKwh * (tariff.offPeak?.pricePerKwh ?? 0);
    return { ...base, kwh: round(kwh, 6), cost: round(cost, 4), offPeakKwh: off ? round(offKwh, 6) : null };
  }

  /** Minutes whose start lies in [from, to). */
  private sum(from: number, to: number): Sum {
    const first = Math.ceil(from / MINUTE_MS);
    const end = Math.ceil(to / MINUTE_MS); // exclusive
    const r = this.s.sumMinutes.get({ first, end }) as { mj: number; est: number; covered: number };
    const out: Sum = { mj: r.mj, estMj: r.est, coveredMs: r.covered };
    for (const [t, m] of this.open) {
      if (t < first || t >= end) continue;
      out.mj += m.j * 1000;
      out.estMj += m.estJ * 1000;
      out.coveredMs += m.coveredMs;
    }
    return out;
  }

  /** Trapezoid from a to b, cut at minute boundaries so each minute gets exactly its part. */
  private integrate(a: PowerPoint, b: PowerPoint): void {
    let x = a.at;
    const est = a.est || b.est;
    while (x < b.at) {
      const minute = Math.floor(x / MINUTE_MS);
      const y = Math.min(b.at, (minute + 1) * MINUTE_MS);
      const j = trapezoid(a, b, x, y);
      const m = this.open.get(minute) ?? { j: 0, estJ: 0, coveredMs: 0 };
      m.j += j;
      if (est) m.estJ += j;
      m.coveredMs += y - x;
      this.open.set(minute, m);
      x = y;
    }
  }

  /** Writes the minutes before `beforeMinute` (all at stop), merging with rows already there. */
  private flush(beforeMinute: number): void {
    const done = [...this.open].filter(([t]) => t < beforeMinute);
    if (!done.length) return;
    const s = this.s;
    this.options.store.transaction(() => {
      for (const [t, m] of done) {
        const mj = Math.round(m.j * 1000);
        const est = Math.round(m.estJ * 1000);
        s.upsertMinute.run({ t, mj, est, covered: Math.round(m.coveredMs) });
        this.flushedMj += mj;
        this.flushedEstMj += est;
        this.open.delete(t);
      }
    });
    if (Math.floor(this.now() / HOUR_MS) !== this.lastPruneHour) this.prune();
  }

  /** Minute rows older than a year become hour rows (whole hours). */
  private prune(): void {
    this.lastPruneHour = Math.floor(this.now() / HOUR_MS);
    const cut = Math.floor((this.now() - MINUTE_KEEP_MS) / HOUR_MS) * 60;
    const s = this.s;
    if (!s.oldMinute.get({ cut })) return;
    this.options.store.transaction(() => {
      s.rollHours.run({ cut });
      s.deleteMinutes.run({ cut });
    });
  }

  /** Runs whose overlapping runs have all finished, and whose end the samples have passed, get their energy. */
  private settle(force: boolean): void {
    const s = this.s;
    for (const [id, handedAt] of [...this.pending]) {
      const run = s.run.get(id) as RunRow | undefined;
      if (!run) {
        this.pending.delete(id);
        continue;
      }
      if (run.outcome === 'running' || run.finished_at === null) {
        if (this.now() - handedAt > PENDING_MAX_AGE_MS) this.pending.delete(id);
        continue;
      }
      if (!force && this.lastSampleAt < run.finished_at) continue;
      const others = s.overlapping.all({ id, from: run.started_at, to: run.finished_at }) as RunRow[];
      if (others.some((o) => o.outcome === 'running' || o.finished_at === null)) {
        if (this.now() - handedAt > PENDING_MAX_AGE_MS) this.pending.delete(id);
        continue;
      }
      this.pending.delete(id);
      const energy = this.runEnergy(run, others);
      if (energy !== null) s.setEnergy.run({ id, j: energy });
    }
  }

  /**
   * A run's energy: in each stretch of its time, the power integrated over the stretch, shared between the runs
   * active in it by their tokens (each run's tokens spread evenly over its time); runs without tokens share evenly
   * when no run in the stretch has any. null when there was no power reading during the run.
   */
  private runEnergy(run: RunRow, others: RunRow[]): number | null {
    const f = run.finished_at!;
    if (f <= run.started_at) return 0;
    const all = [run, ...others].filter((r) => r.finished_at !== null && r.finished_at > r.started_at);
    const cuts = new Set<number>([run.started_at, f]);
    for (const o of others) {
      if (o.started_at > run.started_at && o.started_at < f) cuts.add(o.started_at);
      if (o.finished_at! > run.started_at && o.finished_at! < f) cuts.add(o.finished_at!);
    }
    const edges = [...cuts].sort((a, b) => a - b);
    let joules = 0;
    let covered = 0;
    for (let i = 0; i + 1 < edges.length; i++) {
      const x = edges[i]!;
      const y = edges[i + 1]!;
      const e = this.energyBetween(x, y);
      covered += e.coveredMs;
      const active = all.filter((r) => r.started_at <= x && r.finished_at! >= y);
      const rate = (r: RunRow) => r.tokens / (r.finished_at! - r.started_at);
      const totalRate = active.reduce((sum, r) => sum + rate(r), 0);
      joules += e.joules * (totalRate > 0 ? rate(run) / totalRate : 1 / active.length);
    }
    return covered > 0 ? joules : null;
  }

  private get s() {
    return this.statements();
  }

  private prepare() {
    const st = (sql: string): Statement => this.options.store.db.prepare(sql);
    const merge = 'ON CONFLICT (t) DO UPDATE SET mj = mj + excluded.mj, est_mj = est_mj + excluded.est_mj, covered_ms = covered_ms + excluded.covered_ms';
    const runCols = 'id, started_at, finished_at, outcome, prompt_tokens + generated_tokens AS tokens';
    return {
      upsertMinute: st(`INSERT INTO telemetry_energy (t, mj, est_mj, covered_ms) VALUES (@t, @mj, @est, @covered) ${merge}`),
      oldMinute: st('SELECT 1 FROM telemetry_energy WHERE t < @cut LIMIT 1'),
      rollHours: st(`INSERT INTO telemetry_energy_hour (t, mj, est_mj, covered_ms)
                     SELECT t / 60, sum(mj), sum(est_mj), sum(covered_ms) FROM telemetry_energy WHERE t < @cut GROUP BY t / 60 ${merge}`),
      deleteMinutes: st('DELETE FROM telemetry_energy WHERE t < @cut'),
      totals: st(`SELECT (SELECT coalesce(sum(mj), 0) FROM telemetry_energy) + (SELECT coalesce(sum(mj), 0) FROM telemetry_energy_hour) AS mj,
                         (SELECT coalesce(sum(est_mj), 0) FROM telemetry_energy) + (SELECT coalesce(sum(est_mj), 0) FROM telemetry_energy_hour) AS est`),
      sumMinutes: st(`SELECT coalesce(sum(mj), 0) AS mj, coalesce(sum(est_mj), 0) AS est, coalesce(sum(covered_ms), 0) AS covered
                      FROM telemetry_energy WHERE t >= @first AND t < @end`),
      minutesBetween: st('SELECT t, mj, est_mj, covered_ms FROM telemetry_energy WHERE t >= @first AND t <= @last ORDER BY t'),
      estimatedSince: st('SELECT coalesce(sum(est_mj), 0) AS est FROM telemetry_energy WHERE t >= @first'),
      run: st(`SELECT ${runCols} FROM runs WHERE id = ?`),
      overlapping: st(`SELECT ${runCols} FROM runs WHERE id != @id AND started_at < @to AND (finished_at IS NULL OR finished_at > @from)`),
      setEnergy: st('UPDATE runs SET energy_j = @j WHERE id = @id'),
      unattributed: st(`SELECT id FROM runs WHERE energy_j IS NULL AND finished_at IS NOT NULL AND finished_at >= @since`),
      perAgent: st(`SELECT agent, coalesce(sum(CASE WHEN started_at >= @today THEN energy_j END), 0) AS today, sum(energy_j) AS month, count(*) AS runs
                    FROM runs WHERE started_at >= @month AND energy_j IS NOT NULL GROUP BY agent ORDER BY month DESC`),
      agentTotals: st('SELECT agent, sum(energy_j) AS joules FROM runs WHERE energy_j IS NOT NULL GROUP BY agent ORDER BY agent'),
      perModel: st(`SELECT sum(energy_j) AS j, sum(generated_tokens) AS generated, count(*) AS runs FROM runs
                    WHERE model = @model AND energy_j IS NOT NULL AND generated_tokens > 0 AND started_at >= @since`),
    };
  }
}

interface Sum {
  mj: number;
  estMj: number;
  coveredMs: number;
}

/** ∫P dt in joules over [x, y] within the segment a..b, power linear between the two readings. */
function trapezoid(a: { at: number; w: number }, b: { at: number; w: number }, x: number, y: number): number {
  const p = (t: number) => a.w + ((b.w - a.w) * (t - a.at)) / (b.at - a.at);
  return ((p(x) + p(y)) / 2) * ((y - x) / 1000);
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

export function startOfDay(t: number): number {
  const d = new Date(t);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Monday 00:00 local time of t's week. */
export function startOfWeek(t: number): number {
  const d = new Date(t);
  const back = (d.getDay() + 6) % 7;
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() - back).getTime();
}

export function startOfMonth(t: number): number {
  const d = new Date(t);
  return new Date(d.getFullYear(), d.getMonth(), 1).getTime();
}

/** The off-peak window's stretches (local time) that fall in [from, to); a window with start > end runs past midnight. */
export function offPeakWindows(window: { start: string; end: string }, from: number, to: number): [number, number][] {
  const [sh, sm] = window.start.split(':').map(Number) as [number, number];
  const [eh, em] = window.end.split(':').map(Number) as [number, number];
  if (sh * 60 + sm === eh * 60 + em) return [];
  const crosses = sh * 60 + sm > eh * 60 + em;
  const out: [number, number][] = [];
  const d0 = new Date(startOfDay(from));
  for (let i = -1; ; i++) {
    const day = new Date(d0.getFullYear(), d0.getMonth(), d0.getDate() + i);
    if (day.getTime() >= to) break;
    const a = new Date(day.getFullYear(), day.getMonth(), day.getDate(), sh, sm).getTime();
    const b = new Date(day.getFullYear(), day.getMonth(), day.getDate() + (crosses ? 1 : 0), eh, em).getTime();
    const x = Math.max(a, from);
    const y = Math.min(b, to);
    if (y > x) out.push([x, y]);
  }
  return out;
}
