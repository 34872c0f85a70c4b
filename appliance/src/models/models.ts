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
import { InferenceWorker } from './inference/inference-worker.js';
import { InferenceScheduler } from './inference/scheduler.js';
import type { LoadRequest } from './inference/protocol.js';
import { ApiTokens } from './api/api-tokens.js';
import { openAiRoutes } from './api/openai-routes.js';
import { ollamaRoutes } from './api/ollama-routes.js';

export type GgufCheck = (path: string) => Promise<{ ok: true } | { ok: false; error: string }>;

export interface ModelManagerOptions {
  config: ConfigStore;
  log: Logger;
  /** Validates a GGUF header before a file is offered for loading. */
  checkGguf: GgufCheck;
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
  private calibrating = false;

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
    this.worker.on('loaded', () => void this.calibrateOnce());
  }

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // The worker costs memory even empty: only run it once there is a model to serve.
    if (this.active()) await this.worker.start();
  }

  async stop(): Promise<void> {
    this.scheduler.stop();
    await this.worker.stop();
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
    const measured = calibration?.machine === machineKey() ? calibration : null;
    return {
      type: 'load',
      modelPath: join(this.dir, model.file),
      contextSize,
      // Until measured, one thread and one stream: the safe choice on small CPUs.
      threads: measured?.threads ?? 1,
      sequences: measured?.parallel ?? 1,
    };
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
      const want = this.loadRequest();
      if (want && (want.threads !== this.worker.loaded?.threads || want.sequences !== this.worker.loaded?.sequences)) await this.worker.load(want);
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
    await this.options.config.update((c) => void c.models.installed.push(model));
    return model;
  }

  /** Make a model the active one; the worker starts and loads it. */
  async use(id: unknown): Promise<InstalledModel> {
    const model = this.installed().find((m) => m.id === id);
    if (!model) throw new Problem(404, 'No such model', `There is no installed model "${String(id)}". \`hearth model ls\` lists them.`);
    await this.options.config.update((c) => void (c.models.active = model.id));
    if (this.worker.state === 'stopped') await this.worker.start();
    this.scheduler.warm();
    return model;
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
  }

  status() {
    return {
      active: this.active()?.id ?? null,
      worker: { state: this.worker.state, pid: this.worker.pid, crashes: this.worker.crashes, lastCrash: this.worker.lastCrash, loaded: this.worker.loaded },
      queue: { running: this.scheduler.running, queued: this.scheduler.queued },
      calibration: this.options.config.data.models.calibration,
    };
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
