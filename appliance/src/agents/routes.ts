import { Router } from '@koa/router';
import type { Context } from 'koa';
import { serveEventStream } from '../http/event-stream.js';
import { bodyObject, ownerOnly } from '../http/middleware.js';
import { Problem } from '../http/problem.js';
import { JOB_STATES, type Job, type JobState } from './job-queue.js';
import type { Agents } from './agents.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function jobView(j: Job) {
  return {
    ...j,
    nextAttemptAt: iso(j.nextAttemptAt),
    createdAt: iso(j.createdAt),
    updatedAt: iso(j.updatedAt),
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
  };
}

/** A whole number from the query string within [min, max], or the default; anything else is a clear 400. */
function intParam(ctx: Context, name: string, fallback: number | null, min: number, max: number): number | null {
  const raw = ctx.query[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Problem(400, 'Invalid request', `${name} must be a whole number from ${min} to ${max}.`);
  return n;
}

const text = (ctx: Context, name: string): string | undefined => {
  const v = ctx.query[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

const idParam = (ctx: Context): number => {
  const n = Number(ctx.params.id);
  if (!Number.isInteger(n) || n < 1) throw new Problem(404, 'Not found', `"${ctx.params.id}" is not an id.`);
  return n;
};

/** The agents' API (owner only): agents, runs, jobs, library, action items, ask, memory, activity, briefing. */
export function agentRoutes(agents: Agents): Router {
  const r = new Router();
  // Only on these paths: a bare use() would answer 401 for every unknown /api path, not 404.
  r.use(['/agents', '/runs', '/jobs', '/library', '/action-items', '/ask', '/memory', '/activity', '/briefing'], ownerOnly);

  r.get('/agents', (ctx) => {
    ctx.body = agents.overview();
  });
  r.post('/agents', async (ctx) => {
    ctx.body = await agents.create(bodyObject(ctx));
    ctx.status = 201;
  });
  r.put('/agents/paused', async (ctx) => {
    ctx.body = await agents.setPaused(bodyObject(ctx).paused);
  });
  r.put('/agents/settings', async (ctx) => {
    const body = bodyObject(ctx);
    if (body.paused !== undefined) await agents.setPaused(body.paused);
    ctx.body = body.concurrency !== undefined ? await agents.setConcurrency(body.concurrency) : agents.overview();
  });
  r.get('/agents/:id', (ctx) => {
    ctx.body = agents.view(agents.get(ctx.params.id!));
  });
  r.patch('/agents/:id', async (ctx) => {
    ctx.body = await agents.update(ctx.params.id!, bodyObject(ctx));
  });
  r.delete('/agents/:id', async (ctx) => {
    await agents.remove(ctx.params.id!);
    ctx.status = 204;
  });
  r.post('/agents/:id/run', async (ctx) => {
    const { job, queued } = await agents.runNow(ctx.params.id!);
    ctx.status = 202;
    ctx.body = { job: job ? { id: job.id, state: job.state } : null, queued };
  });

  r.get('/runs', (ctx) => {
    const agent = text(ctx, 'agent');
    if (agent) agents.get(agent);
    ctx.body = { runs: agents.runs.list({ agent, limit: intParam(ctx, 'limit', 50, 1, 500)!, before: intParam(ctx, 'before', null, 1, Number.MAX_SAFE_INTEGER) ?? undefined }) };
  });

  r.get('/jobs', (ctx) => {
    const state = text(ctx, 'state');
    if (state !== undefined && !(JOB_STATES as readonly string[]).includes(state)) throw new Problem(400, 'Invalid request', `state must be one of ${JOB_STATES.join(', ')}.`);
    ctx.body = { jobs: agents.jobs({ state: state as JobState | undefined, agent: text(ctx, 'agent'), limit: intParam(ctx, 'limit', 100, 1, 1000)! }).map(jobView) };
  });
  r.post('/jobs/:id/retry', (ctx) => {
    ctx.body = jobView(agents.retryJob(idParam(ctx)));
  });

  r.get('/library', (ctx) => {
    const q = text(ctx, 'q');
    const limit = intParam(ctx, 'limit', 50, 1, 200)!;
    if (q) {
      const hits = agents.library.search(q, { limit });
      ctx.body = { total: hits.length, documents: hits.map((h) => h.document) };
    } else {
      ctx.body = agents.library.list({ limit, offset: intParam(ctx, 'offset', 0, 0, Number.MAX_SAFE_INTEGER)! });
    }
  });
  r.get('/library/search', async (ctx) => {
    const q = text(ctx, 'q');
    if (!q) throw new Problem(400, 'Invalid request', 'Give something to search for: ?q=words');
    ctx.body = { hits: await agents.search(q, intParam(ctx, 'limit', 20, 1, 100)!) };
  });
  r.get('/library/:id', (ctx) => {
    const doc = agents.library.get(idParam(ctx));
    if (!doc) throw new Problem(404, 'Not found', `There is no document ${ctx.params.id} in the library.`);
    ctx.body = doc;
  });

  r.get('/action-items', (ctx) => {
    ctx.body = { items: agents.library.openActionItems(intParam(ctx, 'limit', 100, 1, 500)!) };
  });
  r.patch('/action-items/:id', (ctx) => {
    const done = bodyObject(ctx).done;
    if (typeof done !== 'boolean') throw new Problem(400, 'Invalid request', 'done must be true or false.');
    ctx.body = agents.library.setActionItemDone(idParam(ctx), done);
  });

  r.post('/ask', async (ctx) => {
    const abort = new AbortController();
    ctx.req.once('close', () => {
      if (!ctx.res.writableEnded) abort.abort();
    });
    ctx.body = await agents.ask(bodyObject(ctx).question, abort.signal);
  });

  r.get('/memory', (ctx) => {
    ctx.body = { facts: agents.memory.list(text(ctx, 'agent')) };
  });
  r.delete('/memory/:id', (ctx) => {
    if (!agents.memory.forget(idParam(ctx))) throw new Problem(404, 'Not found', `There is no remembered fact ${ctx.params.id}.`);
    ctx.status = 204;
  });

  r.get('/activity', (ctx) => {
    ctx.body = { entries: agents.activity.list({ limit: intParam(ctx, 'limit', 50, 1, 500)!, before: intParam(ctx, 'before', null, 1, Number.MAX_SAFE_INTEGER) ?? undefined, agent: text(ctx, 'agent') }) };
  });
  r.get('/activity/events', (ctx) =>
    serveEventStream(ctx, (send) => {
      const onEntry = (e: unknown) => send('activity', e);
      agents.activity.on('entry', onEntry);
      return () => agents.activity.off('entry', onEntry);
    }),
  );

  r.get('/briefing', (ctx) => {
    ctx.body = { briefing: agents.latestBriefing() };
  });

  return r;
}
