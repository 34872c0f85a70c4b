import type { Statement } from 'better-sqlite3';
import { perConnection, type HearthDatabase } from '../../store/store.js';

/** What the folder trigger last saw at one place in a share. */
export interface SeenFile {
  share: string;
  path: string;
  size: number;
  /** Whole milliseconds (the column is an integer). */
  mtimeMs: number;
  sha256: string;
  seenAt: number;
}

interface SeenRow {
  share: string;
  path: string;
  size: number;
  mtime_ms: number;
  sha256: string;
  seen_at: number;
}

/** The files_seen table: lets a restart hash only what changed, and tells a rename from a new file. */
export class FileIndex {
  private readonly statements = perConnection(() => this.store, () => this.prepare());

  constructor(private readonly store: HearthDatabase) {}

  get(share: string, path: string): SeenFile | null {
    const row = this.s.get.get(share, path) as SeenRow | undefined;
    return row ? toSeen(row) : null;
  }

  /** One statement per file: insert or replace what is known of this place. */
  record(file: SeenFile): void {
    this.s.upsert.run({ share: file.share, path: file.path, size: file.size, mtime: file.mtimeMs, sha: file.sha256, at: file.seenAt });
  }

  /** A rename: the old place goes and the new one is recorded together. */
  move(from: string, file: SeenFile): void {
    this.store.transaction(() => {
      this.s.remove.run(file.share, from);
      this.record(file);
    });
  }

  forget(share: string, path: string): SeenFile | null {
    const row = this.s.get.get(share, path) as SeenRow | undefined;
    if (!row) return null;
    this.s.remove.run(share, path);
    return toSeen(row);
  }

  forgetShare(share: string): number {
    return this.s.removeShare.run(share).changes;
  }

  /** Other places in the share last seen with these bytes (a few: copies are rare). */
  sameContent(share: string, sha256: string, notPath: string, limit = 20): string[] {
    return (this.s.sameSha.all(share, sha256, notPath, limit) as { path: string }[]).map((r) => r.path);
  }

  /** Paths of one share in order, a page at a time: callers may write between pages (an open iterator would block that). */
  pathsAfter(share: string, after: string, limit: number): string[] {
    return (this.s.page.all(share, after, limit) as { path: string }[]).map((r) => r.path);
  }

  private get s() {
    return this.statements();
  }

  private prepare() {
    const db = this.store.db;
    const st = (sql: string): Statement => db.prepare(sql);
    return {
      get: st('SELECT * FROM files_seen WHERE share = ? AND path = ?'),
      upsert: st(`INSERT INTO files_seen (share, path, size, mtime_ms, sha256, seen_at) VALUES (@share, @path, @size, @mtime, @sha, @at)
                  ON CONFLICT (share, path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms,
                  sha256 = excluded.sha256, seen_at = excluded.seen_at`),
      remove: st('DELETE FROM files_seen WHERE share = ? AND path = ?'),
      removeShare: st('DELETE FROM files_seen WHERE share = ?'),
      sameSha: st('SELECT path FROM files_seen WHERE share = ? AND sha256 = ? AND path <> ? ORDER BY path LIMIT ?'),
      page: st('SELECT path FROM files_seen WHERE share = ? AND path > ? ORDER BY path LIMIT ?'),
    };
  }
}

function toSeen(r: SeenRow): SeenFile {
  return { share: r.share, path: r.path, size: r.size, mtimeMs: r.mtime_ms, sha256: r.sha256, seenAt: r.seen_at };
}
