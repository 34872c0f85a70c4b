import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, statfs, truncate, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../log.js';
import type { Module } from '../../module.js';
import { conflict, Problem } from '../../http/problem.js';
import { VERSION } from '../../version.js';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './backoff.js';
import { DownloadError, toDownloadError } from './download-error.js';
import { DownloadStore, type DownloadRecord, type DownloadState } from './download-store.js';
import { checkDownloadId, checkModelFileName, checkPullUrl, checkSha256, checkSize, fileNameFromUrl } from './download-url.js';
import { classifyHead, isWebPage, parseByteCount, parseContentRange, strongEtag } from './headers.js';
import { headerValue, openGet } from './http-get.js';
import { appendAll, fileSize, freshHash, hashPartial, type PartialHash } from './partial-file.js';
import { syncDir } from '../../config/atomic-file.js';
import { etaSeconds, formatBytes, RateMeter } from './progress.js';

export type { DownloadState } from './download-store.js';

export interface PullRequest {
  /** https:// address of the GGUF file (for Hugging Face, the .../resolve/<revision>/<file> link) */
  url: string;
  /** name under models/; defaults to the last segment of the URL */
  file?: string;
  /** the sha256 the file must have (from the catalog); otherwise the hub's X-Linked-Etag is used */
  sha256?: string;
  /** the size in bytes the file must have; lets the disk check run before any request */
  size?: number;
  /** defaults to the file name */
  id?: string;
  /** accept a file no sha256 is known for (neither given nor sent by the server); off by default */
  allowUnverified?: boolean;
}

/** One download as the API, the SSE stream and the CLI see it. */
export interface DownloadStatus {
  id: string;
  url: string;
  file: string;
  /** 'cancelled' is only ever sent once, as the last event of a cancelled download */
  state: DownloadState | 'cancelled';
  receivedBytes: number;
  totalBytes: number | null;
  /** smoothed; 0 unless active */
  bytesPerSecond: number;
  etaSeconds: number | null;
  error?: string;
  /** the verified sha256 once done; before that the expected one, when known */
  sha256: string | null;
}

/** Checks a finished, checksum-verified file before it is renamed into place (the GGUF header validator plugs in here). */
export type ValidateModelFile = (path: string) => Promise<{ ok: true } | { ok: false; error: string }>;

export interface ModelDownloaderOptions {
  dataDir: string;
  log: Logger;
  /** downloads running at once; the rest wait in the queue (default 1) */
  maxActive?: number;
  /** allow plain http:// for 127.0.0.1, localhost and ::1 only. For tests with a local server; production never sets it. */
  allowInsecureLoopback?: boolean;
  validate?: ValidateModelFile;
  /** free bytes on the file system holding `dir` (default: fs.statfs); tests fake a small disk with it */
  freeBytes?: (dir: string) => Promise<number>;
  /** space to leave free beyond the model (default: the larger of 512 MiB and 5% of the model) */
  diskMarginBytes?: number;
  retry?: Partial<RetryPolicy>;
  /** default 10 */
  maxRedirects?: number;
  /** a connection that sends nothing for this long is dropped and retried (default 30 s) */
  idleTimeoutMs?: number;
  /** at most one progress event per download this often (default 250 ms, i.e. ~4/s); state changes are sent at once */
  progressIntervalMs?: number;
}

interface Job {
  abort: AbortController;
  /** why it was aborted: decides what happens to the entry afterwards */
  reason: 'pause' | 'cancel' | 'stop' | null;
  done: Promise<void>;
}

interface Entry {
  record: DownloadRecord;
  receivedBytes: number;
  meter: RateMeter;
  lastEmitAt: number;
  job: Job | null;
  /** running sha256 over the partial file's bytes, kept across retries and pauses so nothing is hashed twice */
  hash: PartialHash | null;
  waiters: Array<(status: DownloadStatus) => void>;
}

/** Bytes gathered before one write(2): fewer, larger writes. */
const WRITE_BATCH_BYTES = 1 << 20;
const WRITE_BATCH_MS = 250;
const MIN_MARGIN = 512 * 1024 * 1024;
const SETTLED: ReadonlySet<string> = new Set(['done', 'failed', 'paused']);

export interface ModelDownloader {
  on(event: 'progress', listener: (status: DownloadStatus) => void): this;
  off(event: 'progress', listener: (status: DownloadStatus) => void): this;
  emit(event: 'progress', status: DownloadStatus): boolean;
}

/**
 * Downloads GGUF models into `<data>/models`: `<file>.partial` while in flight, renamed to
 * `<file>` only once size, sha256 and the validate hook agree. The queue lives in
 * downloads.json, so a cut connection, a daemon restart or a reboot resumes with a Range
 * request instead of starting over. Emits 'progress' with a DownloadStatus.
 */
export class ModelDownloader extends EventEmitter implements Module {
  readonly name = 'model-downloader';
  readonly modelsDir: string;
  private readonly log: Logger;
  private readonly store: DownloadStore;
  private readonly entries = new Map<string, Entry>();
  private readonly retry: RetryPolicy;
  private readonly maxActive: number;
  private readonly userAgent = `hearth/${VERSION}`;
  private running = false;

  constructor(private readonly options: ModelDownloaderOptions) {
    super();
    this.log = options.log;
    this.modelsDir = join(options.dataDir, 'models');
    this.store = new DownloadStore(join(this.modelsDir, 'downloads.json'), options.log);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.maxActive = Math.max(1, options.maxActive ?? 1);
  }

  async start(): Promise<void> {
    await mkdir(this.modelsDir, { recursive: true });
    const records = await this.store.load();
    this.entries.clear();
    for (const record of records) {
      // An entry that was active when the daemon stopped (or the power went) simply runs again.
      if (record.state === 'active') record.state = 'queued';
      const e = newEntry(record);
      e.receivedBytes = record.state === 'done' ? (record.totalBytes ?? 0) : await fileSize(this.partialPath(record.file));
      this.entries.set(record.id, e);
    }
    await this.removeOrphanPartials();
    this.running = true;
    const unfinished = records.filter((r) => r.state === 'queued').length;
    if (unfinished > 0) this.log.info(`resuming ${unfinished} unfinished download${unfinished === 1 ? '' : 's'}`);
    this.pump();
  }

  /** Abort what is in flight (partials stay for the next start), and wait until the queue file is written. */
  async stop(): Promise<void> {
    this.running = false;
    const jobs = [...this.entries.values()].flatMap((e) => (e.job ? [e.job] : []));
    for (const job of jobs) {
      job.reason = 'stop';
      job.abort.abort();
    }
    await Promise.allSettled(jobs.map((j) => j.done));
    await this.store.flush();
    for (const e of this.entries.values()) this.settle(e);
  }

  list(): DownloadStatus[] {
    return [...this.entries.values()].map((e) => this.statusOf(e));
  }

  get(id: string): DownloadStatus | undefined {
    const e = this.entries.get(id);
    return e ? this.statusOf(e) : undefined;
  }

  /** Calls `listener` with every progress event until the returned function is called. */
  subscribe(listener: (status: DownloadStatus) => void): () => void {
    this.on('progress', listener);
    return () => this.off('progress', listener);
  }

  /**
   * Queue a download, or join the one already there for the same id or file: two pulls of
   * one model make one download. A paused or failed one is resumed. Returns at once; follow
   * it with 'progress' events or settled().
   */
  async pull(request: PullRequest): Promise<DownloadStatus> {
    this.assertRunning();
    const allowInsecureLoopback = this.options.allowInsecureLoopback === true;
    const url = checkPullUrl(request.url, allowInsecureLoopback);
    const file = checkModelFileName(request.file ?? fileNameFromUrl(url));
    const sha256 = checkSha256(request.sha256);
    const size = checkSize(request.size);
    const id = request.id === undefined ? file : checkDownloadId(request.id);
    const allowUnverified = request.allowUnverified === true;

    const existing = this.entries.get(id) ?? [...this.entries.values()].find((e) => e.record.file === file);
    if (existing) return this.join(existing, { id, url: url.href, file, sha256, size, allowUnverified });

    // Checked synchronously, so two pulls in the same tick cannot both pass it.
    if (existsSync(this.finalPath(file))) {
      throw conflict(`A model file named ${file} is already in the models folder. Delete it first, or download under another file name.`);
    }
    const now = new Date().toISOString();
    const e = newEntry({
      id,
      url: url.href,
      file,
      expectedSha256: sha256,
      expectedSize: size,
      linkedSha256: null,
      linkedSize: null,
      totalBytes: null,
      etag: null,
      allowUnverified,
      state: 'queued',
      error: null,
      sha256: null,
      createdAt: now,
      updatedAt: now,
    });
    this.entries.set(id, e);
    this.log.info(`queued ${file}`, { id, url: url.href });
    this.emitNow(e);
    try {
      await this.persist();
    } catch (err) {
      // Not on disk, so not accepted: undo, including a start another download's end may have given it meanwhile.
      this.entries.delete(id);
      if (e.job) {
        e.job.reason = 'cancel';
        e.job.abort.abort();
        await e.job.done;
        await rm(this.partialPath(file), { force: true });
      }
      throw err;
    }
    this.pump();
    return this.statusOf(e);
  }

  /** Stop a download and keep its partial file; resume() carries on from there. */
  async pause(id: string): Promise<DownloadStatus> {
    const e = this.entry(id);
    const state = e.record.state;
    if (state === 'done') throw conflict(`${e.record.file} has finished downloading; there is nothing to pause.`);
    if (e.job) {
      e.job.reason = 'pause';
      e.job.abort.abort();
      await e.job.done;
    } else if (state === 'queued') {
      this.setState(e, 'paused');
      await this.persist();
      this.settle(e);
    }
    return this.statusOf(e);
  }

  /** Queue a paused or failed download again; it continues from its partial file. */
  async resume(id: string): Promise<DownloadStatus> {
    this.assertRunning();
    const e = this.entry(id);
    if (e.record.state === 'paused' || e.record.state === 'failed') {
      e.record.error = null;
      this.setState(e, 'queued');
      await this.persist();
      this.pump();
    }
    return this.statusOf(e);
  }

  /** Stop a download, delete its partial file and forget it. A finished model file is left alone. */
  async cancel(id: string): Promise<void> {
    const e = this.entry(id);
    if (e.job) {
      e.job.reason = 'cancel';
      e.job.abort.abort();
      await e.job.done;
    }
    this.entries.delete(id);
    if (e.record.state !== 'done') await rm(this.partialPath(e.record.file), { force: true });
    e.hash = null;
    await this.persist();
    this.log.info(`cancelled ${e.record.file}`, { id });
    const status: DownloadStatus = { ...this.statusOf(e), state: 'cancelled', bytesPerSecond: 0, etaSeconds: null };
    this.emit('progress', status);
    for (const resolve of e.waiters.splice(0)) resolve(status);
  }

  /** Resolves once the download is done, failed, paused or cancelled (or the downloader stops). */
  settled(id: string): Promise<DownloadStatus> {
    const e = this.entry(id);
    if (SETTLED.has(e.record.state) || !this.running) return this.store.flush().then(() => this.statusOf(e));
    return new Promise((resolve) => e.waiters.push(resolve));
  }

  partialPath(file: string): string {
    return join(this.modelsDir, `${file}.partial`);
  }

  finalPath(file: string): string {
    return join(this.modelsDir, file);
  }

  // ---- queue ----

  private join(e: Entry, want: { id: string; url: string; file: string; sha256: string | null; size: number | null; allowUnverified: boolean }): Promise<DownloadStatus> {
    const r = e.record;
    if (r.id === want.id && r.file !== want.file) throw conflict(`The download id ${want.id} is already used for ${r.file}.`);
    if (r.url !== want.url) {
      throw conflict(`${r.file} is already downloaded or queued from ${r.url}. Cancel that first, or choose another file name.`);
    }
    const inFlight = r.state === 'queued' || r.state === 'active';
    if (want.sha256 && r.expectedSha256 && want.sha256 !== r.expectedSha256 && inFlight) {
      throw conflict(`${r.file} is already being downloaded with a different expected sha256 (${r.expectedSha256}).`);
    }
    if (want.size !== null && r.expectedSize !== null && want.size !== r.expectedSize && inFlight) {
      throw conflict(`${r.file} is already being downloaded with a different expected size (${r.expectedSize} bytes).`);
    }
    if (want.sha256) r.expectedSha256 = want.sha256;
    if (want.size !== null) r.expectedSize = want.size;
    r.allowUnverified ||= want.allowUnverified;
    const again = r.state === 'paused' || r.state === 'failed' || (r.state === 'done' && !existsSync(this.finalPath(r.file)));
    if (again) {
      if (r.state === 'done') {
        r.sha256 = null;
        e.receivedBytes = 0;
      }
      r.error = null;
      this.setState(e, 'queued');
      this.pump();
    }
    return this.persist().then(() => this.statusOf(e));
  }

  private pump(): void {
    if (!this.running) return;
    let active = 0;
    for (const e of this.entries.values()) if (e.job) active++;
    for (const e of this.entries.values()) {
      if (active >= this.maxActive) break;
      if (e.record.state === 'queued' && !e.job) {
        this.launch(e);
        active++;
      }
    }
  }

  private launch(e: Entry): void {
    const job: Job = { abort: new AbortController(), reason: null, done: Promise.resolve() };
    e.job = job;
    this.setState(e, 'active');
    void this.persistQuietly();
    job.done = this.run(e, job).finally(() => {
      if (e.job === job) e.job = null;
      this.pump();
    });
  }

  private async run(e: Entry, job: Job): Promise<void> {
    const { file } = e.record;
    this.log.info(`downloading ${file}`, { url: e.record.url, from: e.receivedBytes });
    try {
      await this.downloadWithRetries(e, job);
    } catch (err) {
      if (job.reason === 'stop' || job.reason === 'cancel') return;
      if (job.reason === 'pause') {
        this.setState(e, 'paused');
        await this.persistQuietly();
        this.settle(e);
        this.log.info(`paused ${file}`, { receivedBytes: e.receivedBytes });
        return;
      }
      const failure = toDownloadError(err, file);
      if (failure.removePartial) {
        // Wrong content is worth nothing, and on a full disk the space is needed by everything else.
        await rm(this.partialPath(file), { force: true }).catch((rmErr: Error) => this.log.error(`could not delete ${file}.partial: ${rmErr.message}`));
        e.hash = null;
        e.receivedBytes = 0;
      }
      e.record.error = failure.message;
      this.setState(e, 'failed');
      await this.persistQuietly();
      this.settle(e);
      this.log.warn(`download of ${file} failed: ${failure.message}`);
    }
  }

  /** Tries until done; only tries in a row that made no progress count towards the limit, so a long download on a flaky link still finishes. */
  private async downloadWithRetries(e: Entry, job: Job): Promise<void> {
    const host = new URL(e.record.url).host;
    let failures = 0;
    let best = e.receivedBytes;
    for (;;) {
      try {
        await this.attempt(e, job);
        return;
      } catch (err) {
        if (job.abort.signal.aborted) throw err;
        const failure = toDownloadError(err, e.record.file);
        if (!failure.retryable) throw failure;
        if (e.receivedBytes > best) {
          best = e.receivedBytes;
          failures = 0;
        }
        failures++;
        if (failures >= this.retry.tries) {
          const what = failure.kind === 'server' ? `the server at ${host} kept failing` : `could not reach ${host}`;
          throw new DownloadError(`${what} after ${failures} tries: ${failure.message}`, 'fatal');
        }
        const delay = backoffDelay(failures, this.retry);
        this.log.warn(`${e.record.file}: ${failure.message}; trying again in ${(delay / 1000).toFixed(1)} s (try ${failures + 1} of ${this.retry.tries})`);
        await sleep(delay, undefined, { signal: job.abort.signal });
      }
    }
  }

  // ---- one try ----

  private async attempt(e: Entry, job: Job): Promise<void> {
    const r = e.record;
    const signal = job.abort.signal;
    const partial = this.partialPath(r.file);
    let have = await fileSize(partial);
    if (!e.hash || e.hash.bytes !== have) {
      // The running hash is not in step with the disk (a restart, or a write that failed half-way): rebuild it once.
      if (have > 0) this.log.info(`checking the ${formatBytes(have)} of ${r.file} already downloaded`);
      const { hash, head } = await hashPartial(partial, have, signal);
      e.hash = hash;
      if (head.length >= 4 && classifyHead(head) !== 'gguf') have = await this.restartFromZero(e, partial);
    }
    e.receivedBytes = have;
    e.meter.reset(have, Date.now());

    const known = expectedSize(r) ?? r.totalBytes;
    if (known !== null && have > known) have = await this.restartFromZero(e, partial);
    if (known !== null && have > 0 && have === known) return this.finish(e, signal); // all bytes were already here; only the check was missing
    if (known !== null) await this.checkDiskSpace(e, known, have);

    const { response: res, linked } = await openGet(new URL(r.url), {
      offset: have,
      ifRange: r.etag,
      signal,
      maxRedirects: this.options.maxRedirects ?? 10,
      idleTimeoutMs: this.options.idleTimeoutMs ?? 30_000,
      allowInsecureLoopback: this.options.allowInsecureLoopback === true,
      userAgent: this.userAgent,
    });
    const host = new URL(r.url).host;
    try {
      if (linked.sha256 && r.linkedSha256 && linked.sha256 !== r.linkedSha256 && have > 0) {
        r.linkedSha256 = linked.sha256;
        await this.restartFromZero(e, partial);
        throw new DownloadError(`${r.file} changed on the server since the download began; starting again from the beginning`, 'server');
      }
      r.linkedSha256 = linked.sha256 ?? r.linkedSha256;
      r.linkedSize = linked.size ?? r.linkedSize;
      if (r.expectedSha256 && r.linkedSha256 && r.expectedSha256 !== r.linkedSha256) {
        this.log.warn(`the server's sha256 for ${r.file} differs from the expected one; the expected one decides`, { expected: r.expectedSha256, server: r.linkedSha256 });
      }

      const status = res.statusCode ?? 0;
      if (status === 416) {
        const range = parseContentRange(headerValue(res, 'content-range'));
        if (have > 0 && range?.kind === 'unsatisfied' && range.total === have) {
          r.totalBytes = have;
          return await this.finish(e, signal);
        }
        await this.restartFromZero(e, partial);
        throw new DownloadError(`the server at ${host} would not resume ${r.file} (416); starting again from the beginning`, 'server');
      }
      if (status !== 200 && status !== 206) throw httpFailure(status, res.statusMessage, r.url);
      if (isWebPage(headerValue(res, 'content-type'))) throw webPage();

      let total: number | null;
      if (status === 206) {
        const range = parseContentRange(headerValue(res, 'content-range'));
        if (range?.kind !== 'range' || range.start !== have) {
          // A range we did not ask for: trust none of it.
          await this.restartFromZero(e, partial);
          throw new DownloadError(`the server at ${host} resumed at the wrong place; starting again from the beginning`, 'server');
        }
        const length = parseByteCount(headerValue(res, 'content-length'));
        total = range.total ?? (length === null ? null : have + length);
      } else {
        if (have > 0) {
          this.log.info(`${host} sent the whole file instead of the rest (no Range support, or it changed); starting ${r.file} again from the beginning`);
          have = await this.restartFromZero(e, partial);
        }
        total = parseByteCount(headerValue(res, 'content-length'));
      }

      const want = expectedSize(r);
      if (want !== null && total !== null && total !== want) {
        throw new DownloadError(
          `the server's ${r.file} is ${total} bytes, but it should be ${want} bytes (perhaps another version of the model); nothing was kept`,
          'fatal',
          true,
        );
      }
      total ??= want;
      r.totalBytes = total;
      r.etag = strongEtag(headerValue(res, 'etag'));
      if (!expectedSha256(r) && !r.allowUnverified) {
        throw new DownloadError(
          `no sha256 is known for ${r.file}: none was given and ${host} sent none (X-Linked-Etag), so the file could not be verified`,
          'fatal',
          true,
        );
      }
      void this.persistQuietly(); // what was learnt (sizes, hashes, ETag) must survive a restart
      if (known === null && total !== null) await this.checkDiskSpace(e, total, have);
      await this.receive(e, res, partial, have, total);
    } finally {
      res.destroy();
    }
    return this.finish(e, signal);
  }

  /** Stream the body to the end of the partial file, hashing each chunk once it is on disk. */
  private async receive(e: Entry, res: IncomingMessage, partial: string, from: number, total: number | null): Promise<void> {
    const r = e.record;
    const hash = e.hash ?? freshHash();
    e.hash = hash;
    if (hash.bytes !== from) throw new Error(`internal: hash at ${hash.bytes} bytes, file at ${from}`);
    // The first bytes of a new file are judged before any of them is written.
    let head: Buffer | null = from === 0 ? Buffer.alloc(0) : null;
    let fh: FileHandle | null = null;
    // Chunks are gathered into ~1 MiB writes, and each write runs in the thread pool while this
    // thread hashes the same bytes: a 64 KiB write-then-hash step per chunk held the rate at ~0.89 of a plain copy.
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let flushedAt = performance.now();
    const flush = async (): Promise<void> => {
      if (batchBytes === 0) return;
      flushedAt = performance.now();
      const buf = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes);
      batch = [];
      batchBytes = 0;
      fh ??= await open(partial, 'a');
      const written = appendAll(fh, buf);
      hash.hasher.update(buf);
      try {
        await written;
      } catch (err) {
        e.hash = null; // hashed but maybe not (all) on disk: a resume hashes the file again
        throw err;
      }
      hash.bytes += buf.length;
      e.receivedBytes = hash.bytes;
      this.progress(e);
    };
    try {
      for await (const data of res as AsyncIterable<Buffer>) {
        let chunk = data;
        if (head) {
          head = Buffer.concat([head, chunk]);
          if (head.length < 4) continue;
          checkHead(head);
          chunk = head;
          head = null;
        }
        if (total !== null && hash.bytes + batchBytes + chunk.length > total) {
          throw new DownloadError(`the server sent more than the ${total} bytes it announced for ${r.file}; nothing was kept`, 'fatal', true);
        }
        batch.push(chunk);
        batchBytes += chunk.length;
        // On a slow line, time decides: progress (and what a dropped connection keeps) stays current.
        if (batchBytes >= WRITE_BATCH_BYTES || performance.now() - flushedAt >= WRITE_BATCH_MS) await flush();
      }
      if (head) checkHead(head); // a body shorter than the magic
      await flush();
      await (fh as FileHandle | null)?.sync();
    } finally {
      // A dropped connection keeps what arrived: written now, it need not come again on resume.
      if (batchBytes > 0 && e.hash === hash) await flush().catch(() => undefined);
      await (fh as FileHandle | null)?.close();
    }
    if (total !== null && hash.bytes < total) {
      throw new DownloadError(`the connection closed after ${formatBytes(hash.bytes)} of ${formatBytes(total)}`, 'network');
    }
  }

  /** Verify size, sha256 and the validate hook, then rename into place. Any failure deletes the file. */
  private async finish(e: Entry, signal: AbortSignal): Promise<void> {
    const r = e.record;
    const partial = this.partialPath(r.file);
    const size = await fileSize(partial);
    if (!e.hash || e.hash.bytes !== size) e.hash = (await hashPartial(partial, size, signal)).hash;
    const sha = e.hash.hasher.copy().digest('hex');
    const wantSize = expectedSize(r) ?? r.totalBytes;
    if (wantSize !== null && size !== wantSize) {
      throw new DownloadError(`${r.file} came out ${size} bytes, but it should be ${wantSize} bytes; the file was deleted`, 'fatal', true);
    }
    const wantSha = expectedSha256(r);
    if (wantSha && sha !== wantSha) {
      throw new DownloadError(`${r.file} failed verification: its sha256 is ${sha}, but ${wantSha} was expected; the file was deleted`, 'fatal', true);
    }
    if (this.options.validate) {
      let verdict: Awaited<ReturnType<ValidateModelFile>>;
      try {
        verdict = await this.options.validate(partial);
      } catch (err) {
        verdict = { ok: false, error: (err as Error).message };
      }
      if (!verdict.ok) throw new DownloadError(`${r.file} is not a usable GGUF model: ${verdict.error}; the file was deleted`, 'fatal', true);
    }
    signal.throwIfAborted(); // paused or stopped while verifying: stay a partial
    await rename(partial, this.finalPath(r.file));
    await syncDir(this.modelsDir);
    r.sha256 = sha;
    r.totalBytes = size;
    r.error = null;
    e.receivedBytes = size;
    e.hash = null;
    this.setState(e, 'done');
    await this.persistQuietly();
    this.settle(e);
    this.log.info(`downloaded ${r.file}`, { bytes: size, sha256: sha, verified: wantSha !== null });
  }

  private async restartFromZero(e: Entry, partial: string): Promise<0> {
    await truncate(partial, 0).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    e.hash = freshHash();
    e.receivedBytes = 0;
    e.meter.reset(0, Date.now());
    return 0;
  }

  /** Before the first byte: the rest of this model, what other running downloads still need, and a margin must fit. */
  private async checkDiskSpace(e: Entry, total: number, have: number): Promise<void> {
    const free = await (this.options.freeBytes ?? freeBytesOnDisk)(this.modelsDir);
    let others = 0;
    for (const other of this.entries.values()) {
      const otherTotal = expectedSize(other.record) ?? other.record.totalBytes;
      if (other !== e && other.job && otherTotal !== null) others += Math.max(0, otherTotal - other.receivedBytes);
    }
    const margin = this.options.diskMarginBytes ?? Math.max(MIN_MARGIN, Math.ceil(total * 0.05));
    const needed = total - have;
    if (needed + others + margin <= free) return;
    const also = others > 0 ? `, other downloads still need ${formatBytes(others)}` : '';
    throw new DownloadError(
      `not enough free disk space for ${e.record.file}: it needs ${formatBytes(needed)} more (plus ${formatBytes(margin)} to spare${also}), but only ${formatBytes(free)} is free. Free some space or choose a smaller model`,
      'fatal',
    );
  }

  /** `.partial` files nobody will resume (their entry was lost) only take space. */
  private async removeOrphanPartials(): Promise<void> {
    const wanted = new Set([...this.entries.values()].map((e) => `${e.record.file}.partial`));
    for (const name of await readdir(this.modelsDir)) {
      if (name.endsWith('.partial') && !wanted.has(name)) {
        this.log.warn(`deleting ${name}: no download belongs to it`);
        await rm(join(this.modelsDir, name), { force: true });
      }
    }
  }

  // ---- state and events ----

  private setState(e: Entry, state: DownloadState): void {
    e.record.state = state;
    e.record.updatedAt = new Date().toISOString();
    this.emitNow(e);
  }

  /** Wake settled() callers; called once the new state is on disk, so "settled" also means "saved". */
  private settle(e: Entry): void {
    if (e.waiters.length === 0) return;
    const status = this.statusOf(e);
    for (const resolve of e.waiters.splice(0)) resolve(status);
  }

  private progress(e: Entry): void {
    const now = Date.now();
    e.meter.sample(e.receivedBytes, now);
    if (now - e.lastEmitAt < (this.options.progressIntervalMs ?? 250)) return;
    e.lastEmitAt = now;
    this.emit('progress', this.statusOf(e, now));
  }

  private emitNow(e: Entry): void {
    e.lastEmitAt = Date.now();
    this.emit('progress', this.statusOf(e));
  }

  private statusOf(e: Entry, now = Date.now()): DownloadStatus {
    const r = e.record;
    const total = expectedSize(r) ?? r.totalBytes;
    const active = r.state === 'active';
    const rate = active ? Math.round(e.meter.rate(now)) : 0;
    return {
      id: r.id,
      url: r.url,
      file: r.file,
      state: r.state,
      receivedBytes: e.receivedBytes,
      totalBytes: total,
      bytesPerSecond: rate,
      etaSeconds: active ? etaSeconds(total === null ? null : total - e.receivedBytes, rate) : null,
      ...(r.error ? { error: r.error } : {}),
      sha256: r.sha256 ?? expectedSha256(r),
    };
  }

  private persist(): Promise<void> {
    return this.store.save(() => [...this.entries.values()].map((e) => e.record));
  }

  private persistQuietly(): Promise<void> {
    return this.persist().catch((err: Error) => this.log.error(`could not save the download queue: ${err.message}`));
  }

  private entry(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new Problem(404, 'Not found', `There is no download with the id ${id}.`);
    return e;
  }

  private assertRunning(): void {
    if (!this.running) throw new Problem(503, 'Unavailable', 'The model downloader is not running.');
  }
}

function newEntry(record: DownloadRecord): Entry {
  return { record, receivedBytes: 0, meter: new RateMeter(), lastEmitAt: 0, job: null, hash: null, waiters: [] };
}

function expectedSha256(r: DownloadRecord): string | null {
  return r.expectedSha256 ?? r.linkedSha256;
}

function expectedSize(r: DownloadRecord): number | null {
  return r.expectedSize ?? r.linkedSize;
}

async function freeBytesOnDisk(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

function checkHead(head: Buffer): void {
  const kind = classifyHead(head);
  if (kind === 'gguf') return;
  if (kind === 'web-page') throw webPage();
  throw new DownloadError('the URL served a file that is not a GGUF model (it does not start with "GGUF"); nothing was kept', 'fatal', true);
}

function webPage(): DownloadError {
  return new DownloadError(
    'the URL served a web page, not a GGUF file; use the file\'s download link (on Hugging Face, .../resolve/main/<file>, not .../blob/main/<file>)',
    'fatal',
    true,
  );
}

function httpFailure(status: number, statusMessage: string | undefined, url: string): DownloadError {
  if (status === 404 || status === 410) return new DownloadError(`the server has no file at ${url} (${status})`, 'fatal');
  if (status === 401 || status === 403) {
    return new DownloadError(`the server refused access to ${url} (${status}); the model may need you to sign in or accept its licence first`, 'fatal');
  }
  if (status === 429) return new DownloadError('the server is limiting how often it may be asked (429)', 'server');
  if (status >= 500) return new DownloadError(`the server answered ${status}${statusMessage ? ` ${statusMessage}` : ''}`, 'server');
  return new DownloadError(`the server answered ${status}${statusMessage ? ` ${statusMessage}` : ''} for ${url}`, 'fatal');
}
