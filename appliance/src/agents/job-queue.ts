import type { Statement } from 'better-sqlite3';
import { perConnection, type HearthDatabase } from '../store/store.js';

export const JOB_STATES = ['queued', 'running', 'done', 'failed', 'dead'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface Job {
  id: number;
  agent: string;
  trigger: string;
  idempotencyKey: string;
  input: unknown;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface JobQueueOptions {
  /** Attempts before a job is dead. */
  maxAttempts?: number;
  /** First retry delay; each further failure doubles it up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
}

export interface EnqueueResult {
  job: Job;
  /** False when a job with this agent and key already existed: it is returned, never duplicated. */
  created: boolean;
}

export class JobTransitionError extends Error {}

interface JobRow {
  id: number;
  agent: string;
  trigger: string;
  idempotency_key: string;
  input: string;
  state: JobState;
  attempts: number;
  max_attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
}

const INTERRUPTED = 'interrupted: hearthd stopped while the job ran';

/** The durable queue: a job is written before it runs, and every state change is one transaction in hearth.db. */
export class JobQueue {
  readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly now: () => number;
  private readonly statements = perConnection(() => this.store, () => this.prepare());

  constructor(private readonly store: HearthDatabase, options: JobQueueOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 30_000;
    this.maxDelayMs = options.maxDelayMs ?? 6 * 3600_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) throw new RangeError('maxAttempts must be a whole number >= 1');
  }

  /** Records a job, or returns the one already recorded for this agent and key (same content, same work). */
  enqueue(agent: string, trigger: string, input: unknown, idempotencyKey: string, options: { maxAttempts?: number } = {}): EnqueueResult {
    const json = JSON.stringify(input ?? null);
    const maxAttempts = options.maxAttempts ?? this.maxAttempts;
    return this.store.transaction(() => {
      const now = this.now();
      const info = this.s.insert.run({ agent, trigger, key: idempotencyKey, input: json, max: maxAttempts, now });
      const row = this.s.byKey.get(agent, idempotencyKey) as JobRow;
      return { job: toJob(row), created: info.changes === 1 };
    });
  }

  /**
   * Takes the next due job (failed ones whose back-off is over go back to queued first) and marks it running.
   * Jobs of the `skipAgents` (paused ones) stay queued, in order, for later.
   */
  claim(skipAgents: readonly string[] = []): Job | null {
    return this.store.transaction(() => {
      const now = this.now();
      this.s.promoteDue.run({ now });
      const row = this.s.nextDue.get({ now, skip: JSON.stringify(skipAgents) }) as JobRow | undefined;
      if (!row) return null;
      this.s.start.run({ id: row.id, now });
      return toJob(this.s.byId.get(row.id) as JobRow);
    });
  }

  complete(id: number): Job {
    return this.transition(id, 'running', (row, now) => {
      this.s.done.run({ id: row.id, now });
    });
  }

  /** A failed attempt: retried after an exponential back-off, or dead (error kept) once its attempts are used up. */
  fail(id: number, error: unknown): Job {
    const message = errorMessage(error);
    return this.transition(id, 'running', (row, now) => {
      if (row.attempts >= row.max_attempts) this.s.dead.run({ id: row.id, now, error: message });
      else this.s.retry.run({ id: row.id, now, error: message, at: now + this.backoffMs(row.attempts) });
    });
  }

  /** A running job handed back untried (hearthd is stopping): queued again, and the attempt does not count. */
  release(id: number): Job {
    return this.transition(id, 'running', (row, now) => {
      this.s.release.run({ id: row.id, now });
    });
  }

  /** A waiting job's input changes (its file was renamed before it ran); a running or finished one is left alone. */
  retarget(id: number, input: unknown): boolean {
    return this.s.retarget.run({ id, input: JSON.stringify(input ?? null), now: this.now() }).changes === 1;
  }

  /** An agent was removed: its waiting jobs will never run; they are kept as dead, with the reason, not left queued. */
  abandon(agent: string, reason: string): number {
    return this.store.transaction(() => this.s.abandon.run({ agent, now: this.now(), error: reason }).changes);
  }

  /** The owner asks a dead or failed job to run again now, with its attempts counted afresh. */
  retry(id: number): Job {
    return this.store.transaction(() => {
      const row = this.s.byId.get(id) as JobRow | undefined;
      if (!row) throw new JobTransitionError(`job ${id} does not exist`);
      if (row.state !== 'dead' && row.state !== 'failed') throw new JobTransitionError(`job ${id} is ${row.state}; only failed or dead jobs can be retried`);
      this.s.again.run({ id, now: this.now() });
      return toJob(this.s.byId.get(id) as JobRow);
    });
  }

  /** When the next queued or failed job falls due (ms), or null when there is none: the runner sleeps until then. */
  nextDueAt(skipAgents: readonly string[] = []): number | null {
    const row = this.s.nextAt.get({ skip: JSON.stringify(skipAgents) }) as { at: number | null };
    return row.at;
  }

  /**
   * At start-up: jobs still marked running were cut off by a crash or power loss; they run again.
   * A job whose interrupted attempt was its last is dead instead, so a job that kills hearthd cannot loop forever.
   */
  requeueInterrupted(): { requeued: number; dead: number } {
    return this.store.transaction(() => {
      const now = this.now();
      const dead = this.s.interruptedDead.run({ now, error: INTERRUPTED }).changes;
      const requeued = this.s.interruptedRequeue.run({ now, error: INTERRUPTED }).changes;
      return { requeued, dead };
    });
  }

  /** Delay before retry number `attempts` + 1: base, 2 x base, 4 x base, ... capped. */
  backoffMs(attempts: number): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  }

  get(id: number): Job | null {
    const row = this.s.byId.get(id) as JobRow | undefined;
    return row ? toJob(row) : null;
  }

  /** Newest first. */
  list(filter: { state?: JobState; agent?: string; limit?: number } = {}): Job[] {
    const rows = this.s.list.all({ state: filter.state ?? null, agent: filter.agent ?? null, limit: filter.limit ?? 100 }) as JobRow[];
    return rows.map(toJob);
  }

  counts(agent?: string): Record<JobState, number> {
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (const r of this.s.counts.all({ agent: agent ?? null }) as { state: JobState; n: number }[]) counts[r.state] = r.n;
    return counts;
  }

  private transition(id: number, from: JobState, apply: (row: JobRow, now: number) => void): Job {
    return this.store.transaction(() => {
      const row = this.s.byId.get(id) as JobRow | undefined;
      if (!row) throw new JobTransitionError(`job ${id} does not exist`);
      if (row.state !== from) throw new JobTransitionError(`job ${id} is ${row.state}, not ${from}`);
      apply(row, this.now());
      return toJob(this.s.byId.get(id) as JobRow);
    });
  }

  private get s() {
    return this.statements();
  }

  private prepare() {
    const db = this.store.db;
    const st = (sql: string): Statement => db.prepare(sql);
    return {
      insert: st(`INSERT INTO jobs (agent, trigger, idempotency_key, input, state, attempts, max_attempts, next_attempt_at, created_at, updated_at)
                  VALUES (@agent, @trigger, @key, @input, 'queued', 0, @max, @now, @now, @now)
                  ON CONFLICT (agent, idempotency_key) DO NOTHING`),
      byKey: st('SELECT * FROM jobs WHERE agent = ? AND idempotency_key = ?'),
      byId: st('SELECT * FROM jobs WHERE id = ?'),
      promoteDue: st(`UPDATE jobs SET state = 'queued', updated_at = @now WHERE state = 'failed' AND next_attempt_at <= @now`),
      nextDue: st(`SELECT * FROM jobs WHERE state = 'queued' AND next_attempt_at <= @now
                   AND agent NOT IN (SELECT value FROM json_each(@skip)) ORDER BY next_attempt_at, id LIMIT 1`),
      nextAt: st(`SELECT min(next_attempt_at) AS at FROM jobs WHERE state IN ('queued', 'failed')
                  AND agent NOT IN (SELECT value FROM json_each(@skip))`),
      release: st(`UPDATE jobs SET state = 'queued', attempts = max(0, attempts - 1), next_attempt_at = @now, started_at = NULL, updated_at = @now WHERE id = @id`),
      retarget: st(`UPDATE jobs SET input = @input, updated_at = @now WHERE id = @id AND state IN ('queued', 'failed')`),
      abandon: st(`UPDATE jobs SET state = 'dead', last_error = @error, finished_at = @now, updated_at = @now
                    WHERE agent = @agent AND state IN ('queued', 'failed')`),
      again: st(`UPDATE jobs SET state = 'queued', attempts = 0, next_attempt_at = @now, finished_at = NULL, updated_at = @now WHERE id = @id`),
      start: st(`UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = @now, finished_at = NULL, updated_at = @now WHERE id = @id`),
      done: st(`UPDATE jobs SET state = 'done', finished_at = @now, updated_at = @now WHERE id = @id`),
      retry: st(`UPDATE jobs SET state = 'failed', last_error = @error, next_attempt_at = @at, updated_at = @now WHERE id = @id`),
      dead: st(`UPDATE jobs SET state = 'dead', last_error = @error, finished_at = @now, updated_at = @now WHERE id = @id`),
      interruptedDead: st(`UPDATE jobs SET state = 'dead', last_error = @error, finished_at = @now, updated_at = @now
                           WHERE state = 'running' AND attempts >= max_attempts`),
      interruptedRequeue: st(`UPDATE jobs SET state = 'queued', last_error = @error, next_attempt_at = @now, updated_at = @now
                              WHERE state = 'running'`),
      list: st(`SELECT * FROM jobs WHERE (@state IS NULL OR state = @state) AND (@agent IS NULL OR agent = @agent)
                ORDER BY id DESC LIMIT @limit`),
      counts: st('SELECT state, count(*) AS n FROM jobs WHERE (@agent IS NULL OR agent = @agent) GROUP BY state'),
    };
  }
}

function toJob(r: JobRow): Job {
  return {
    id: r.id,
    agent: r.agent,
    trigger: r.trigger,
    idempotencyKey: r.idempotency_key,
    input: JSON.parse(r.input) as unknown,
    state: r.state,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 4000 ? text.slice(0, 4000) + '…' : text;
}
