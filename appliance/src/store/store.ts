import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import type { Module } from '../module.js';
import type { Logger } from '../log.js';
import { migrate, migrations as defaultMigrations, type StoreMigration } from './migrations.js';

export const DATABASE_FILE = 'hearth.db';

export interface HearthDatabaseOptions {
  /** Another list of migrations (tests). */
  migrations?: StoreMigration[];
  /** How long a statement waits for another connection's lock before failing. */
  busyTimeoutMs?: number;
}

/** hearth.db: jobs, runs, library, memory, activity. One connection, opened at start, closed at stop. */
export class HearthDatabase implements Module {
  readonly name = 'store';
  readonly path: string;
  private connection: Database | null = null;

  constructor(
    readonly dataDir: string,
    private readonly log: Logger,
    private readonly options: HearthDatabaseOptions = {},
  ) {
    this.path = join(dataDir, DATABASE_FILE);
  }

  get db(): Database {
    if (!this.connection) throw new Error('hearth.db is not open');
    return this.connection;
  }

  get isOpen(): boolean {
    return this.connection !== null;
  }

  async start(): Promise<void> {
    this.open();
  }

  async stop(): Promise<void> {
    this.close();
  }

  /** Synchronous open for callers outside the module order (the CLI, tests). */
  open(): void {
    if (this.connection) return;
    mkdirSync(this.dataDir, { recursive: true });
    const db = new BetterSqlite3(this.path);
    try {
      db.pragma(`busy_timeout = ${this.options.busyTimeoutMs ?? 5000}`);
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`hearth.db could not switch to WAL (journal mode is ${String(mode)})`);
      // FULL, not NORMAL: in WAL, NORMAL can lose the last commits on power loss, and an acknowledged job must survive it; jobs are few, so an fsync per commit is cheap.
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      const { from, to } = migrate(db, this.options.migrations ?? defaultMigrations);
      if (from !== to) this.log.info(`hearth.db schema ${from} -> ${to}`);
    } catch (err) {
      db.close();
      throw err;
    }
    this.connection = db;
  }

  close(): void {
    const db = this.connection;
    this.connection = null;
    db?.close();
  }

  /** Runs fn in one BEGIN IMMEDIATE transaction: takes the write lock first, so a read-then-write cannot race another connection. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}

/**
 * Statements belong to one connection: `prepare` runs once per open connection and again after the
 * store was reopened. `store` is read lazily, so a class can set this up in a field initializer.
 */
export function perConnection<T>(store: () => HearthDatabase, prepare: () => T): () => T {
  let cached: { db: Database; statements: T } | null = null;
  return () => {
    const db = store().db;
    if (cached?.db !== db) cached = { db, statements: prepare() };
    return cached.statements;
  };
}
