import type { AgentModel } from '../agents/types.js';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { basename, join } from 'node:path';
import type { ConfigStore } from '../config/config-store.js';
import type { InstalledModel } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Module } from '../module.js';
import { badRequest, conflict, Problem } from '../http/problem.js';
import { modelRoutes } from './routes.js';
import { InferenceWorker } from './inference/inference-worker.js';
import { InferenceScheduler } from './inference/scheduler.js';
import type { LoadRequest } from './inference/protocol.js';
import { ApiTokens } from './api/api-tokens.js';
import { ModelDownloader, type DownloadStatus } from './download/model-downloader.js';
import { FitChecker } from './catalog/fit-checker.js';
import { loadCatalog, findEntry, type Catalog, type CatalogEntry } from './catalog/catalog.js';
import { systemMemory } from './catalog/machine-memory.js';
import { assertDownloadAllowed, assertLoadAllowed, recommend, type FitVerdict } from './catalog/fit.js';
import { writeSyntheticModel } from './gguf/synth.js';
import { openAiRoutes } from './api/openai-routes.js';
import { ollamaRoutes } from './api/ollama-routes.js';

export type GgufCheck = (path: string) => Promise<{ ok: true } | { ok: false; error: string }>;

export interface ModelManagerOptions {
  config: ConfigStore;
  log: Logger;
  /** Validates a GGUF header before a file is offered for loading. */
  checkGguf: GgufCheck;
  /** The curated catalog (a local mirror's may be given instead). */
  catalog?: Catalog;
  /** Plain http to 127.0.0.1 for downloads and headers: a local mirror or a test server only. */
  allowLoopbackHttp?: boolean;
}

export interface PullRequest {
  /** A catalog id, or */
  id?: unknown;
  /** any https address of a GGUF file. */
  url?: unknown;
  /** Download even though the verdict says it does not fit (it still will not be loaded). */
  override?: unknown;
  /** For a custom URL whose publisher gives no sha256: keep the one computed while downloading. */
  allowUnverified?: unknown;
}

/** Which machine a calibration belongs to: a moved disk re-measures on the new box. */
export const machineKey = (): string => `${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}`;

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Models on the box: which are installed, which one is active, the supervised inference
 * worker and the one scheduler every user of the model goes through, and the /v1 API.
 */
export class ModelManager implements Module {
  readonly name = 'models';
  readonly dir: string;
  readonly worker: InferenceWorker;
  readonly scheduler: InferenceScheduler;
  readonly tokens: ApiTokens;
  readonly downloader: ModelDownloader;
  readonly fit: FitChecker;
  readonly catalog: Catalog;
  private calibrating = false;
  /** The context each installed model may use here, from its verdict (checked before loading). */
  private readonly allowedContext = new Map<string, number>();

  constructor(private readonly options: ModelManagerOptions) {
    const { config, log } = options;
    this.dir = join(config.dataDir, 'models');
    this.worker = new InferenceWorker({ log: log.child('worker') });
    this.scheduler = new InferenceScheduler({
      worker: this.worker,
      log,
      model: () => this.loadRequest(),
      keepAliveMs: () => {
        const minutes = config.data.models.keepAliveMinutes;
        return minutes === 0 ? 2 ** 31 - 1 : minutes * 60_000;
      },
    });
    this.tokens = new ApiTokens(config);
    this.catalog = options.catalog ?? loadCatalog();
    // Catalog verdicts use the catalog's numbers (no traffic to the hub on every page view);
    // a downloaded file's own header is read before it is loaded, and a custom URL's before download.
    this.fit = new FitChecker({ catalog: this.catalog, memory: systemMemory(), allowLoopbackHttp: options.allowLoopbackHttp === true });
    this.downloader = new ModelDownloader({
      dataDir: config.dataDir,
      log: log.child('downloads'),
      allowInsecureLoopback: options.allowLoopbackHttp === true,
      validate: (path) => options.checkGguf(path),
    });
    this.downloader.on('progress', (status: DownloadStatus) => {
      if (status.state === 'done') void this.installDownloaded(status).catch((err) => log.error(`could not register ${status.file}: ${(err as Error).message}`));
    });
    this.worker.on('loaded', () => void this.calibrateOnce());
  }

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.downloader.start();
    // Downloads that finished while nobody listened (a stop right after the last byte).
    for (const d of this.downloader.list()) if (d.state === 'done') await this.installDownloaded(d);
    const active = this.active();
    // The worker costs memory even empty: only run it once there is a model to serve.
    if (active) {
      await this.checkLoadable(active).catch((err) => this.options.log.error(`the active model cannot be loaded: ${(err as Error).message}`));
      await this.worker.start();
    }
  }

  async stop(): Promise<void> {
    this.scheduler.stop();
    await this.downloader.stop();
    await this.worker.stop();
  }

  /** Read the file's own header and refuse a model this machine cannot hold; remember the context it may use. */
  private async checkLoadable(model: InstalledModel): Promise<number> {
    const verdict = await this.fit.verdictForFile(join(this.dir, model.file), { modelId: model.id, name: model.name });
    // The owner's context setting is a wish; the load uses the smaller of it and what fits here.
    const { contextSize } = assertLoadAllowed(verdict);
    this.allowedContext.set(model.id, contextSize);
    return contextSize;
  }

  private async register(model: InstalledModel): Promise<void> {
    await this.options.config.update((c) => {
      c.models.installed = [...c.models.installed.filter((m) => m.id !== model.id), model];
      // The first model on the box becomes the active one: the wizard's choice needs no second step.
      c.models.active ??= model.id;
    });
    if (this.active()?.id === model.id) await this.activate(model);
  }

  private async installDownloaded(d: DownloadStatus): Promise<void> {
    if (this.installed().some((m) => m.file === d.file)) return;
    const entry = findEntry(this.catalog, d.id);
    const size = await stat(join(this.dir, d.file)).then((s) => s.size, () => null);
    if (size === null) return;
    await this.register({
      id: d.id,
      file: d.file,
      name: entry?.name ?? d.file,
      sizeBytes: size,
      sha256: d.sha256,
      source: d.url,
      addedAt: new Date().toISOString(),
    });
    this.options.log.info(`installed ${d.id} (${d.file})`);
  }

  /** Start a download (or, for the demo model, make it here): the fit verdict decides first. */
  async pull(req: PullRequest): Promise<{ verdict: FitVerdict; download: DownloadStatus | null; installed: InstalledModel | null }> {
    const override = req.override === true;
    if (typeof req.id === 'string' && req.id !== '') {
      const entry = findEntry(this.catalog, req.id);
      if (!entry) throw new Problem(404, 'No such model', `There is no model "${req.id}" in the catalog.`);
      const verdict = await this.fit.verdictFor(entry);
      assertDownloadAllowed(verdict, { override });
      if (this.installed().some((m) => m.id === entry.id)) throw conflict(`${entry.name} is already installed.`);
      if (entry.source === 'synthetic') return { verdict, download: null, installed: await this.makeSynthetic(entry) };
      if (entry.files.length !== 1) throw badRequest(`${entry.name} comes in ${entry.files.length} parts; multi-part downloads are not supported yet.`);
      const file = entry.files[0]!;
      const download = await this.downloader.pull({ url: file.url, id: entry.id, sha256: file.sha256 ?? undefined, size: file.sizeBytes });
      return { verdict, download, installed: null };
    }
    if (typeof req.url === 'string' && req.url !== '') {
      const verdict = await this.fit.verdictForUrl(req.url);
      assertDownloadAllowed(verdict, { override });
      const download = await this.downloader.pull({ url: req.url, id: verdict.modelId, allowUnverified: req.allowUnverified === true });
      return { verdict, download, installed: null };
    }
    throw badRequest('Choose a model from the catalog (id) or give the https address of a GGUF file (url).');
  }

  /** The demo model is generated on the box: no internet needed to try Hearth. */
  private async makeSynthetic(entry: Extract<CatalogEntry, { source: 'synthetic' }>): Promise<InstalledModel> {
    const file = `${entry.id}.gguf`;
    const out = join(this.dir, file);
    const r = await writeSyntheticModel({ out, shape: entry.synthetic.shape, type: entry.synthetic.type });
    const model: InstalledModel = { id: entry.id, file, name: entry.name, sizeBytes: r.bytes, sha256: await sha256File(out), source: 'synthetic', addedAt: new Date().toISOString() };
    await this.register(model);
    return model;
  }

  async catalogView(): Promise<{ models: (CatalogEntry & { verdict: FitVerdict })[]; recommended: string | null }> {
    const verdicts = await this.fit.catalogVerdicts();
    const byId = new Map(verdicts.map((v) => [v.modelId, v]));
    return {
      models: this.catalog.models.map((m) => ({ ...m, verdict: byId.get(m.id)! })),
      recommended: recommend(verdicts)?.modelId ?? null,
    };
  }

  async setKeepAlive(minutes: unknown): Promise<void> {
    if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 0 || minutes > 1440) {
      throw badRequest('Keep-alive is a whole number of minutes from 0 (always loaded) to 1440.', { field: 'keepAliveMinutes' });
    }
    await this.options.config.update((c) => void (c.models.keepAliveMinutes = minutes));
  }

  installed(): InstalledModel[] {
    return this.options.config.data.models.installed;
  }

  active(): InstalledModel | null {
    const id = this.options.config.data.models.active;
    return this.installed().find((m) => m.id === id) ?? null;
  }

  private loadRequest(): LoadRequest | null {
    const model = this.active();
    if (!model) return null;
    const { contextSize, calibration } = this.options.config.data.models;
    const allowed = this.allowedContext.get(model.id);
    if (allowed === undefined) return null; // not checked against this machine: never loaded blind
    const measured = calibration?.machine === machineKey() ? calibration : null;
    return {
      type: 'load',
      modelPath: join(this.dir, model.file),
      contextSize: Math.min(contextSize, allowed),
      // Until measured, one thread and one stream: the safe choice on small CPUs. The thermal governor may cap it.
      threads: Math.min(measured?.threads ?? 1, this.threadLimit ?? Infinity),
      sequences: measured?.parallel ?? 1,
    };
  }

  private threadLimit: number | null = null;

  /**
   * The thermal governor's cap on inference threads (null lifts it). llama.cpp fixes threads when the
   * context is made, so a loaded model is reloaded with the new count once no request is running.
   */
  setThreadLimit(limit: number | null): void {
    if (limit === this.threadLimit) return;
    this.threadLimit = limit;
    this.options.log.info(limit === null ? 'inference threads back to normal' : `inference threads limited to ${limit}`);
    void this.scheduler
      .whenIdle(async () => {
        const want = this.loadRequest();
        if (want && this.worker.loaded && want.threads !== this.worker.loaded.threads) await this.worker.load(want);
      })
      .catch((err: Error) => this.options.log.warn(`could not change inference threads: ${err.message}`));
  }

  /** First load on this machine: measure threads and parallel streams, remember, reload if it changes anything. */
  private async calibrateOnce(): Promise<void> {
    const { calibration } = this.options.config.data.models;
    if (this.calibrating || calibration?.machine === machineKey() || process.env.HEARTH_SKIP_CALIBRATION === '1') return;
    this.calibrating = true;
    try {
      const cores = availableParallelism();
      const threads = [...new Set([1, 2, 4, 8, cores].filter((t) => t <= cores))].sort((a, b) => a - b);
      const result = await this.worker.calibrate({ type: 'calibrate', id: `calibrate-${Date.now()}`, threads, parallel: [1, 2, 4, 8], tokens: 24 });
      this.options.log.info('measured this machine', { ...result });
      await this.options.config.update((c) => {
        c.models.calibration = { machine: machineKey(), threads: result.bestThreads, parallel: result.bestParallel, measuredAt: new Date().toISOString() };
      });
      await this.scheduler.whenIdle(async () => {
        const want = this.loadRequest();
        if (want && this.worker.loaded && (want.threads !== this.worker.loaded.threads || want.sequences !== this.worker.loaded.sequences)) await this.worker.load(want);
      });
    } catch (err) {
      this.options.log.warn(`could not measure this machine: ${(err as Error).message}`);
    } finally {
      this.calibrating = false;
    }
  }

  /** Import a GGUF file already on the box (`hearth model add`): validated, hashed, copied in atomically. */
  async addLocalFile(sourcePath: string, opts: { id?: string; name?: string } = {}): Promise<InstalledModel> {
    let size: number;
    try {
      const s = await stat(sourcePath);
      if (!s.isFile()) throw new Error('not a file');
      size = s.size;
    } catch {
      throw badRequest(`There is no readable file at ${sourcePath}.`, { field: 'path' });
    }
    const check = await this.options.checkGguf(sourcePath);
    if (!check.ok) throw badRequest(`${basename(sourcePath)} cannot be used: ${check.error}`, { field: 'path' });
    const file = basename(sourcePath).replace(/[^A-Za-z0-9._-]/g, '_');
    const id = opts.id ?? file.replace(/\.gguf$/i, '').toLowerCase();
    if (!/^[a-z0-9][a-z0-9._-]{0,99}$/.test(id)) throw badRequest('A model id uses lower-case letters, digits, dots, dashes and underscores.', { field: 'id' });
    if (this.installed().some((m) => m.id === id || m.file === file)) throw conflict(`A model "${id}" (${file}) is already installed.`);
    const target = join(this.dir, file);
    const partial = `${target}.partial`;
    await copyFile(sourcePath, partial);
    const fh = await open(partial, 'r+');
    await fh.sync();
    await fh.close();
    const sha256 = await sha256File(partial);
    await rename(partial, target);
    const model: InstalledModel = { id, file, name: opts.name ?? id, sizeBytes: size, sha256, source: `file:${sourcePath}`, addedAt: new Date().toISOString() };
    await this.register(model);
    return model;
  }

  /** Make a model the active one; the worker starts and loads it. */
  async use(id: unknown): Promise<InstalledModel> {
    const model = this.installed().find((m) => m.id === id);
    if (!model) throw new Problem(404, 'No such model', `There is no installed model "${String(id)}". \`hearth model ls\` lists them.`);
    await this.checkLoadable(model); // a model that would not fit is refused here, before anything changes
    await this.options.config.update((c) => void (c.models.active = model.id));
    await this.activate(model);
    return model;
  }

  private async activate(model: InstalledModel): Promise<void> {
    if (!this.allowedContext.has(model.id)) await this.checkLoadable(model);
    if (this.worker.state === 'stopped') await this.worker.start();
    this.scheduler.warm();
  }

  async remove(id: unknown): Promise<void> {
    const model = this.installed().find((m) => m.id === id);
    if (!model) throw new Problem(404, 'No such model', `There is no installed model "${String(id)}".`);
    if (this.active()?.id === model.id) await this.worker.unload();
    await this.options.config.update((c) => {
      c.models.installed = c.models.installed.filter((m) => m.id !== model.id);
      if (c.models.active === model.id) c.models.active = null;
    });
    await unlink(join(this.dir, model.file)).catch(() => undefined);
    // Forget the finished download too, so the list does not grow with models long gone.
    if (this.downloader.get(model.id)?.state === 'done') await this.downloader.cancel(model.id);
  }

  /** The model as agents use it: the same scheduler as the API, background priority unless asked otherwise. */
  agentModel(): AgentModel {
    return {
      modelId: () => this.active()?.id ?? null,
      contextTokens: () => this.worker.loaded?.contextSize ?? this.loadRequest()?.contextSize ?? this.options.config.data.models.contextSize,
      chat: (params, o) => this.scheduler.chat(params, { priority: o?.priority ?? 'background', signal: o?.signal }),
      countTokens: (texts, o) => this.scheduler.tokenize(texts, { priority: 'interactive', signal: o?.signal }),
      embed: async (texts, o) => (await this.scheduler.embed(texts, { priority: o?.priority ?? 'background', signal: o?.signal })).vectors,
    };
  }

  get keepAliveMinutes(): number {
    return this.options.config.data.models.keepAliveMinutes;
  }

  status() {
    return {
      active: this.active()?.id ?? null,
      worker: { state: this.worker.state, pid: this.worker.pid, crashes: this.worker.crashes, lastCrash: this.worker.lastCrash, loaded: this.worker.loaded },
      queue: { running: this.scheduler.running, queued: this.scheduler.queued },
      calibration: this.options.config.data.models.calibration,
    };
  }

  routes() {
    return modelRoutes(this);
  }

  ollamaRouter() {
    return ollamaRoutes({ scheduler: this.scheduler, tokens: this.tokens, installed: () => this.installed(), active: () => this.active()?.id ?? null });
  }

  openAiRouter() {
    return openAiRoutes({
      scheduler: this.scheduler,
      tokens: this.tokens,
      models: () => ({
        ids: this.installed().map((m) => m.id),
        active: this.active()?.id ?? null,
        created: (id) => Math.floor(Date.parse(this.installed().find((m) => m.id === id)?.addedAt ?? '0') / 1000),
      }),
    });
  }
}
