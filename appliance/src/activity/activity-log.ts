import { EventEmitter } from 'node:events';
import type { Statement } from 'better-sqlite3';
import { perConnection, type HearthDatabase } from '../store/store.js';

/** One line of what the box did: kinds are free strings such as 'agent.run', 'agent.failed', 'file.filed', 'governor.pause'. */
export interface ActivityEntry {
  id: number;
  at: string;
  kind: string;
  agent: string | null;
  message: string;
  /** Whatever was attached (parsed JSON), or null. */
  data: unknown;
}

interface ActivityRow {
  id: number;
  at: number;
  kind: string;
  agent: string | null;
  message: string;
  data: string | null;
}

/** Longer messages are cut: the log is for reading at a glance, details go in data. */
const MAX_MESSAGE_CHARS = 2000;

/** The activity log in hearth.db. Emits 'entry' (ActivityEntry) for each new line, for the live page. */
export class ActivityLog extends EventEmitter {
  private readonly now: () => number;
  private readonly statements = perConnection(() => this.store, () => this.prepare());

  constructor(private readonly store: HearthDatabase, options: { now?: () => number } = {}) {
    super();
    this.now = options.now ?? Date.now;
  }

  add(kind: string, message: string, extra: { agent?: string; data?: unknown } = {}): ActivityEntry {
    const at = this.now();
    const text = message.length > MAX_MESSAGE_CHARS ? message.slice(0, MAX_MESSAGE_CHARS - 1) + '…' : message;
    const data = toJson(extra.data);
    const id = Number(this.s.insert.run({ at, kind, agent: extra.agent ?? null, message: text, data }).lastInsertRowid);
    const entry = toEntry({ id, at, kind, agent: extra.agent ?? null, message: text, data });
    this.emit('entry', entry);
    return entry;
  }

  /** Newest first; `before` (an entry id) pages back from there. */
  list(opts: { limit?: number; before?: number; agent?: string } = {}): ActivityEntry[] {
    const limit = Math.min(500, Math.max(1, Math.trunc(opts.limit ?? 50) || 50));
    const rows = this.s.list.all({ before: opts.before ?? null, agent: opts.agent ?? null, limit }) as ActivityRow[];
    return rows.map(toEntry);
  }

  /** Deletes entries older than this age (ms before now); returns how many. */
  prune(olderThanMs: number): number {
    return this.s.prune.run(this.now() - olderThanMs).changes;
  }

  private get s() {
    return this.statements();
  }

  private prepare() {
    const db = this.store.db;
    const st = (sql: string): Statement => db.prepare(sql);
    return {
      insert: st('INSERT INTO activity (at, kind, agent, message, data) VALUES (@at, @kind, @agent, @message, @data)'),
      list: st(`SELECT * FROM activity WHERE (@before IS NULL OR id < @before) AND (@agent IS NULL OR agent = @agent)
                ORDER BY id DESC LIMIT @limit`),
      prune: st('DELETE FROM activity WHERE at < ?'),
    };
  }
}

/** JSON for the data column; something that cannot be JSON (a cycle, a BigInt) is noted, never thrown. */
function toJson(data: unknown): string | null {
  if (data === undefined || data === null) return null;
  try {
    return JSON.stringify(data) ?? null;
  } catch {
    return JSON.stringify({ unserialisable: String(data) });
  }
}

function toEntry(r: ActivityRow): ActivityEntry {
  return {
    id: r.id,
    at: new Date(r.at).toISOString(),
    kind: r.kind,
    agent: r.agent,
    message: r.message,
    data: r.data === null ? null : (JSON.parse(r.data) as unknown),
  };
}
