import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { constants, realpathSync, type Stats } from 'node:fs';
import { lstat, open, opendir, readlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../../log.js';
import type { ShareFileEvent } from '../../shares/share-watcher.js';
import type { HearthDatabase } from '../../store/store.js';
import { FileIndex } from './file-index.js';
import { isIgnoredFile } from './file-filter.js';
import { openForWriteAny } from './open-files.js';

export interface SettledFile {
  share: string;
  /** Relative to the share, forward slashes. */
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
  /** Set when the same bytes were last seen at another path that is gone: a rename or move. */
  renamedFrom: string | null;
}

export interface FolderTriggerOptions {
  store: HearthDatabase;
  log: Logger;
  /** Quiet time after the last event before a file is looked at. */
  settleMs?: number;
  /** A file still changing (or held open for writing) after this long is acted on anyway, with a warning. */
  maxWaitMs?: number;
  procRoot?: string;
  /** Wall clock for files_seen.seen_at; settling runs on the monotonic clock so a clock jump cannot stall it. */
  now?: () => number;
}

type Phase = 'settling' | 'checking' | 'hashing';

interface Pending {
  key: string;
  share: string;
  path: string;
  phase: Phase;
  /** Monotonic time it may be looked at. */
  dueAt: number;
  /** Monotonic time of the first event since it last settled (for maxWaitMs). */
  firstAt: number;
  /** The previous look: size, and mtime (null when the previous look was the watcher's event). */
  size: number | null;
  mtimeMs: number | null;
  /** Wall time of the event: an mtime at or before it means no write since. */
  eventWall: number;
  /** An event came while it was being checked or hashed: settle again afterwards. */
  dirty: boolean;
  /** Called once it leaves the pending set (a rescan waits for its batch this way). */
  onDone: (() => void) | null;
}

const DEFAULT_SETTLE_MS = 2000;
const DEFAULT_MAX_WAIT_MS = 3600_000;
const HASH_CONCURRENCY = 2;
const HASH_BUFFER = 256 * 1024;
// Files taken from the settle queue per look: one /proc pass and a bounded burst of lstats each.
const CHECK_BATCH = 500;
const LSTAT_CONCURRENCY = 16;
// Changed files a rescan hands to the hashers before it reads further: the walk's memory stays bounded.
const RESCAN_BATCH = 256;
const RESCAN_PAGE = 500;
// Removed content kept in mind so a rename whose 'removed' came first is still recognised.
const RECENT_REMOVED_MS = 10 * 60_000;
const RECENT_REMOVED_MAX = 2000;
const RENAME_CANDIDATES = 20;

const monotonic = (): number => performance.now();

/**
 * Turns the share watcher's raw events into one 'file' event per file that has settled: quiet for
 * settleMs, same size and mtime as the previous look, and held open for writing by no process,
 * then hashed (sha256). files_seen remembers what was seen, so unchanged bytes cost no event and
 * a restart hashes only what changed; the same bytes reappearing under a new name is a rename.
 * Emits 'file' (SettledFile) and 'removed' ({ share, path }).
 *
 * A 'file' listener that throws leaves files_seen as it was, so the file comes again at the next
 * rescan: a listener that records work synchronously gets every file at least once.
 */
export class FolderTrigger extends EventEmitter {
  readonly settleMs: number;
  readonly maxWaitMs: number;
  private readonly store: HearthDatabase;
  private readonly log: Logger;
  private readonly procRoot: string;
  private readonly now: () => number;
  private readonly index: FileIndex;
  private readonly roots = new Map<string, string>();
  /** Every file in hand, whatever its phase. */
  private readonly pending = new Map<string, Pending>();
  /** The settling ones, in order of dueAt (each event moves its file to the end). */
  private readonly settling = new Map<string, Pending>();
  private readonly hashQueue: Pending[] = [];
  private hashing = 0;
  private checking = false;
  private background = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly recentRemoved = new Map<string, { path: string; at: number }>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private hashes = 0;

  constructor(options: FolderTriggerOptions) {
    super();
    this.store = options.store;
    this.log = options.log;
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.procRoot = options.procRoot ?? '/proc';
    this.now = options.now ?? Date.now;
    this.index = new FileIndex(this.store);
  }

  /** Files hashed so far (a rescan of an unchanged tree adds none). */
  get hashCount(): number {
    return this.hashes;
  }

  watch(share: string, root: string): void {
    let real: string;
    try {
      real = realpathSync(root);
    } catch {
      real = resolve(root);
    }
    // /proc names open files by their real path, so the root must be the real one.
    this.roots.set(share, real);
  }

  unwatch(share: string): void {
    this.roots.delete(share);
    for (const p of [...this.pending.values()]) if (p.share === share && p.phase === 'settling') this.finish(p);
    for (const key of [...this.recentRemoved.keys()]) if (key.startsWith(`${share}\u0000`)) this.recentRemoved.delete(key);
  }

  noteEvent(e: ShareFileEvent): void {
    if (this.closed || !this.roots.has(e.share) || !safeRelative(e.path) || isIgnoredFile(e.path)) return;
    if (e.kind === 'removed') {
      this.track(this.removedEvent(e.share, e.path));
      return;
    }
    const wall = Date.parse(e.at);
    this.settle(e.share, e.path, e.size, null, Number.isFinite(wall) ? wall : Date.now());
  }

  /**
   * At start-up: walks the share and compares it with files_seen by size and mtime; only new and
   * changed files are hashed (files held open for writing settle as usual), and files_seen rows
   * whose file is gone are reported 'removed'.
   */
  async rescan(share: string): Promise<{ scanned: number; changed: number }> {
    const root = this.roots.get(share);
    if (!root) throw new Error(`share "${share}" is not watched`);
    // A missing root (an unplugged disk) must not read as every file removed.
    const rootStats = await lstat(root).catch(() => null);
    if (!rootStats?.isDirectory()) throw new Error(`the folder of share "${share}" (${root}) is not there; nothing was rescanned`);
    let scanned = 0;
    let changed = 0;
    let batch: { path: string; stats: Stats }[] = [];
    // A stack of folders still to read; opendir streams each one, so no listing is held whole.
    const folders: string[] = [''];
    while (folders.length > 0 && !this.closed) {
      const rel = folders.pop()!;
      let dir;
      try {
        dir = await opendir(rel === '' ? root : join(root, rel));
      } catch (err) {
        this.log.warn(`rescan of share "${share}" skipped folder "${rel}": ${(err as Error).message}`);
        continue;
      }
      try {
        for await (const entry of dir) {
          const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
          if (isIgnoredFile(path)) continue; // also .hearth and every hidden folder
          if (entry.isDirectory()) {
            folders.push(path);
            continue;
          }
          if (!entry.isFile()) continue; // symlinks, FIFOs, sockets, devices
          scanned++;
          if (this.pending.has(keyOf(share, path))) continue;
          const stats = await lstat(join(root, path)).catch(() => null);
          if (!stats?.isFile()) continue;
          const seen = this.index.get(share, path);
          if (seen && seen.size === stats.size && seen.mtimeMs === Math.floor(stats.mtimeMs)) continue;
          changed++;
          batch.push({ path, stats });
          if (batch.length >= RESCAN_BATCH) {
            await this.rescanBatch(share, root, batch);
            batch = [];
          }
        }
      } catch (err) {
        this.log.warn(`rescan of share "${share}" stopped reading folder "${rel}": ${(err as Error).message}`);
      }
    }
    if (batch.length > 0) await this.rescanBatch(share, root, batch);
    // Renames found above already dropped their old rows; what is left and gone was removed.
    let after = '';
    while (!this.closed) {
      const paths = this.index.pathsAfter(share, after, RESCAN_PAGE);
      if (paths.length === 0) break;
      after = paths[paths.length - 1]!;
      for (const path of paths) {
        if (this.pending.has(keyOf(share, path))) continue;
        if (isIgnoredFile(path) || !safeRelative(path) || (await gone(join(root, path)))) this.removed(share, path);
      }
    }
    return { scanned, changed };
  }

  pendingCount(): number {
    return this.pending.size;
  }

  /** Resolves when nothing is settling, being checked or hashed. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((done) => this.idleWaiters.push(done));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const waiting = [...this.settling.values(), ...this.hashQueue];
    this.hashQueue.length = 0;
    for (const p of waiting) this.finish(p);
    await this.idle(); // the checks and hashes already running end and drop their files
    this.recentRemoved.clear();
  }

  // --- settling ---

  private settle(share: string, path: string, size: number | null, mtimeMs: number | null, eventWall: number): void {
    const key = keyOf(share, path);
    const now = monotonic();
    const p = this.pending.get(key);
    if (p && p.phase !== 'settling') {
      p.dirty = true; // looked at again once the running check or hash is done
      return;
    }
    const entry: Pending = p ?? { key, share, path, phase: 'settling', dueAt: 0, firstAt: now, size: null, mtimeMs: null, eventWall, dirty: false, onDone: null };
    // A file written without pause is still looked at once maxWaitMs is up.
    entry.dueAt = Math.min(now + this.settleMs, entry.firstAt + this.maxWaitMs);
    entry.size = size;
    entry.mtimeMs = mtimeMs;
    entry.eventWall = eventWall;
    this.pending.set(key, entry);
    this.settling.delete(key); // re-inserted at the end: the map stays in dueAt order
    this.settling.set(key, entry);
    this.arm();
  }

  /** Back to settling after a look found it still changing or open. */
  private resettle(p: Pending, stats: Stats | null): void {
    if (this.closed) return this.finish(p);
    // A rescan waits for its batch only until each file is hashed or back to settling.
    const done = p.onDone;
    p.onDone = null;
    done?.();
    p.phase = 'settling';
    p.dirty = false;
    p.dueAt = monotonic() + this.settleMs;
    if (stats) {
      p.size = stats.size;
      p.mtimeMs = stats.mtimeMs;
    }
    this.settling.set(p.key, p);
    this.arm();
  }

  // One timer for all settling files: the queue is in dueAt order, so it only has to wake for the first.
  private arm(): void {
    if (this.timer || this.closed) return;
    const first = this.settling.values().next();
    if (first.done) return;
    this.timer = setTimeout(() => this.sweep(), Math.max(0, first.value.dueAt - monotonic()));
  }

  // One look at a time: files falling due meanwhile wait and share the next look (and its one pass over /proc).
  private sweep(): void {
    this.timer = null;
    if (this.closed || this.checking) return; // the running look arms the timer again when done
    const now = monotonic();
    const batch: Pending[] = [];
    for (const p of this.settling.values()) {
      if (p.dueAt > now + 1 || batch.length >= CHECK_BATCH) break;
      batch.push(p);
    }
    if (batch.length === 0) return this.arm();
    for (const p of batch) {
      this.settling.delete(p.key);
      p.phase = 'checking';
    }
    this.checking = true;
    void this.check(batch)
      .catch((err: Error) => {
        this.log.error(`checking settled files failed: ${err.message}`);
        for (const p of batch) if (p.phase === 'checking') this.finish(p);
      })
      .finally(() => {
        this.checking = false;
        this.arm();
        this.maybeIdle();
      });
  }

  /** Stable since the previous look and open for writing by nobody -> hash; else settle again (up to maxWaitMs). */
  private async check(batch: Pending[]): Promise<void> {
    const looks = await mapLimit(batch, LSTAT_CONCURRENCY, async (p) => {
      const root = this.roots.get(p.share);
      if (!root || this.closed) return null;
      const abs = join(root, p.path);
      const stats = await lstat(abs).catch(() => null);
      return stats?.isFile() ? { abs, stats } : null; // gone, a folder or a symlink: nothing to act on
    });
    const stable: { p: Pending; abs: string; stats: Stats }[] = [];
    batch.forEach((p, i) => {
      const look = looks[i];
      if (!look || this.closed) return this.finish(p);
      const same = look.stats.size === p.size && (p.mtimeMs === null ? look.stats.mtimeMs <= p.eventWall : look.stats.mtimeMs === p.mtimeMs);
      if (p.dirty || (!same && !this.overdue(p))) return this.resettle(p, look.stats);
      stable.push({ p, ...look });
    });
    if (stable.length === 0) return;
    const writing = await openForWriteAny(stable.map((s) => s.abs), this.procRoot);
    for (const { p, abs, stats } of stable) {
      if (this.closed) {
        this.finish(p);
      } else if (p.dirty) {
        this.resettle(p, stats);
      } else if (writing.has(abs) && !this.overdue(p)) {
        this.resettle(p, stats);
      } else {
        if (this.overdue(p)) this.log.warn(`"${p.path}" in share "${p.share}" kept changing or stayed open for ${Math.round(this.maxWaitMs / 1000)} s; acting on it as it is now`);
        this.queueHash(p);
      }
    }
  }

  private overdue(p: Pending): boolean {
    return monotonic() - p.firstAt >= this.maxWaitMs;
  }

  // --- hashing ---

  private queueHash(p: Pending): void {
    p.phase = 'hashing';
    this.hashQueue.push(p);
    this.pump();
  }

  private pump(): void {
    while (this.hashing < HASH_CONCURRENCY && this.hashQueue.length > 0) {
      const p = this.hashQueue.shift()!;
      this.hashing++;
      void this.hashOne(p)
        .catch((err: Error) => {
          this.log.warn(`could not read "${p.path}" in share "${p.share}": ${err.message}`);
          this.finish(p);
        })
        .finally(() => {
          this.hashing--;
          this.pump();
          this.maybeIdle();
        });
    }
  }

  private async hashOne(p: Pending): Promise<void> {
    const root = this.roots.get(p.share);
    if (!root || this.closed) return this.finish(p);
    const abs = join(root, p.path);
    const read = await hashFile(abs, () => this.closed).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ELOOP' || err.code === 'ENOTDIR' || err.code === 'ENXIO') return null;
      throw err;
    });
    this.hashes++;
    if (!read || this.closed) return this.finish(p); // gone, not a plain file any more, or we are stopping
    const after = await lstat(abs).catch(() => null);
    if (!after?.isFile()) return this.finish(p);
    if (this.closed) return this.finish(p);
    const changed = after.size !== read.stats.size || after.mtimeMs !== read.stats.mtimeMs || after.ino !== read.stats.ino || read.bytes !== read.stats.size;
    if ((p.dirty || changed) && !this.overdue(p)) return this.resettle(p, after);
    await this.settled(p, root, read.stats, read.sha256);
    this.finish(p);
  }

  /** The bytes are known: an event unless files_seen already says so. */
  private async settled(p: Pending, root: string, stats: Stats, sha256: string): Promise<void> {
    const seenAt = this.now();
    const file = { share: p.share, path: p.path, size: stats.size, mtimeMs: Math.floor(stats.mtimeMs), sha256, seenAt };
    const before = this.index.get(p.share, p.path);
    if (before?.sha256 === sha256) {
      // Same bytes (a touch, a save without changes): nothing to do but remember the new mtime.
      if (before.size !== file.size || before.mtimeMs !== file.mtimeMs) this.index.record(file);
      return;
    }
    const renamedFrom = await this.renameSource(p.share, root, p.path, sha256);
    const event: SettledFile = { share: p.share, path: p.path, size: file.size, mtimeMs: file.mtimeMs, sha256, renamedFrom };
    try {
      this.emit('file', event);
    } catch (err) {
      this.log.error(`handling "${p.path}" in share "${p.share}" failed; it is tried again at the next rescan: ${(err as Error).message}`);
      return;
    }
    if (renamedFrom !== null) this.index.move(renamedFrom, file);
    else this.index.record(file);
  }

  /**
   * Where these bytes were before, if that place is gone: either files_seen still has the old
   * row (the old name's 'removed' is still to come) or it was removed a moment ago.
   */
  private async renameSource(share: string, root: string, path: string, sha256: string): Promise<string | null> {
    for (const other of this.index.sameContent(share, sha256, path, RENAME_CANDIDATES)) {
      if (this.pending.has(keyOf(share, other))) continue;
      if (await gone(join(root, other))) return other;
    }
    const key = keyOf(share, sha256);
    const recent = this.recentRemoved.get(key);
    if (recent && recent.path !== path && monotonic() - recent.at < RECENT_REMOVED_MS) {
      this.recentRemoved.delete(key);
      return recent.path;
    }
    return null;
  }

  // --- removal ---

  /** The watcher says gone; a file that is there again (or never left) is a change instead. */
  private async removedEvent(share: string, path: string): Promise<void> {
    const root = this.roots.get(share);
    if (!root || this.closed) return;
    if (await gone(join(root, path))) this.removed(share, path);
    else this.settle(share, path, null, null, Date.now());
  }

  // A file still pending is left alone: its own look finds it gone (or back) and acts on that.
  private removed(share: string, path: string): void {
    const seen = this.index.forget(share, path);
    if (!seen) return; // never reported (or already reported as renamed): nobody needs to hear of it
    this.rememberRemoved(share, seen.sha256, path);
    try {
      this.emit('removed', { share, path });
    } catch (err) {
      this.log.error(`handling the removal of "${path}" in share "${share}" failed: ${(err as Error).message}`);
    }
  }

  private rememberRemoved(share: string, sha256: string, path: string): void {
    const now = monotonic();
    const key = keyOf(share, sha256);
    this.recentRemoved.delete(key);
    this.recentRemoved.set(key, { path, at: now });
    for (const [k, r] of this.recentRemoved) {
      if (this.recentRemoved.size <= RECENT_REMOVED_MAX && now - r.at < RECENT_REMOVED_MS) break;
      this.recentRemoved.delete(k);
    }
  }

  // --- bookkeeping ---

  private async rescanBatch(share: string, root: string, batch: { path: string; stats: Stats }[]): Promise<void> {
    const writing = await openForWriteAny(batch.map((b) => join(root, b.path)), this.procRoot);
    const done: Promise<void>[] = [];
    for (const { path, stats } of batch) {
      const key = keyOf(share, path);
      if (this.closed || this.pending.has(key)) continue;
      if (writing.has(join(root, path))) {
        this.settle(share, path, stats.size, stats.mtimeMs, Date.now()); // being written: settles like a live change
        continue;
      }
      const p: Pending = { key, share, path, phase: 'hashing', dueAt: 0, firstAt: monotonic(), size: stats.size, mtimeMs: stats.mtimeMs, eventWall: 0, dirty: false, onDone: null };
      done.push(new Promise<void>((resolveDone) => (p.onDone = resolveDone)));
      this.pending.set(key, p);
      this.queueHash(p);
    }
    await Promise.all(done);
  }

  /** Work started outside the settle/hash pipeline that idle() must still wait for. */
  private track(work: Promise<void>): void {
    this.background++;
    void work
      .catch((err: Error) => this.log.error(`folder trigger: ${err.message}`))
      .finally(() => {
        this.background--;
        this.maybeIdle();
      });
  }

  private finish(p: Pending): void {
    if (this.pending.get(p.key) === p) this.pending.delete(p.key);
    this.settling.delete(p.key);
    const done = p.onDone;
    p.onDone = null;
    done?.();
    this.maybeIdle();
  }

  private isIdle(): boolean {
    return this.pending.size === 0 && this.hashing === 0 && !this.checking && this.background === 0;
  }

  private maybeIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

/** Streams a file's sha256, opened without following a symlink and checked to be the plain file the path names. */
async function hashFile(abs: string, stopped: () => boolean): Promise<{ sha256: string; stats: Stats; bytes: number } | null> {
  // O_NONBLOCK: a FIFO swapped in after the lstat must not hang the open.
  const handle = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return null;
    // A folder on the way swapped for a symlink would lead elsewhere: /proc names what was really opened.
    const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => abs);
    if (opened !== abs) return null;
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(HASH_BUFFER);
    let bytes = 0;
    for (;;) {
      if (stopped()) return null; // a large file must not hold up hearthd's stop
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      bytes += bytesRead;
    }
    return { sha256: hash.digest('hex'), stats, bytes };
  } finally {
    await handle.close();
  }
}

/** Nothing at this path any more (or no plain file); a path we may not look at is not gone. */
async function gone(abs: string): Promise<boolean> {
  try {
    return !(await lstat(abs)).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR';
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function keyOf(share: string, path: string): string {
  return `${share}\u0000${path}`;
}

/** A watcher's relative path: no climbing out, nothing absolute, no empty or '.' parts. */
function safeRelative(path: string): boolean {
  if (path === '' || path.includes('\u0000')) return false;
  return path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}
