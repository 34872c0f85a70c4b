import { EventEmitter } from 'node:events';
import type { Logger } from '../log.js';
import type { ChatParams } from '../models/inference/scheduler.js';
import type { ChatResult } from '../models/inference/inference-worker.js';
import type { Job, JobQueue } from './job-queue.js';
import type { RunLog } from './run-log.js';
import { addUsage, emptyUsage, type AgentModel, type ModelUsage } from './types.js';

/** What a pipeline gets for one run: its job, model calls that are counted, and a signal for stopping. */
export interface RunContext {
  job: Job;
  runId: number;
  signal: AbortSignal;
  /** Counted into the run's tokens; always at background priority. */
  chat(params: ChatParams): Promise<ChatResult>;
  embed(texts: string[]): Promise<number[][] | null>;
  /** Token counts with the model's tokenizer. */
  countTokens(texts: string[]): Promise<number[]>;
  model: AgentModel;
  usage: ModelUsage;
}

/** A model call other than chat (tokenizer, embeddings), counted into the run's model time. */
async function timed<T>(usage: ModelUsage, call: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await call();
  } finally {
    usage.modelMs += Math.round(performance.now() - t0);
  }
}

/** One agent's work on one job. Must be idempotent: after a crash it runs again and must not do the work twice. */
export type Pipeline = (ctx: RunContext) => Promise<unknown>;

export interface AgentRunnerOptions {
  queue: JobQueue;
  runs: RunLog;
  model: AgentModel;
  log: Logger;
  /** The pipeline for a job's agent, or null when the agent no longer exists (the job fails with a reason). */
  pipelineFor: (job: Job) => Pipeline | null;
  /** Background jobs at once. */
  concurrency: () => number;
  /** Agents whose jobs wait (paused or disabled by the owner). */
  skipAgents: () => string[];
}

export interface RunEnd {
  job: Job;
  runId: number;
  outcome: 'done' | 'failed';
  output: unknown;
  error: string | null;
  usage: ModelUsage;
}

/**
 * Takes jobs from the durable queue and runs them, a bounded number at a time, while not paused.
 * Pauses have reasons ('owner', later the thermal governor's and quiet hours'); any one holds new work back,
 * running jobs finish. Sleeps on a timer until the next retry falls due: no polling when idle.
 */
export class AgentRunner extends EventEmitter {
  private readonly pauses = new Map<string, string>();
  private readonly running = new Map<number, AbortController>();
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private stopping = false;
  private pumping = false;

  constructor(private readonly options: AgentRunnerOptions) {
    super();
  }

  get active(): number {
    return this.running.size;
  }

  /** Why background work is held, e.g. { owner: 'Paused by the owner' }. */
  pausedReasons(): string[] {
    return [...this.pauses.values()];
  }

  get paused(): boolean {
    return this.pauses.size > 0;
  }

  pause(key: string, reason: string): void {
    if (this.pauses.get(key) === reason) return;
    this.pauses.set(key, reason);
    this.options.log.info(`background work paused: ${reason}`);
    this.emit('changed');
  }

  resume(key: string): void {
    if (!this.pauses.delete(key)) return;
    this.options.log.info(`background work resumed (${key})`);
    this.emit('changed');
    this.wake();
  }

  start(): void {
    this.started = true;
    this.stopping = false;
    this.wake();
  }

  /** Running jobs are cut short and handed back to the queue untried; they run again at the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const c of this.running.values()) c.abort();
    const deadline = Date.now() + 10_000;
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  /** Something was queued or a pause lifted: look for work now. */
  wake(): void {
    if (!this.started || this.pumping) return;
    this.pumping = true;
    try {
      this.pump();
    } finally {
      this.pumping = false;
    }
  }

  private pump(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.paused || this.stopping) return;
    const skip = this.options.skipAgents();
    while (this.running.size < this.options.concurrency()) {
      const job = this.options.queue.claim(skip);
      if (!job) break;
      void this.run(job);
    }
    if (this.running.size < this.options.concurrency()) {
      const at = this.options.queue.nextDueAt(skip);
      // Only failed jobs in back-off can be due later; sleep until the first of them.
      if (at !== null) {
        const ms = Math.min(Math.max(0, at - Date.now()) + 5, 2 ** 31 - 1);
        this.timer = setTimeout(() => this.wake(), ms);
        this.timer.unref();
      }
    }
  }

  private async run(job: Job): Promise<void> {
    const { queue, runs, model, log } = this.options;
    const abort = new AbortController();
    this.running.set(job.id, abort);
    const usage = emptyUsage();
    const runId = runs.start({ jobId: job.id, agent: job.agent, trigger: job.trigger, input: job.input, model: model.modelId() });
    this.emit('changed');
    const ctx: RunContext = {
      job,
      runId,
      signal: abort.signal,
      model,
      usage,
      chat: async (params) => {
        const result = await model.chat(params, { signal: abort.signal, priority: 'background' });
        addUsage(usage, result);
        return result;
      },
      embed: (texts) => timed(usage, () => model.embed(texts, { signal: abort.signal, priority: 'background' })),
      countTokens: (texts) => timed(usage, () => model.countTokens(texts, { signal: abort.signal })),
    };
    let end: RunEnd;
    try {
      const pipeline = this.options.pipelineFor(job);
      if (!pipeline) throw new Error(`the agent "${job.agent}" no longer exists`);
      const output = await pipeline(ctx);
      runs.finish(runId, { outcome: 'done', usage, model: usage.calls > 0 ? model.modelId() : null, output });
      queue.complete(job.id);
      end = { job, runId, outcome: 'done', output, error: null, usage };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      runs.finish(runId, { outcome: 'failed', usage, model: usage.calls > 0 ? model.modelId() : null, error: this.stopping ? 'hearthd stopped' : message });
      if (this.stopping) queue.release(job.id);
      else queue.fail(job.id, err);
      if (!this.stopping) log.warn(`agent ${job.agent} job ${job.id} failed (attempt ${job.attempts} of ${job.maxAttempts}): ${message}`);
      end = { job: queue.get(job.id) ?? job, runId, outcome: 'failed', output: null, error: message, usage };
    } finally {
      this.running.delete(job.id);
    }
    this.emit('run', end);
    this.emit('changed');
    this.wake();
  }
}
