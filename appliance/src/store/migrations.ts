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
  {
    version: 2,
    description: 'runs, library (documents, chunks, full-text index, action items), memory, file index, schedules, agent outputs',
    up(db) {
      db.exec(`
        -- One row per attempt of a job: what went in, what the model cost, how it ended.
        CREATE TABLE runs (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
          agent TEXT NOT NULL,
          trigger TEXT NOT NULL,
          input TEXT NOT NULL CHECK (json_valid(input)),
          model TEXT,
          model_calls INTEGER NOT NULL DEFAULT 0,
          prompt_tokens INTEGER NOT NULL DEFAULT 0,
          generated_tokens INTEGER NOT NULL DEFAULT 0,
          ttft_ms INTEGER,
          model_ms INTEGER NOT NULL DEFAULT 0,
          duration_ms INTEGER,
          started_at INTEGER NOT NULL,
          finished_at INTEGER,
          outcome TEXT NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'done', 'failed', 'interrupted')),
          error TEXT,
          output TEXT CHECK (output IS NULL OR json_valid(output)),
          energy_j REAL
        );
        CREATE INDEX runs_agent ON runs (agent, id);
        CREATE INDEX runs_started ON runs (started_at);

        -- The library: one entry per agent and content (sha256), wherever the file now lives.
        CREATE TABLE documents (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          agent TEXT NOT NULL,
          sha256 TEXT NOT NULL,
          share TEXT NOT NULL,
          path TEXT NOT NULL,
          name TEXT NOT NULL,
          format TEXT NOT NULL,
          size INTEGER NOT NULL,
          mtime INTEGER NOT NULL,
          extracted INTEGER NOT NULL CHECK (extracted IN (0, 1)),
          text_chars INTEGER NOT NULL DEFAULT 0,
          title TEXT NOT NULL,
          summary TEXT NOT NULL DEFAULT '',
          doc_type TEXT NOT NULL DEFAULT '',
          tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
          people TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(people)),
          organisations TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(organisations)),
          dates TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(dates)),
          note_share TEXT,
          note_path TEXT,
          run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          missing_at INTEGER,
          UNIQUE (agent, sha256)
        );
        CREATE INDEX documents_place ON documents (share, path);
        CREATE INDEX documents_created ON documents (created_at);

        CREATE TABLE action_items (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
          text TEXT NOT NULL,
          due TEXT,
          done_at INTEGER
        );
        CREATE INDEX action_items_document ON action_items (document_id);
        CREATE INDEX action_items_open ON action_items (done_at, due);

        CREATE TABLE chunks (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
          seq INTEGER NOT NULL,
          text TEXT NOT NULL,
          embedding BLOB,
          embedding_model TEXT,
          UNIQUE (document_id, seq)
        );

        -- Full-text indexes kept in step with their tables by triggers (external content: text stored once).
        CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
        CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
          INSERT INTO chunks_fts (rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
          INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER chunks_au AFTER UPDATE OF text ON chunks BEGIN
          INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
          INSERT INTO chunks_fts (rowid, text) VALUES (new.id, new.text);
        END;
        CREATE VIRTUAL TABLE documents_fts USING fts5(name, title, summary, tags, content='documents', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
        CREATE TRIGGER documents_ai AFTER INSERT ON documents BEGIN
          INSERT INTO documents_fts (rowid, name, title, summary, tags) VALUES (new.id, new.name, new.title, new.summary, new.tags);
        END;
        CREATE TRIGGER documents_ad AFTER DELETE ON documents BEGIN
          INSERT INTO documents_fts (documents_fts, rowid, name, title, summary, tags) VALUES ('delete', old.id, old.name, old.title, old.summary, old.tags);
        END;
        CREATE TRIGGER documents_au AFTER UPDATE OF name, title, summary, tags ON documents BEGIN
          INSERT INTO documents_fts (documents_fts, rowid, name, title, summary, tags) VALUES ('delete', old.id, old.name, old.title, old.summary, old.tags);
          INSERT INTO documents_fts (rowid, name, title, summary, tags) VALUES (new.id, new.name, new.title, new.summary, new.tags);
        END;

        -- Durable facts an agent keeps between runs; the owner can read and delete them.
        CREATE TABLE memory (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          agent TEXT NOT NULL,
          fact TEXT NOT NULL,
          source TEXT,
          created_at INTEGER NOT NULL,
          used_at INTEGER,
          UNIQUE (agent, fact)
        );

        -- What the folder triggers last saw of each file: a rescan at start-up hashes only what changed.
        CREATE TABLE files_seen (
          share TEXT NOT NULL,
          path TEXT NOT NULL,
          size INTEGER NOT NULL,
          mtime_ms INTEGER NOT NULL,
          sha256 TEXT NOT NULL,
          seen_at INTEGER NOT NULL,
          PRIMARY KEY (share, path)
        );
        CREATE INDEX files_seen_sha ON files_seen (sha256);

        -- The last scheduled time each scheduled agent was queued for, so a missed slot runs once at start-up.
        CREATE TABLE schedule_state (
          agent TEXT PRIMARY KEY,
          last_slot_at INTEGER NOT NULL
        );

        -- Results that are not documents: briefings, scheduled custom agents' outputs.
        CREATE TABLE agent_outputs (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          agent TEXT NOT NULL,
          key TEXT NOT NULL,
          title TEXT NOT NULL,
          content TEXT NOT NULL CHECK (json_valid(content)),
          note_share TEXT,
          note_path TEXT,
          run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
          created_at INTEGER NOT NULL,
          UNIQUE (agent, key)
        );
        CREATE INDEX agent_outputs_agent ON agent_outputs (agent, created_at);
      `);
    },
  },
  {
    version: 3,
    description: 'telemetry history (per-minute and per-hour min/avg/max by metric id) and energy per minute and per hour',
    up(db) {
      db.exec(`
        -- Metric names once; history rows carry the small integer id. Values are stored as round(value * scale).
        CREATE TABLE telemetry_metrics (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          unit TEXT NOT NULL,
          scale REAL NOT NULL CHECK (scale > 0),
          label TEXT NOT NULL
        );
        -- t: minutes since the epoch (UTC); n: samples in the minute. Kept for 366 days, then rolled into hours.
        CREATE TABLE telemetry_minute (
          metric INTEGER NOT NULL,
          t INTEGER NOT NULL,
          n INTEGER NOT NULL,
          min INTEGER NOT NULL,
          avg INTEGER NOT NULL,
          max INTEGER NOT NULL,
          PRIMARY KEY (metric, t)
        ) WITHOUT ROWID;
        -- t: hours since the epoch.
        CREATE TABLE telemetry_hour (
          metric INTEGER NOT NULL,
          t INTEGER NOT NULL,
          n INTEGER NOT NULL,
          min INTEGER NOT NULL,
          avg INTEGER NOT NULL,
          max INTEGER NOT NULL,
          PRIMARY KEY (metric, t)
        ) WITHOUT ROWID;
        -- System energy in millijoules per minute (t as above): est_mj of it from estimated power, covered_ms the time with readings.
        CREATE TABLE telemetry_energy (
          t INTEGER PRIMARY KEY,
          mj INTEGER NOT NULL,
          est_mj INTEGER NOT NULL,
          covered_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE telemetry_energy_hour (
          t INTEGER PRIMARY KEY,
          mj INTEGER NOT NULL,
          est_mj INTEGER NOT NULL,
          covered_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
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
