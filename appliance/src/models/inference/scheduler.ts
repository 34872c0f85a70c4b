import { randomUUID } from 'node:crypto';
import type { Logger } from '../../log.js';
import { Problem } from '../../http/problem.js';
import type { ChatMessage, LoadRequest } from './protocol.js';
import { WorkerCrashedError, WorkerRequestError, type ChatResult, type InferenceWorker } from './inference-worker.js';

export type Priority = 'interactive' | 'background';

export interface ChatParams {
  messages: ChatMessage[];
  maxTokens: number;
  temperature: number;
  stop: string[];
  jsonSchema: object | null;
}

export interface JobOptions {
  priority?: Priority;
  signal?: AbortSignal;
  onChunk?: (text: string) => void;
}

interface Job {
  id: string;
  priority: Priority;
  attempts: number;
  signal?: AbortSignal;
  run: (id: string) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export interface SchedulerOptions {
  worker: InferenceWorker;
  log: Logger;
  /** The model to have loaded, or null when none is chosen. */
  model: () => LoadRequest | null;
  maxQueue?: number;
  /** Unload after this long without work (power and memory back to the box). */
  keepAliveMs?: () => number;
  /** Tries per job when the worker crashes before the client saw any text. */
  maxAttempts?: number;
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

/**
 * One queue in front of the worker: interactive before background, at most as many at once
 * as the loaded context has sequences, a bounded queue (503 when full), cancellation when a
 * client goes, load on demand, unload after the keep-alive time, retry after a worker crash.
 */
export class InferenceScheduler {
  private readonly queue: Job[] = [];
  private active = 0;
  private loading: Promise<void> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private warmWanted = false;
  // Work that needs the worker to itself (a reload): new jobs wait, running ones finish first.
  private exclusive: { fn: () => Promise<void>; resolve: () => void; reject: (e: Error) => void; started: boolean } | null = null;

  constructor(private readonly options: SchedulerOptions) {
    // A restarted worker comes back empty: jobs waiting for it go on, and a wanted model loads.
    options.worker.on('state', (state: string) => {
      if (state === 'empty' && this.warmWanted) this.ensureLoaded();
      this.pump();
    });
  }

  get queued(): number {
    return this.queue.length;
  }

  get running(): number {
    return this.active;
  }

  chat(params: ChatParams, opts: JobOptions = {}): Promise<ChatResult> {
    return this.enqueue(opts, (id) =>
      this.options.worker.chat({ type: 'chat', id, ...params }, opts.onChunk),
    ) as Promise<ChatResult>;
  }

  embed(input: string[], opts: JobOptions = {}): Promise<{ vectors: number[][]; usage: { promptTokens: number; durationMs: number } }> {
    return this.enqueue(opts, (id) => this.options.worker.embed({ type: 'embed', id, input })) as Promise<{
      vectors: number[][];
      usage: { promptTokens: number; durationMs: number };
    }>;
  }

  /** Token counts with the loaded model's own tokenizer (a quick job, but it needs the model loaded). */
  tokenize(texts: string[], opts: JobOptions = {}): Promise<number[]> {
    return this.enqueue(opts, (id) => this.options.worker.tokenize({ type: 'tokenize', id, texts })) as Promise<number[]>;
  }

  private enqueue(opts: JobOptions, run: (id: string) => Promise<unknown>): Promise<unknown> {
    if (!this.options.model()) {
      throw new Problem(409, 'No model', 'No model is active yet. Download one and make it active (Models page, or `hearth model use <id>`).');
    }
    const max = this.options.maxQueue ?? 32;
    if (this.queue.length >= max) {
      throw new Problem(503, 'Busy', `The model has ${this.queue.length} requests waiting already. Try again shortly.`, {}, { 'Retry-After': '5' });
    }
    if (opts.signal?.aborted) throw new CancelledError();
    return new Promise((resolve, reject) => {
      const job: Job = { id: randomUUID(), priority: opts.priority ?? 'interactive', attempts: 0, signal: opts.signal, run, resolve, reject };
      opts.signal?.addEventListener(
        'abort',
        () => {
          const i = this.queue.indexOf(job);
          if (i >= 0) {
            this.queue.splice(i, 1);
            reject(new CancelledError());
          } else this.options.worker.cancel(job.id);
        },
        { once: true },
      );
      this.insert(job);
      this.pump();
    });
  }

  /** Interactive jobs go ahead of every background job; within a priority, first come first served. */
  private insert(job: Job, front = false): void {
    if (front) return void this.queue.unshift(job);
    const at = job.priority === 'interactive' ? this.queue.findIndex((j) => j.priority === 'background') : -1;
    if (at < 0) this.queue.push(job);
    else this.queue.splice(at, 0, job);
  }

  /** Run `fn` once no request is running; requests that come meanwhile wait. A reload must not cut answers short. */
  whenIdle(fn: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.exclusive = { fn, resolve, reject, started: false };
      this.pump();
    });
  }

  private runExclusive(): void {
    const task = this.exclusive!;
    if (task.started || this.active > 0) return;
    task.started = true;
    task
      .fn()
      .then(task.resolve, task.reject)
      .finally(() => {
        this.exclusive = null;
        this.pump();
        this.armIdle();
      });
  }

  private pump(): void {
    if (this.exclusive) return this.runExclusive();
    if (this.queue.length === 0) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const worker = this.options.worker;
    if (worker.state === 'starting' || worker.state === 'restarting' || worker.state === 'stopped' || worker.state === 'loading') return;
    if (worker.state !== 'loaded') return void this.ensureLoaded();
    const capacity = worker.loaded?.sequences ?? 1;
    while (this.active < capacity && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.active++;
      job.attempts++;
      void job
        .run(job.id)
        .then(job.resolve, (err: Error) => this.failed(job, err))
        .finally(() => {
          this.active--;
          this.pump();
          this.armIdle();
        });
    }
  }

  private failed(job: Job, err: Error): void {
    if (err instanceof WorkerCrashedError && !err.streamed && job.attempts < (this.options.maxAttempts ?? 3) && !job.signal?.aborted) {
      this.options.log.warn(`retrying a request the crashed worker held (attempt ${job.attempts + 1})`);
      this.insert(job, true);
      return;
    }
    if (err instanceof WorkerRequestError && err.code === 'bad-request') return job.reject(new Problem(400, 'Invalid request', err.message));
    job.reject(err);
  }

  private ensureLoaded(): void {
    if (this.loading) return;
    const want = this.options.model();
    if (!want) {
      for (const job of this.queue.splice(0)) job.reject(new Problem(409, 'No model', 'The active model was removed.'));
      return;
    }
    this.loading = this.options.worker
      .load(want)
      .then(
        () => undefined,
        (err: Error) => {
          if (err instanceof WorkerCrashedError) return; // the restart loads it again
          this.options.log.error(`could not load ${want.modelPath}: ${err.message}`);
          for (const job of this.queue.splice(0)) job.reject(new Problem(503, 'Model not loaded', `The model could not be loaded: ${err.message}`));
        },
      )
      .finally(() => {
        this.loading = null;
        this.warmWanted = false;
        this.pump();
        this.armIdle();
      });
  }

  private armIdle(): void {
    if (this.active > 0 || this.queue.length > 0 || this.exclusive || this.idleTimer) return;
    const ms = this.options.keepAliveMs?.() ?? 10 * 60_000;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.active === 0 && this.queue.length === 0 && this.options.worker.loaded) {
        this.options.log.info('unloading the model after its keep-alive time');
        void this.options.worker.unload();
      }
    }, ms);
    this.idleTimer.unref();
  }

  /** Ask for the model now (e.g. after `model use`), without waiting for a request. */
  warm(): void {
    this.warmWanted = true;
    if (this.options.worker.state === 'empty') this.ensureLoaded();
  }

  stop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const job of this.queue.splice(0)) job.reject(new Problem(503, 'Stopping', 'Hearth is stopping.'));
  }
}
