import { constants, type Stats } from 'node:fs';
import { link, lstat, mkdir, open, opendir, readdir, rename, rm, rmdir, stat, statfs, unlink } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { INTERNAL_DIR, PathGuard, PathRefusedError, type GuardedPath } from './path-guard.js';

/** One row of a folder listing; `path` is relative to the share, as found on disk. */
export interface ShareFileEntry {
  name: string;
  path: string;
  type: 'file' | 'dir';
  size: number;
  modifiedAt: string;
}
export interface ShareListing {
  path: string;
  entries: ShareFileEntry[];
  /** More entries exist than the listing limit; the rest were left out. */
  truncated: boolean;
}
export interface ShareDownload {
  name: string;
  path: string;
  size: number;
  modifiedAt: string;
  /** Closes its file handle when it ends or is destroyed. */
  stream: Readable;
}
export interface UploadOptions {
  /** Replace an existing file of that name (otherwise 'exists' is refused). */
  overwrite?: boolean;
  /** The announced size (Content-Length), checked against the limit and free space up front. */
  expectedBytes?: number | null;
}
export interface UploadResult {
  entry: ShareFileEntry;
  /** An existing file was replaced. */
  replaced: boolean;
}
export interface ShareFilesOptions {
  /** Largest upload accepted; 16 GiB by default. */
  maxUploadBytes?: number;
  /** Most entries a listing returns; 5000 by default. */
  maxListEntries?: number;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 16 * 1024 ** 3;
export const DEFAULT_MAX_LIST_ENTRIES = 5000;
/** Temp files untouched this long are leftovers of a crash or power loss. */
const STALE_TEMP_MS = 6 * 3600_000;

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** What the file browser does in one share: every path goes through the share's PathGuard. */
export class ShareFiles {
  readonly maxUploadBytes: number;
  readonly maxListEntries: number;

  constructor(
    readonly guard: PathGuard,
    options: ShareFilesOptions = {},
  ) {
    this.maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    this.maxListEntries = options.maxListEntries ?? DEFAULT_MAX_LIST_ENTRIES;
  }

  /** Folders first, then files, by name; special files, escaping links and `.hearth` left out. */
  async list(relDir: string): Promise<ShareListing> {
    const dir = await this.guard.resolve(relDir, 'read');
    if (dir.kind !== 'dir') throw new PathRefusedError('not-a-directory', `${JSON.stringify(relDir)} is a file, not a folder.`, relDir);
    const names: { name: string; link: boolean; kind: 'file' | 'dir' | 'other' }[] = [];
    let truncated = false;
    const handle = await opendir(dir.absolute, { bufferSize: 256 });
    try {
      for await (const d of handle) {
        if (dir.relative === '' && d.name.toLowerCase() === INTERNAL_DIR) continue;
        if (names.length === this.maxListEntries) {
          truncated = true;
          break;
        }
        names.push({ name: d.name, link: d.isSymbolicLink(), kind: d.isDirectory() ? 'dir' : d.isFile() ? 'file' : 'other' });
      }
    } finally {
      // Breaking out of the iterator closes the handle already; closing twice throws.
      await handle.close().catch(() => {});
    }
    const rows = await Promise.all(
      names.map(async ({ name, link, kind }): Promise<ShareFileEntry | null> => {
        const path = dir.relative === '' ? name : `${dir.relative}/${name}`;
        if (kind === 'other' && !link) return null;
        try {
          // Links are shown only when the guard would follow them (target inside the share).
          const stats = link ? (await this.guard.resolve(path, 'read')).stats! : await lstat(join(dir.absolute, name));
          return entryOf(name, path, stats);
        } catch {
          return null;
        }
      }),
    );
    const entries = rows.filter((e): e is ShareFileEntry => e !== null);
    entries.sort((a, b) => (a.type === b.type ? collator.compare(a.name, b.name) || (a.name < b.name ? -1 : 1) : a.type === 'dir' ? -1 : 1));
    return { path: dir.relative, entries, truncated };
  }

  /** Open a regular file for download; the stream owns the file handle. */
  async download(relPath: string): Promise<ShareDownload> {
    const { handle, stats, path } = await this.guard.openFile(relPath);
    const name = path.relative.split('/').pop()!;
    return { name, path: path.relative, size: stats.size, modifiedAt: stats.mtime.toISOString(), stream: handle.createReadStream() };
  }

  /**
   * Write `body` as `name` in folder `relDir`, atomically: a 0600 temp file in
   * <share>/.hearth/tmp, size-limited, fsynced, then linked (no overwrite) or renamed
   * (overwrite) into place and the folder fsynced. A body that ends early or fails leaves
   * nothing behind.
   */
  async upload(relDir: string, name: string, body: AsyncIterable<Buffer | string>, options: UploadOptions = {}): Promise<UploadResult> {
    if (typeof name !== 'string' || name.trim() === '' || name.includes('/') || name === '.' || name === '..') {
      throw new PathRefusedError('bad-name', 'Give the file a name (without "/").', String(name));
    }
    const relPath = relDir && relDir !== '.' ? `${relDir.replace(/\/+$/, '')}/${name}` : name;
    const target = await this.guard.resolve(relPath, options.overwrite ? 'write' : 'create');
    const expected = options.expectedBytes ?? null;
    if (expected !== null && expected > this.maxUploadBytes) throw tooLarge(relPath, this.maxUploadBytes);
    if (expected !== null) await this.checkFreeSpace(target.parent, expected, relPath);

    const tempDir = await this.guard.tempDir();
    await sweepStaleTemps(tempDir);
    const tempPath = join(tempDir, `upload-${randomUUID()}.part`);
    const handle = await open(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    let placed = false;
    try {
      let written = 0;
      const endedEarly = () =>
        new PathRefusedError('incomplete', `The upload of ${JSON.stringify(name)} ended early (${written} of ${expected ?? '?'} bytes); nothing was saved. Try again.`, relPath);
      try {
        for await (const chunk of body) {
          const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          written += buf.length;
          if (written > this.maxUploadBytes) throw tooLarge(relPath, this.maxUploadBytes);
          await handle.write(buf).catch((err: NodeJS.ErrnoException) => {
            if (err.code === 'ENOSPC') throw new PathRefusedError('no-space', 'The disk filled up during the upload; nothing was saved. Free some space and try again.', relPath);
            throw err;
          });
        }
      } catch (err) {
        // The client hung up: an expected event, not a fault of the box.
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') throw endedEarly();
        throw err;
      }
      // A request cut off mid-way may end without an error: compare with what was announced.
      if ((body as { complete?: boolean }).complete === false || (expected !== null && written !== expected)) throw endedEarly();
      await handle.sync();
      await handle.close();
      await this.guard.stillInside(target);
      await place(tempPath, target, options.overwrite === true, relPath);
      placed = true;
    } finally {
      if (!placed) {
        await handle.close().catch(() => {});
        await unlink(tempPath).catch(() => {});
      }
    }
    await fsyncDir(target.parent);
    const stats = await stat(target.absolute);
    return { entry: entryOf(target.relative.split('/').pop()!, target.relative, stats), replaced: target.kind !== null };
  }

  /** Make one folder (its parent must exist). */
  async makeFolder(relPath: string): Promise<ShareFileEntry> {
    const target = await this.guard.resolve(relPath, 'create');
    try {
      await mkdir(target.absolute);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw exists(relPath);
      throw err;
    }
    await fsyncDir(target.parent);
    return entryOf(target.relative.split('/').pop()!, target.relative, await stat(target.absolute));
  }

  /** Delete a file, a link (never its target), or a folder (non-empty only with `recursive`). */
  async remove(relPath: string, options: { recursive?: boolean } = {}): Promise<GuardedPath> {
    const target = await this.guard.resolve(relPath, 'delete');
    if (target.kind === 'dir') {
      try {
        // rm does not follow links inside the folder: it removes the links themselves.
        if (options.recursive) await rm(target.absolute, { recursive: true });
        else await rmdir(target.absolute);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') {
          throw new PathRefusedError('not-empty', `The folder ${JSON.stringify(relPath)} is not empty. Delete what is inside first, or delete it with everything in it.`, relPath);
        }
        throw err;
      }
    } else {
      await unlink(target.absolute);
    }
    await fsyncDir(target.parent);
    return target;
  }

  private async checkFreeSpace(dir: string, needed: number, relPath: string): Promise<void> {
    const fs = await statfs(dir).catch(() => null);
    if (!fs) return;
    const free = fs.bavail * fs.bsize;
    if (needed > free) {
      throw new PathRefusedError('no-space', `The disk has ${formatBytes(free)} free, not enough for this ${formatBytes(needed)} upload. Free some space first.`, relPath);
    }
  }
}

/** Move the finished temp file into place: link() refuses to clobber atomically; rename replaces. */
async function place(tempPath: string, target: GuardedPath, overwrite: boolean, relPath: string): Promise<void> {
  if (overwrite) {
    await rename(tempPath, target.absolute);
    return;
  }
  try {
    await link(tempPath, target.absolute);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw exists(relPath);
    // Disks without hard links (FAT/exFAT USB sticks): check, then rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') throw err;
    if (await lstat(target.absolute).then(() => true, () => false)) throw exists(relPath);
    await rename(tempPath, target.absolute);
    return;
  }
  await unlink(tempPath);
}

/** Make a rename or create durable: fsync the folder that holds it (best effort on odd filesystems). */
async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY).catch(() => null);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some filesystems (FAT, network mounts) do not fsync folders.
  } finally {
    await handle.close();
  }
}

async function sweepStaleTemps(tempDir: string): Promise<void> {
  const names = await readdir(tempDir).catch(() => [] as string[]);
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith('upload-') || !name.endsWith('.part')) continue;
    const s = await lstat(join(tempDir, name)).catch(() => null);
    if (s && now - s.mtimeMs > STALE_TEMP_MS) await unlink(join(tempDir, name)).catch(() => {});
  }
}

function entryOf(name: string, path: string, stats: Stats): ShareFileEntry {
  const type = stats.isDirectory() ? 'dir' : 'file';
  return { name, path, type, size: type === 'dir' ? 0 : stats.size, modifiedAt: stats.mtime.toISOString() };
}

const exists = (relPath: string) => new PathRefusedError('exists', `${JSON.stringify(relPath)} already exists. Choose another name, or replace it.`, relPath);
const tooLarge = (relPath: string, limit: number) =>
  new PathRefusedError('too-large', `The file is larger than the ${formatBytes(limit)} an upload may be. Copy it over the network share instead.`, relPath);

function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
