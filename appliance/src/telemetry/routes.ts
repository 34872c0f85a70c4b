import { Router } from '@koa/router';
import type { Context } from 'koa';
import { serveEventStream } from '../http/event-stream.js';
import { ownerOnly } from '../http/middleware.js';
import { badRequest, Problem } from '../http/problem.js';
import type { TelemetrySample } from './types.js';
import { HistoryQueryError, type HistoryQuery, type TelemetryHistory } from './history.js';
import type { EnergyMeter, EnergySummary } from './energy.js';

export type TelemetryNow = TelemetrySample & { energy: EnergySummary };

/** What the telemetry API reads; the telemetry module provides it. */
export interface TelemetryApiDeps {
  latest(): TelemetrySample | null;
  /** Calls back on every sample until the returned function is called. */
  subscribe(listener: (sample: TelemetrySample) => void): () => void;
  history: TelemetryHistory;
  energy: EnergyMeter;
}

/** The part the control socket (the CLI) needs: the same object passed to telemetryRoutes will do. */
export type TelemetryControlDeps = Pick<TelemetryApiDeps, 'latest' | 'energy'>;

/** The latest sample with today's, this week's and this month's energy; null before the first sample. */
export function telemetryNow(deps: TelemetryControlDeps): TelemetryNow | null {
  const s = deps.latest();
  return s ? { ...s, energy: deps.energy.summary() } : null;
}

export const noSampleYet = () =>
  new Problem(503, 'No reading yet', 'Telemetry has not taken its first sample yet; try again in a few seconds.', { retryAfter: 2 }, { 'Retry-After': '2' });

/** A time from the query string: ms since 1970 or an ISO 8601 date; undefined when not given. */
function timeParam(ctx: Context, name: string): number | undefined {
  const raw = ctx.query[name];
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw badRequest(`Give ${name} once.`, { field: name });
  const t = /^-?\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(t)) throw badRequest(`${name} must be a time: milliseconds since 1970 (e.g. ${Date.now()}) or ISO 8601 (e.g. 2026-11-27T08:00:00Z).`, { field: name });
  return t;
}

const STEP_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** 'auto', seconds ("60"), or with a unit ("30s", "5m", "1h", "1d"). */
function stepParam(ctx: Context): HistoryQuery['step'] {
  const raw = ctx.query.step;
  if (raw === undefined || raw === '' || raw === 'auto') return 'auto';
  const m = typeof raw === 'string' ? /^(\d{1,7})([smhd]?)$/.exec(raw) : null;
  const seconds = m ? Number(m[1]) * STEP_UNITS[m[2] || 's']! : 0;
  if (!m || seconds < 1) throw badRequest('step must be "auto", a number of seconds (60), or a number with s, m, h or d (5m, 1h).', { field: 'step' });
  return seconds;
}

/** The telemetry API (owner only), mounted under /api. */
export function telemetryRoutes(deps: TelemetryApiDeps): Router {
  const r = new Router();
  // Only on these paths: a bare use() would answer 401 for every unknown /api path, not 404.
  r.use(['/telemetry', '/energy'], ownerOnly);

  r.get('/telemetry/now', (ctx) => {
    const now = telemetryNow(deps);
    if (!now) throw noSampleYet();
    ctx.set('Cache-Control', 'no-store');
    ctx.body = now;
  });

  r.get('/telemetry/history', (ctx) => {
    const metric = ctx.query.metric;
    if (typeof metric !== 'string' || metric === '') {
      throw badRequest(`Name the metric: ?metric=cpu.load.pct (one of ${deps.history.metrics().map((m) => m.name).join(', ') || 'none yet'}).`, { field: 'metric' });
    }
    const to = timeParam(ctx, 'to');
    const from = timeParam(ctx, 'from');
    try {
      ctx.body = deps.history.query({ metric, from, to, step: stepParam(ctx) });
    } catch (err) {
      if (err instanceof HistoryQueryError) throw badRequest(err.message);
      throw err;
    }
  });

  r.get('/telemetry/metrics', (ctx) => {
    ctx.body = { metrics: deps.history.metrics() };
  });

  r.get('/telemetry/events', (ctx) =>
    serveEventStream(ctx, (send) => {
      const latest = deps.latest();
      if (latest) send('sample', latest);
      return deps.subscribe((s) => send('sample', s));
    }),
  );

  r.get('/energy', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.energy.report();
  });

  return r;
}
