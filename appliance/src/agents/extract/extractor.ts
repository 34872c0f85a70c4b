import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ExtractError, extractText, formatOf, type ExtractedText, type ExtractOptions } from './extract.js';
import type { ExtractReply, ExtractRequest } from './extract-worker.js';

export interface TextExtractorOptions {
  /** A pdf or docx that takes longer than this is given up and its worker ended. Default 60 s. */
  timeoutMs?: number;
  /** The worker is ended after this long without work, so an idle box holds no reader. Default 60 s. */
  idleMs?: number;
  /** The worker's heap limit: a file that needs more ends the worker, not hearthd. Default 512 MB. */
  maxHeapMb?: number;
}

const DEFAULT_FILE_TIMEOUT_MS = 60_000;
const DEFAULT_IDLE_MS = 60_000;
const DEFAULT_MAX_HEAP_MB = 512;

interface Job {
  id: number;
  fileName: string;
  bytes: ArrayBuffer;
  options: ExtractOptions;
  timeoutMs: number;
  resolve(result: ExtractedText): void;
  reject(error: Error): void;
}

interface WorkerEntry {
  /** A file URL, or with eval: code to run. */
  script: string | URL;
  eval?: boolean;
}

let entry: WorkerEntry | undefined;

/** The compiled worker next to this module; under tsx (tests, development) only its TypeScript source is there. */
function workerEntry(): WorkerEntry {
  if (entry) return entry;
  const js = new URL('./extract-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) {
    entry = { script: js };
  } else {
    // execArgv ['--import', 'tsx'] does not let a Node 20 worker load .ts (tsx issue #354),
    // so a small script registers tsx in the worker first and then imports the TypeScript entry.
    const ts = new URL('./extract-worker.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    entry = { script: `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(ts)}); });`, eval: true };
  }
  return entry;
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/**
 * Reads documents like extractText, with pdf and docx read in one worker thread, one file at a time:
 * a huge or hostile file then stalls or exhausts that thread, never hearthd's event loop or heap.
 * Other formats are linear and bounded, so they are read in-process.
 */
export class TextExtractor {
  private worker: Worker | null = null;
  private readonly waiting: Job[] = [];
  private current: { job: Job; timer: NodeJS.Timeout } | null = null;
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 1;

  constructor(private readonly options: TextExtractorOptions = {}) {}

  /** Whether a worker thread exists now (started on the first pdf or docx, ended when idle or closed). */
  get running(): boolean {
    return this.worker !== null;
  }

  extract(fileName: string, bytes: Uint8Array, options: ExtractOptions = {}): Promise<ExtractedText> {
    const format = formatOf(fileName);
    if (format !== 'pdf' && format !== 'docx') return extractText(fileName, bytes, options);
    // Exactly these bytes in a buffer of their own, moved to the worker: the caller's stay intact and a pooled Buffer's neighbours never leave.
    const copy = new ArrayBuffer(bytes.byteLength);
    new Uint8Array(copy).set(bytes);
    return new Promise<ExtractedText>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_FILE_TIMEOUT_MS;
      this.waiting.push({ id: this.nextId++, fileName, bytes: copy, options, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  /** Ends the worker; a file being read or waiting is rejected (a plain Error: nothing is wrong with the file). */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = null;
    const closed = new Error('the text extractor was closed');
    for (const job of this.waiting.splice(0)) job.reject(closed);
    if (this.current) this.settle(this.current.job.id, { error: closed });
    await worker?.terminate();
  }

  private pump(): void {
    if (this.current) return;
    const job = this.waiting.shift();
    if (!job) {
      this.idle();
      return;
    }
    clearTimeout(this.idleTimer);
    let worker: Worker;
    try {
      worker = this.worker ?? this.startWorker();
    } catch (error) {
      job.reject(new Error(`The document reader could not start: ${error instanceof Error ? error.message : String(error)}`));
      this.pump();
      return;
    }
    worker.ref();
    this.current = { job, timer: setTimeout(() => this.timedOut(job), job.timeoutMs) };
    try {
      const request: ExtractRequest = { id: job.id, fileName: job.fileName, bytes: job.bytes, options: job.options };
      worker.postMessage(request, [job.bytes]);
    } catch (error) {
      this.settle(job.id, { error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  private settle(id: number, outcome: { result: ExtractedText } | { error: Error }): void {
    if (this.current?.job.id !== id) return; // a reply from a worker already given up on
    const { job, timer } = this.current;
    clearTimeout(timer);
    this.current = null;
    if ('error' in outcome) job.reject(outcome.error);
    else job.resolve(outcome.result);
    this.pump();
  }

  private timedOut(job: Job): void {
    this.end();
    this.settle(job.id, {
      error: new ExtractError(`Reading ${job.fileName} took longer than ${duration(job.timeoutMs)}; the file may be damaged or built to stall readers. It was filed by name only.`),
    });
  }

  private idle(): void {
    if (!this.worker) return;
    this.worker.unref(); // an idle reader never keeps the process alive
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.end(), this.options.idleMs ?? DEFAULT_IDLE_MS);
    this.idleTimer.unref();
  }

  /** Ends the worker on purpose: its exit is then not taken for a crash. */
  private end(): void {
    const worker = this.worker;
    this.worker = null;
    void worker?.terminate();
  }

  private startWorker(): Worker {
    const { script, eval: isCode } = workerEntry();
    const maxHeapMb = this.options.maxHeapMb ?? DEFAULT_MAX_HEAP_MB;
    const worker = new Worker(script, { eval: isCode === true, execArgv: [], resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } });
    let ready = false;
    let failure: (Error & { code?: string }) | undefined;
    worker.on('message', (reply: ExtractReply) => {
      if ('ready' in reply) ready = true;
      else this.settle(reply.id, reply.ok ? { result: reply.result } : { error: reply.isExtractError ? new ExtractError(reply.message) : new Error(reply.message) });
    });
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      const job = this.current?.job;
      if (!job) return;
      const why = failure?.message ?? `exit code ${code}`;
      let error: Error;
      if (!ready) {
        // Hearth's fault, not the file's: a plain Error, so the job is retried and the cause shown.
        error = new Error(`The document reader could not start: ${why}`);
      } else if (failure?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        error = new ExtractError(`Reading ${job.fileName} needed more than ${maxHeapMb} MB of memory and was stopped; the file may be damaged or built to exhaust readers. It was filed by name only.`);
      } else {
        error = new ExtractError(`The reader stopped while reading ${job.fileName} (${why}); the file may be damaged. It was filed by name only.`);
      }
      this.settle(job.id, { error });
    });
    this.worker = worker;
    return worker;
  }
}

/** hearthd's one extractor: every agent's pdf and docx reads share its worker. */
export const sharedExtractor = new TextExtractor();
