import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';

export interface ShareUsage {
  bytes: number;
  files: number;
  measuredAt: string;
}

/** Wait this long after the last change before measuring again: a copy of many files is one re-measure. */
const REMEASURE_DELAY_MS = 1_500;

/** Bytes and file count of a folder tree; symlinks are not followed, Hearth's .hearth folder is skipped. */
export async function measureTree(root: string): Promise<Omit<ShareUsage, 'measuredAt'>> {
  let bytes = 0;
  let files = 0;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let handle;
    try {
      handle = await opendir(dir);
    } catch {
      continue; // unreadable or removed while walking: counted as empty
    }
    for await (const entry of handle) {
      if (dir === root && entry.name === '.hearth') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else if (entry.isFile()) {
        files++;
        bytes += await lstat(path).then((s) => s.size, () => 0);
      }
    }
  }
  return { bytes, files };
}

/**
 * Usage per share, measured in the background and cached: requests read the cache and never
 * wait for a walk of a big tree. One walk at a time; changes schedule a re-measure.
 */
export class ShareUsageCache {
  private readonly cache = new Map<string, ShareUsage>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly roots = new Map<string, string>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly onMeasured: (share: string, usage: ShareUsage) => void = () => undefined) {}

  get(share: string): ShareUsage | null {
    return this.cache.get(share) ?? null;
  }

  /** Measure now (queued behind any walk in progress). */
  measure(share: string, root: string): Promise<void> {
    this.roots.set(share, root);
    const run = this.queue.then(async () => {
      if (this.closed || this.roots.get(share) !== root) return;
      const { bytes, files } = await measureTree(root);
      if (this.closed || this.roots.get(share) !== root) return;
      const usage = { bytes, files, measuredAt: new Date().toISOString() };
      this.cache.set(share, usage);
      this.onMeasured(share, usage);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Something changed in the share: measure again once it has been quiet for a moment. */
  changed(share: string): void {
    const root = this.roots.get(share);
    if (!root || this.closed) return;
    clearTimeout(this.timers.get(share));
    const t = setTimeout(() => {
      this.timers.delete(share);
      void this.measure(share, root).catch(() => undefined);
    }, REMEASURE_DELAY_MS);
    t.unref();
    this.timers.set(share, t);
  }

  forget(share: string): void {
    clearTimeout(this.timers.get(share));
    this.timers.delete(share);
    this.roots.delete(share);
    this.cache.delete(share);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
