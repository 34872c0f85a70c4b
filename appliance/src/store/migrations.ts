import type { Database } from 'better-sqlite3';

/** One step of hearth.db's schema; `version` n turns a version n - 1 database into version n. */
export interface StoreMigration {
  readonly version: number;
  readonly description: string;
  up(db: Database): void;
}

export const migrations: StoreMigration[] = [
  {
    version: 1,
    description: 'jobs queue and activity log',
    up(db) {
      db.exec(`
        CREATE TABLE jobs (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          agent TEXT NOT NULL,
          trigger TEXT NOT NULL,
          idempotency_key TEXT NOT NULL,
          input TEXT NOT NULL CHECK (json_valid(input)),
          state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed', 'dead')),
          attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
          max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
          next_attempt_at INTEGER NOT NULL,
          last_error TEXT,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          started_at INTEGER,
          finished_at INTEGER,
          UNIQUE (agent, idempotency_key)
        );
        CREATE INDEX jobs_due ON jobs (state, next_attempt_at, id);
        CREATE TABLE activity (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          at INTEGER NOT NULL,
          kind TEXT NOT NULL,
          agent TEXT,
          message TEXT NOT NULL,
          data TEXT CHECK (data IS NULL OR json_valid(data))
        );
        CREATE INDEX activity_at ON activity (at);
      `);
    },
  },
];

export class DatabaseTooNewError extends Error {
  constructor(readonly found: number, readonly known: number) {
    super(
      `hearth.db was written by a newer Hearth (schema version ${found}; this build knows up to ${known}). ` +
        'Install that version again, or restore a backup made by this one.',
    );
  }
}

/** Applies the missing migrations in order, each with its version bump in one transaction, so a crash leaves a whole version. */
export function migrate(db: Database, list: StoreMigration[] = migrations): { from: number; to: number } {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`store migration ${i} has version ${m.version}, expected ${i + 1}`);
  });
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > list.length) throw new DatabaseTooNewError(from, list.length);
  for (const m of list.slice(from)) {
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: Math.max(from, list.length) };
}
