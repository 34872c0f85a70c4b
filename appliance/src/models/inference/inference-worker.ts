import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../log.js';
import type { CalibrateRequest, CalibrationResult, ChatRequest, EmbedRequest, FromWorker, LoadedInfo, LoadRequest, StopReason, TokenizeRequest, ToWorker, Usage } from './protocol.js';

const WORKER_PATH = fileURLToPath(new URL('./worker.js', import.meta.url));

/** The worker went away while holding this request; `streamed` says whether the client already saw text. */
export class WorkerCrashedError extends Error {
  constructor(readonly streamed: boolean, detail: string) {
    super(`the model worker stopped (${detail})`);
  }
}

export class WorkerRequestError extends Error {
  constructor(message: string, readonly code: 'bad-request' | 'not-loaded' | 'internal') {
    super(message);
  }
}

export interface ChatResult {
  text: string;
  stopReason: StopReason;
  usage: Usage;
}

interface Pending {
  resolve: (value: never) => void;
  reject: (err: Error) => void;
  onChunk?: (text: string) => void;
  streamed: boolean;
}

export interface InferenceWorkerOptions {
  log: Logger;
  /** Restart back-off: starts here, doubles up to maxBackoffMs; reset after a calm minute. */
  backoffMs?: number;
  maxBackoffMs?: number;
  workerPath?: string;
}

export type WorkerState = 'stopped' | 'starting' | 'empty' | 'loading' | 'loaded' | 'restarting';

/**
 * Supervises the inference worker child process: starts it, restarts it with back-off when
 * it crashes or is killed, loads the model it had again, and fails the requests it held
 * with WorkerCrashedError so the scheduler can retry them. Events: 'state', 'crash', 'loaded'.
 */
export class InferenceWorker extends EventEmitter {
  private child: ChildProcess | null = null;
  private readonly pending = new Map<string, Pending>();
  private loadWaiter: { resolve: (i: LoadedInfo) => void; reject: (e: Error) => void } | null = null;
  private unloadWaiter: (() => void) | null = null;
  private stopping = false;
  private backoff: number;
  private restartTimer: NodeJS.Timeout | null = null;
  private calmTimer: NodeJS.Timeout | null = null;
  private wanted: LoadRequest | null = null;
  private loading: { req: LoadRequest; promise: Promise<LoadedInfo> } | null = null;
  state: WorkerState = 'stopped';
  loaded: LoadedInfo | null = null;
  crashes = 0;
  lastCrash: { at: string; detail: string } | null = null;

  constructor(private readonly options: InferenceWorkerOptions) {
    super();
    this.backoff = options.backoffMs ?? 1000;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.spawn();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.calmTimer) clearTimeout(this.calmTimer);
    const child = this.child;
    if (!child) return this.setState('stopped');
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
    this.setState('stopped');
  }

  private setState(state: WorkerState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  private spawn(): Promise<void> {
    this.setState('starting');
    const child = fork(this.options.workerPath ?? WORKER_PATH, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [],
    });
    this.child = child;
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        if (m.type !== 'ready') return;
        child.off('message', onMessage);
        resolve();
      };
      child.on('message', onMessage);
      child.once('exit', () => reject(new Error('the model worker exited while starting')));
    });
    child.on('message', (m: FromWorker) => this.onMessage(m));
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    return ready.then(
      () => {
        this.setState('empty');
        this.calmTimer = setTimeout(() => (this.backoff = this.options.backoffMs ?? 1000), 60_000);
        this.calmTimer.unref();
        if (this.wanted) void this.load(this.wanted).catch((err) => this.options.log.error(`could not load the model again: ${(err as Error).message}`));
      },
      () => undefined, // onExit handles it
    );
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = null;
    this.loaded = null;
    if (this.calmTimer) clearTimeout(this.calmTimer);
    const detail = signal ? `killed by ${signal}` : `exit code ${code}`;
    const failure = (streamed: boolean) => new WorkerCrashedError(streamed, detail);
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(failure(p.streamed));
    }
    this.loadWaiter?.reject(failure(false));
    this.loadWaiter = null;
    this.unloadWaiter?.();
    this.unloadWaiter = null;
    if (this.stopping) return;
    this.crashes++;
    this.lastCrash = { at: new Date().toISOString(), detail };
    this.options.log.error(`the model worker stopped (${detail}); starting it again in ${this.backoff} ms`);
    this.emit('crash', this.lastCrash);
    this.setState('restarting');
    this.restartTimer = setTimeout(() => void this.spawn(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, this.options.maxBackoffMs ?? 30_000);
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'loaded':
        this.loaded = m.info;
        this.setState('loaded');
        this.loadWaiter?.resolve(m.info);
        this.loadWaiter = null;
        this.emit('loaded', m.info);
        return;
      case 'unloaded':
        this.setState('empty');
        this.unloadWaiter?.();
        this.unloadWaiter = null;
        return;
      case 'chunk': {
        const p = this.pending.get(m.id);
        if (p) {
          p.streamed = true;
          p.onChunk?.(m.text);
        }
        return;
      }
      case 'done':
        return this.settle(m.id, { text: m.text, stopReason: m.stopReason, usage: m.usage });
      case 'embedding':
        return this.settle(m.id, { vectors: m.vectors, usage: m.usage });
      case 'calibrated':
        return this.settle(m.id, m.result);
      case 'tokens':
        return this.settle(m.id, m.counts);
      case 'error': {
        const err = new WorkerRequestError(m.message, m.code);
        if (m.id === null) {
          this.setState(this.loaded ? 'loaded' : 'empty');
          this.loadWaiter?.reject(err);
          this.loadWaiter = null;
          return;
        }
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.reject(err);
        return;
      }
      case 'ready':
        return;
    }
  }

  private settle(id: string, value: unknown): void {
    const p = this.pending.get(id);
    this.pending.delete(id);
    p?.resolve(value as never);
  }

  private post(msg: ToWorker): void {
    if (!this.child?.connected) throw new WorkerCrashedError(false, 'not running');
    this.child.send(msg);
  }

  /** Load a model (replacing any other); remembered, so a restarted worker loads it again. */
  load(req: LoadRequest): Promise<LoadedInfo> {
    const same = this.loading && JSON.stringify(this.loading.req) === JSON.stringify(req);
    if (same) return this.loading!.promise; // asked twice (restart and scheduler): one load
    this.wanted = req;
    if (this.loadWaiter) this.loadWaiter.reject(new Error('replaced by another load'));
    const promise = new Promise<LoadedInfo>((resolve, reject) => {
      this.loadWaiter = { resolve, reject };
      this.setState('loading');
      try {
        this.post(req);
      } catch (err) {
        this.loadWaiter = null;
        reject(err as Error);
      }
    });
    const entry = { req, promise };
    this.loading = entry;
    const clear = () => {
      if (this.loading === entry) this.loading = null;
    };
    promise.then(clear, clear);
    return promise;
  }

  unload(): Promise<void> {
    this.wanted = null;
    if (!this.child || !this.loaded) return Promise.resolve();
    return new Promise((resolve) => {
      this.unloadWaiter = resolve;
      this.post({ type: 'unload' });
    });
  }

  private request<T>(msg: ChatRequest | EmbedRequest | TokenizeRequest | CalibrateRequest, onChunk?: (text: string) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.set(msg.id, { resolve: resolve as (v: never) => void, reject, onChunk, streamed: false });
      try {
        this.post(msg);
      } catch (err) {
        this.pending.delete(msg.id);
        reject(err as Error);
      }
    });
  }

  chat(req: ChatRequest, onChunk?: (text: string) => void): Promise<ChatResult> {
    return this.request<ChatResult>(req, onChunk);
  }

  embed(req: EmbedRequest): Promise<{ vectors: number[][]; usage: { promptTokens: number; durationMs: number } }> {
    return this.request(req);
  }

  tokenize(req: TokenizeRequest): Promise<number[]> {
    return this.request(req);
  }

  calibrate(req: CalibrateRequest): Promise<CalibrationResult> {
    return this.request(req);
  }

  cancel(id: string): void {
    if (this.pending.has(id) && this.child?.connected) this.child.send({ type: 'cancel', id } satisfies ToWorker);
  }
}
