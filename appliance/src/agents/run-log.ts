import type { Statement } from 'better-sqlite3';
import { perConnection, type HearthDatabase } from '../store/store.js';
import type { ModelUsage } from './types.js';

export type RunOutcome = 'running' | 'done' | 'failed' | 'interrupted';

export interface RunView {
  id: number;
  jobId: number | null;
  agent: string;
  trigger: string;
  input: unknown;
  model: string | null;
  modelCalls: number;
  promptTokens: number;
  generatedTokens: number;
  ttftMs: number | null;
  /** Of durationMs, the time spent in model calls. */
  modelMs: number;
  durationMs: number | null;
  startedAt: string;
  finishedAt: string | null;
  outcome: RunOutcome;
  error: string | null;
  output: unknown;
  /** Joules, filled in by the telemetry module; null until then. */
  energyJ: number | null;
}

interface RunRow {
  id: number;
  job_id: number | null;
  agent: string;
  trigger: string;
  input: string;
  model: string | null;
  model_calls: number;
  prompt_tokens: number;
  generated_tokens: number;
  ttft_ms: number | null;
  model_ms: number;
  duration_ms: number | null;
  started_at: number;
  finished_at: number | null;
  outcome: RunOutcome;
  error: string | null;
  output: string | null;
  energy_j: number | null;
}

/** The runs table: one row per attempt, written when it starts and completed when it ends. */
export class RunLog {
  private readonly statements = perConnection(() => this.store, () => this.prepare());

  constructor(private readonly store: HearthDatabase, private readonly now: () => number = Date.now) {}

  start(run: { jobId: number | null; agent: string; trigger: string; input: unknown; model: string | null }): number {
    const info = this.s.insert.run({
      job: run.jobId,
      agent: run.agent,
      trigger: run.trigger,
      input: JSON.stringify(run.input ?? null),
      model: run.model,
      now: this.now(),
    });
    return Number(info.lastInsertRowid);
  }

  finish(id: number, end: { outcome: 'done' | 'failed'; usage: ModelUsage; model: string | null; error?: string | null; output?: unknown }): void {
    const now = this.now();
    this.s.finish.run({
      id,
      outcome: end.outcome,
      model: end.model,
      calls: end.usage.calls,
      prompt: end.usage.promptTokens,
      generated: end.usage.generatedTokens,
      ttft: end.usage.ttftMs,
      modelMs: end.usage.modelMs,
      error: end.error ?? null,
      output: end.output === undefined ? null : JSON.stringify(end.output),
      now,
    });
  }

  /** Runs still 'running' at start-up were cut off by a stop or crash. */
  markInterrupted(): number {
    return this.s.interrupted.run({ now: this.now() }).changes;
  }

  list(filter: { agent?: string; limit?: number; before?: number } = {}): RunView[] {
    const rows = this.s.list.all({ agent: filter.agent ?? null, limit: Math.min(filter.limit ?? 50, 500), before: filter.before ?? null }) as RunRow[];
    return rows.map(toView);
  }

  last(agent: string): RunView | null {
    const row = this.s.last.get(agent) as RunRow | undefined;
    return row ? toView(row) : null;
  }

  get(id: number): RunView | null {
    const row = this.s.byId.get(id) as RunRow | undefined;
    return row ? toView(row) : null;
  }

  /** Runs that finished in [from, to): for the briefing. */
  finishedBetween(from: number, to: number): RunView[] {
    return (this.s.between.all({ from, to }) as RunRow[]).map(toView);
  }

  private get s() {
    return this.statements();
  }

  private prepare() {
    const st = (sql: string): Statement => this.store.db.prepare(sql);
    return {
      insert: st(`INSERT INTO runs (job_id, agent, trigger, input, model, started_at) VALUES (@job, @agent, @trigger, @input, @model, @now)`),
      finish: st(`UPDATE runs SET outcome = @outcome, model = coalesce(@model, model), model_calls = @calls, prompt_tokens = @prompt,
                  generated_tokens = @generated, ttft_ms = @ttft, model_ms = @modelMs, duration_ms = @now - started_at, finished_at = @now,
                  error = @error, output = @output WHERE id = @id`),
      interrupted: st(`UPDATE runs SET outcome = 'interrupted', error = 'hearthd stopped while this ran', finished_at = @now,
                       duration_ms = @now - started_at WHERE outcome = 'running'`),
      list: st(`SELECT * FROM runs WHERE (@agent IS NULL OR agent = @agent) AND (@before IS NULL OR id < @before) ORDER BY id DESC LIMIT @limit`),
      last: st('SELECT * FROM runs WHERE agent = ? ORDER BY id DESC LIMIT 1'),
      byId: st('SELECT * FROM runs WHERE id = ?'),
      between: st(`SELECT * FROM runs WHERE finished_at >= @from AND finished_at < @to ORDER BY id`),
    };
  }
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function toView(r: RunRow): RunView {
  return {
    id: r.id,
    jobId: r.job_id,
    agent: r.agent,
    trigger: r.trigger,
    input: JSON.parse(r.input) as unknown,
    model: r.model,
    modelCalls: r.model_calls,
    promptTokens: r.prompt_tokens,
    generatedTokens: r.generated_tokens,
    ttftMs: r.ttft_ms,
    modelMs: r.model_ms,
    durationMs: r.duration_ms,
    startedAt: new Date(r.started_at).toISOString(),
    finishedAt: iso(r.finished_at),
    outcome: r.outcome,
    error: r.error,
    output: r.output === null ? null : (JSON.parse(r.output) as unknown),
    energyJ: r.energy_j,
  };
}
