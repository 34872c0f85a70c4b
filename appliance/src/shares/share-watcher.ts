import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
// chokidar 4 rather than fs.watch({recursive}): on Linux, Node 20's recursive watch is emulated in JS
// (new subfolders are picked up late, and every event is a bare 'rename'); chokidar keeps one inotify
// watch per folder, follows new subfolders and says add/change/unlink, with one small dependency.
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../log.js';

export type ShareFileKind = 'added' | 'changed' | 'removed';

export interface ShareFileEvent {
  share: string;
  /** Relative to the share's folder, with forward slashes. */
  path: string;
  kind: ShareFileKind;
  size: number | null;
  /** When hearthd knew of it (ISO time). */
  at: string;
}

/**
 * How long a file must be quiet before its event goes out. SMB clients write a file in many
 * chunks; this folds them into one event shortly after the last write (the bench measures it).
 */
export const QUIET_MS = 60;
const RECENT_LIMIT = 200;

interface Pending {
  share: string;
  abs: string;
  rel: string;
  kind: ShareFileKind;
  timer: NodeJS.Timeout;
}

/** chokidar paths under a share's internal .hearth folder: never reported. */
const internal = (root: string) => (path: string): boolean => {
  const rel = relative(root, path);
  return rel === '.hearth' || rel.startsWith(`.hearth${sep}`);
};

/**
 * Notices files added, changed and removed in the shares (whoever wrote them: SMB, the web UI,
 * a shell) and emits one 'file' event per file once it has been quiet for QUIET_MS.
 * Keeps the most recent events in memory for late listeners.
 */
export class ShareWatcher extends EventEmitter {
  private readonly watchers = new Map<string, { root: string; watcher: FSWatcher }>();
  private readonly pending = new Map<string, Pending>();
  private readonly recentEvents: ShareFileEvent[] = [];

  constructor(private readonly log: Logger) {
    super();
  }

  recent(): ShareFileEvent[] {
    return [...this.recentEvents];
  }

  watching(share: string): boolean {
    return this.watchers.has(share);
  }

  /** Start watching a share's folder; resolves once the initial scan is done (so later writes are seen). */
  async add(share: string, root: string): Promise<void> {
    await this.remove(share);
    const watcher = watch(root, { ignoreInitial: true, ignored: internal(root), followSymlinks: false, persistent: true });
    this.watchers.set(share, { root, watcher });
    watcher.on('add', (p) => this.note(share, root, p, 'added'));
    watcher.on('change', (p) => this.note(share, root, p, 'changed'));
    watcher.on('unlink', (p) => this.note(share, root, p, 'removed'));
    watcher.on('error', (err) => this.log.warn(`watching share "${share}" failed: ${(err as Error).message}`));
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 10_000); // a huge tree keeps scanning in the background
      watcher.once('ready', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  async remove(share: string): Promise<void> {
    const w = this.watchers.get(share);
    if (!w) return;
    this.watchers.delete(share);
    for (const [key, p] of this.pending) {
      if (p.share === share) {
        clearTimeout(p.timer);
        this.pending.delete(key);
      }
    }
    await w.watcher.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all([...this.watchers.keys()].map((s) => this.remove(s)));
  }

  private note(share: string, root: string, abs: string, kind: ShareFileKind): void {
    const key = `${share}\u0000${abs}`;
    const before = this.pending.get(key);
    if (before) clearTimeout(before.timer);
    const merged = before ? merge(before.kind, kind) : kind;
    if (merged === null) {
      this.pending.delete(key); // made and removed within the quiet time: a temp file nobody needs to hear of
      return;
    }
    const rel = relative(root, abs).split(sep).join('/');
    const timer = setTimeout(() => void this.flush(key), QUIET_MS);
    this.pending.set(key, { share, abs, rel, kind: merged, timer });
  }

  private async flush(key: string): Promise<void> {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    let size: number | null = null;
    if (p.kind !== 'removed') {
      try {
        size = (await stat(p.abs)).size;
      } catch {
        return; // gone again before we looked: its removal comes as its own event
      }
    }
    const event: ShareFileEvent = { share: p.share, path: p.rel, kind: p.kind, size, at: new Date().toISOString() };
    this.recentEvents.push(event);
    if (this.recentEvents.length > RECENT_LIMIT) this.recentEvents.splice(0, this.recentEvents.length - RECENT_LIMIT);
    this.emit('file', event);
  }
}

/** Two events for one file within the quiet time, as one; null when they cancel out. */
function merge(first: ShareFileKind, next: ShareFileKind): ShareFileKind | null {
  if (first === 'added') return next === 'removed' ? null : 'added';
  if (first === 'removed') return next === 'removed' ? 'removed' : 'changed';
  return next === 'removed' ? 'removed' : 'changed';
}
