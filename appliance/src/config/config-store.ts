import { EventEmitter } from 'node:events';
import { readFile, rename, mkdir } from 'node:fs/promises';
import { randomUUID, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { configSchema, CONFIG_VERSION, telemetrySchema, type Config } from './schema.js';
import { migrate, ConfigTooNewError } from './migrations.js';
import { writeFileAtomic, removeStaleTemps } from './atomic-file.js';
import type { Logger } from '../log.js';
import type { Module } from '../module.js';

/** lowdb adapter: atomic, fsynced writes that keep the previous good file as config.json.bak. */
class AtomicJsonAdapter implements Adapter<Config> {
  constructor(private readonly path: string) {}
  async read(): Promise<Config | null> {
    return null; // loading, with validation and recovery, is ConfigStore.load's job
  }
  async write(data: Config): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(data, null, 2) + '\n', { keepBackup: true });
  }
}

export function freshConfig(now = new Date()): Config {
  return {
    version: CONFIG_VERSION,
    device: {
      id: randomUUID(),
      suffix: randomBytes(2).toString('hex'),
      name: 'Hearth',
      hostname: '',
      createdAt: now.toISOString(),
    },
    setup: { state: 'pending', step: 'claim', completedAt: null },
    auth: { setupCodeHash: null, owner: null, sessions: [] },
    models: { active: null, installed: [], keepAliveMinutes: 10, contextSize: 4096, calibration: null },
    apiTokens: [],
    shares: [],
    smb: { username: '', passwordSetAt: null },
    agents: [],
    agentSettings: { paused: false, concurrency: 1 },
    telemetry: telemetrySchema.parse({}),
  };
}

export type LoadOutcome =
  | { kind: 'loaded' }
  | { kind: 'fresh' }
  | { kind: 'recovered-from-backup'; brokenPath: string; reason: string }
  | { kind: 'fresh-after-broken'; brokenPath: string; reason: string };

/**
 * Settings in `<data>/config.json` through lowdb. Loads validate and migrate; a broken
 * file is moved aside, never overwritten; every change is one serialized atomic write.
 * Emits 'change' after each successful write.
 */
export class ConfigStore extends EventEmitter implements Module {
  readonly name = 'config';
  readonly path: string;
  private db: Low<Config> | null = null;
  private queue: Promise<void> = Promise.resolve();
  lastLoad: LoadOutcome = { kind: 'fresh' };

  constructor(readonly dataDir: string, private readonly log: Logger) {
    super();
    this.path = join(dataDir, 'config.json');
  }

  async start(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    await removeStaleTemps(this.path);
    const { config, outcome } = await this.load();
    this.lastLoad = outcome;
    this.db = new Low<Config>(new AtomicJsonAdapter(this.path), config);
    if (outcome.kind !== 'loaded') await this.db.write();
  }

  async stop(): Promise<void> {
    await this.queue; // flush: every accepted change is on disk before we exit
  }

  get data(): Readonly<Config> {
    if (!this.db) throw new Error('config is not loaded yet');
    return this.db.data;
  }

  /**
   * Apply a change and persist it. The mutator works on a copy, so a change that throws
   * or fails validation leaves both memory and disk untouched.
   */
  update(mutator: (draft: Config) => void): Promise<Config> {
    const run = async (): Promise<Config> => {
      const db = this.db;
      if (!db) throw new Error('config is not loaded yet');
      const draft = structuredClone(db.data);
      mutator(draft);
      const next = configSchema.parse(draft);
      const previous = db.data;
      db.data = next;
      try {
        await db.write();
      } catch (err) {
        db.data = previous;
        throw err;
      }
      this.emit('change', next, previous);
      return next;
    };
    const result = this.queue.then(run);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async load(): Promise<{ config: Config; outcome: LoadOutcome }> {
    const main = await this.readValid(this.path);
    if (main.kind === 'missing') {
      this.log.info('no config.json yet: starting as a new, unclaimed box');
      return { config: freshConfig(), outcome: { kind: 'fresh' } };
    }
    if (main.kind === 'ok') return { config: main.config, outcome: { kind: 'loaded' } };

    const brokenPath = `${this.path}.broken-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(this.path, brokenPath);
    this.log.error(`config.json could not be used (${main.reason}); kept it aside as ${brokenPath}`);
    const backup = await this.readValid(`${this.path}.bak`);
    if (backup.kind === 'ok') {
      this.log.warn('using the last good copy, config.json.bak');
      return { config: backup.config, outcome: { kind: 'recovered-from-backup', brokenPath, reason: main.reason } };
    }
    this.log.error('no usable backup either: starting unclaimed with a fresh setup code');
    return { config: freshConfig(), outcome: { kind: 'fresh-after-broken', brokenPath, reason: main.reason } };
  }

  private async readValid(path: string): Promise<{ kind: 'ok'; config: Config } | { kind: 'missing' } | { kind: 'invalid'; reason: string }> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
      return { kind: 'invalid', reason: `unreadable: ${(err as Error).message}` };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return { kind: 'invalid', reason: `not valid JSON: ${(err as Error).message}` };
    }
    let migrated: Record<string, unknown>;
    try {
      migrated = migrate(raw);
    } catch (err) {
      if (err instanceof ConfigTooNewError) throw err; // refuse to start rather than downgrade a newer file
      return { kind: 'invalid', reason: (err as Error).message };
    }
    const parsed = configSchema.safeParse(migrated);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return { kind: 'invalid', reason: `does not match the schema at ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'invalid'}` };
    }
    return { kind: 'ok', config: parsed.data };
  }
}
