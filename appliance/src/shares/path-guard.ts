import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/**
 * PathGuard: the one place that turns (a granted share, an untrusted relative path, an intent)
 * into a safe absolute path. The web file browser and the agents both go through it.
 *
 *   const guard = new PathGuard({ root: '/var/lib/hearth/shares/Inbox', access: 'read-write' });
 *   const target = await guard.resolve('Letters/tax.pdf', 'read');   // -> GuardedPath
 *   const { handle, stats } = await guard.openFile('Letters/tax.pdf'); // regular file, opened safely
 *   const scratch = await guard.tempDir();                              // <share>/.hearth/tmp for atomic writes
 *
 * Intents: 'read' (must exist; a symlink is followed when its target stays inside),
 * 'create' (must not exist under any normal form of its name), 'write' (create or replace a
 * file), 'delete' (must exist; a symlink is removed itself, never its target). Anything but
 * 'read' is refused on a 'read' grant.
 * Rules: paths are relative, '/'-separated, NFC-normalised; NUL, control characters and
 * backslashes are refused; '.' and empty segments are dropped; '..' may not climb out of the
 * share; a name is at most 255 bytes (UTF-8), a path at most 4096 bytes and 64 folders deep.
 * The result is resolved with realpath and must stay inside the real share root; symlink
 * loops, device files, FIFOs and sockets are refused; `.hearth` at the share root is never
 * reachable. Names are created in NFC; lookups try the name exactly as sent, then its NFC
 * form, then its NFD form, so files named by macOS (NFD) and Windows/Linux (NFC) are found.
 * Every refusal is a PathRefusedError with a `reason` code and a message a person can act on.
 */
export type ShareAccess = 'read' | 'read-write';
export interface ShareGrant {
  root: string;
  access: ShareAccess;
}
export type PathIntent = 'read' | 'write' | 'create' | 'delete';
export interface PathLimits {
  maxNameBytes: number;
  maxPathBytes: number;
  maxDepth: number;
}
export interface GuardedPath {
  /** The path inside the share, '/'-separated, as found on disk ('' is the share root). */
  relative: string;
  /** The absolute path to use: symlinks in folders resolved, inside the real share root. */
  absolute: string;
  /** The real folder that holds it (the share root itself for the root). */
  parent: string;
  /** What is there now; null when nothing is (create, or write of a new file). */
  kind: 'file' | 'dir' | 'symlink' | null;
  /** lstat of the entry, or stat of a followed symlink's target; null when nothing is there. */
  stats: Stats | null;
}

export type PathRefusal =
  | 'bad-name'
  | 'absolute-path'
  | 'too-long'
  | 'too-deep'
  | 'outside-share'
  | 'symlink-escape'
  | 'loop'
  | 'special-file'
  | 'internal'
  | 'not-found'
  | 'not-a-directory'
  | 'is-directory'
  | 'exists'
  | 'not-empty'
  | 'read-only'
  | 'share-root'
  | 'share-missing'
  | 'denied'
  | 'too-large'
  | 'no-space'
  | 'incomplete';

export class PathRefusedError extends Error {
  override readonly name = 'PathRefusedError';
  constructor(
    readonly reason: PathRefusal,
    message: string,
    /** The relative path as the caller sent it. */
    readonly path: string,
  ) {
    super(message);
  }
}

export const DEFAULT_PATH_LIMITS: PathLimits = { maxNameBytes: 255, maxPathBytes: 4096, maxDepth: 64 };
export const INTERNAL_DIR = '.hearth';
const PATH_MAX = 4096;

/** Quoted, shortened, control characters visible: untrusted text shown back in a message. */
function show(path: string): string {
  const s = path.length > 80 ? `${path.slice(0, 77)}...` : path;
  return JSON.stringify(s);
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const isInternal = (segments: readonly string[]) => segments.length > 0 && segments[0]!.toLowerCase() === INTERNAL_DIR;

export class PathGuard {
  readonly limits: PathLimits;

  constructor(
    readonly grant: ShareGrant,
    limits: Partial<PathLimits> = {},
  ) {
    this.limits = { ...DEFAULT_PATH_LIMITS, ...limits };
  }

  /** Resolve an untrusted relative path for one intent, or throw PathRefusedError. */
  async resolve(relPath: string, intent: PathIntent): Promise<GuardedPath> {
    if (intent !== 'read' && this.grant.access !== 'read-write') {
      throw new PathRefusedError('read-only', 'This share is read-only here: files can be read but not changed.', String(relPath));
    }
    const { lookup, nfc } = this.candidates(relPath);
    const rootReal = await this.realRoot(relPath);
    if (nfc.length === 0) {
      if (intent !== 'read') throw new PathRefusedError('share-root', 'The share itself cannot be replaced or deleted here; name a file or folder inside it.', relPath);
      return { relative: '', absolute: rootReal, parent: rootReal, kind: 'dir', stats: await stat(rootReal) };
    }

    // The first form of the name that exists wins; creation always uses NFC.
    let found: { segments: string[]; parent: string; leaf: string; stats: Stats } | null = null;
    let firstMiss: { segments: string[]; parent: string; leaf: string } | null = null;
    let firstError: unknown = null;
    for (const segments of lookup) {
      try {
        const parent = await this.realParent(rootReal, segments, relPath);
        const leaf = join(parent, segments[segments.length - 1]!);
        const stats = await lstatOrNull(leaf);
        if (stats) {
          found = { segments, parent, leaf, stats };
          break;
        }
        firstMiss ??= { segments, parent, leaf };
      } catch (err) {
        firstError ??= this.refusalFor(err, relPath);
      }
    }

    if (intent === 'create') {
      if (found) throw new PathRefusedError('exists', `${show(found.segments.join('/'))} already exists. Choose another name or delete it first.`, relPath);
      return this.fresh(rootReal, nfc, relPath);
    }
    if (!found) {
      if (intent === 'write') return this.fresh(rootReal, nfc, relPath);
      if (firstError && !firstMiss) throw firstError;
      throw new PathRefusedError('not-found', `${show(relPath)} does not exist in this share. It may have been moved or deleted.`, relPath);
    }

    const rel = found.segments.join('/');
    const base = { relative: rel, absolute: found.leaf, parent: found.parent };
    const { stats } = found;
    if (stats.isSymbolicLink()) {
      // A link is removed as itself; otherwise its target must stay inside the share.
      if (intent === 'delete') return { ...base, kind: 'symlink', stats };
      const target = await this.realInside(rootReal, found.leaf, relPath, 'symlink');
      const targetStats = await stat(target);
      if (intent === 'write') {
        if (targetStats.isDirectory()) throw isDirectory(relPath);
        if (!targetStats.isFile()) throw special(relPath, targetStats);
        return { ...base, kind: 'symlink', stats: targetStats };
      }
      return { ...base, absolute: target, kind: this.kindOf(targetStats, relPath), stats: targetStats };
    }
    const kind = this.kindOf(stats, relPath);
    if (intent === 'write' && kind === 'dir') throw isDirectory(relPath);
    return { ...base, kind, stats };
  }

  /**
   * Open a regular file for reading without following a last-moment symlink (O_NOFOLLOW),
   * without blocking on a FIFO (O_NONBLOCK), then check the open handle itself: fstat says
   * it is a regular file and the kernel's own path for it is inside the share.
   */
  async openFile(relPath: string): Promise<{ handle: FileHandle; stats: Stats; path: GuardedPath }> {
    const path = await this.resolve(relPath, 'read');
    if (path.kind === 'dir') throw isDirectory(relPath);
    const rootReal = await this.realRoot(relPath);
    let handle: FileHandle;
    try {
      handle = await open(path.absolute, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      throw this.refusalFor(err, relPath);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw special(relPath, stats);
      const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
      if (opened !== null) {
        if (!insideOf(rootReal, opened) || isInternal(relative(rootReal, opened).split(sep))) throw escape(relPath);
      } else {
        // No /proc: the handle must still be the file the checked path names.
        const now = await stat(path.absolute);
        if (now.dev !== stats.dev || now.ino !== stats.ino) throw escape(relPath);
      }
      return { handle, stats, path };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** <share>/.hearth/tmp (created 0700): where atomic writes stage their temp files. */
  async tempDir(): Promise<string> {
    const rootReal = await this.realRoot('');
    let dir = rootReal;
    for (const part of [INTERNAL_DIR, 'tmp']) {
      dir = join(dir, part);
      await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      const s = await lstat(dir);
      if (!s.isDirectory()) throw new PathRefusedError('special-file', `${dir} is not a plain folder; remove it so Hearth can stage uploads there.`, '');
    }
    return dir;
  }

  /** The real folder of a GuardedPath still is where it was checked (just before a rename). */
  async stillInside(path: GuardedPath): Promise<void> {
    const rootReal = await this.realRoot(path.relative);
    const parent = await realpath(path.parent).catch(() => null);
    if (parent !== path.parent || !insideOf(rootReal, parent)) throw escape(path.relative);
  }

  /** Validate and split: lookups try the path as sent, then NFC, then NFD; creation uses NFC. */
  private candidates(relPath: string): { lookup: string[][]; nfc: string[] } {
    if (typeof relPath !== 'string') throw new PathRefusedError('bad-name', 'The path must be text.', String(relPath));
    const nfcPath = relPath.normalize('NFC');
    const forms = [...new Set([relPath, nfcPath, nfcPath.normalize('NFD')])];
    const lookup = forms.map((form) => this.segments(form, relPath));
    return { lookup, nfc: lookup[forms.indexOf(nfcPath)]! };
  }

  private segments(path: string, original: string): string[] {
    if (path.includes('\0')) throw new PathRefusedError('bad-name', 'The path contains a NUL byte, which no file name can hold.', original);
    if (bytes(path) > this.limits.maxPathBytes) throw new PathRefusedError('too-long', `The path is longer than ${this.limits.maxPathBytes} bytes. Use shorter names or fewer folders.`, original);
    if (path.startsWith('/')) throw new PathRefusedError('absolute-path', `${show(original)} is an absolute path. Give a path inside the share, like "Letters/tax.pdf".`, original);
    if (path.includes('\\')) throw new PathRefusedError('bad-name', `${show(original)} contains a backslash. Separate folders with "/"; names cannot hold "\\" (Windows would read it as a folder separator).`, original);
    if (/[\u0001-\u001f\u007f]/.test(path)) throw new PathRefusedError('bad-name', `${show(original)} contains a control character (such as a line break). Rename it without one.`, original);
    const out: string[] = [];
    for (const segment of path.split('/')) {
      if (segment === '' || segment === '.') continue;
      if (segment === '..') {
        if (out.length === 0) throw new PathRefusedError('outside-share', `${show(original)} climbs out of the share with "..". Give a path inside the share.`, original);
        out.pop();
        continue;
      }
      if (bytes(segment) > this.limits.maxNameBytes) {
        throw new PathRefusedError('too-long', `A name in ${show(original)} is ${bytes(segment)} bytes long; names can be at most ${this.limits.maxNameBytes} bytes (UTF-8). Shorten it.`, original);
      }
      out.push(segment);
    }
    if (out.length > this.limits.maxDepth) throw new PathRefusedError('too-deep', `${show(original)} is ${out.length} folders deep; at most ${this.limits.maxDepth} are allowed.`, original);
    if (isInternal(out)) throw internal(original);
    return out;
  }

  private async realRoot(relPath: string): Promise<string> {
    try {
      const real = await realpath(this.grant.root);
      if ((await stat(real)).isDirectory()) return real;
    } catch {
      // reported below
    }
    throw new PathRefusedError('share-missing', `The share's folder ${this.grant.root} is missing or not a folder (a disk unplugged?). Reconnect it or change the share's folder.`, relPath);
  }

  /** realpath of the folder holding the last segment, checked to be a folder inside the share. */
  private async realParent(rootReal: string, segments: string[], relPath: string): Promise<string> {
    if (segments.length === 1) return rootReal;
    const parent = await this.realInside(rootReal, join(rootReal, ...segments.slice(0, -1)), relPath, 'folder');
    const s = await stat(parent);
    if (!s.isDirectory()) throw new PathRefusedError('not-a-directory', `${show(segments.slice(0, -1).join('/'))} is a file, not a folder.`, relPath);
    return parent;
  }

  /** realpath that must land inside the share and outside `.hearth`. */
  private async realInside(rootReal: string, path: string, relPath: string, what: 'folder' | 'symlink'): Promise<string> {
    let real: string;
    try {
      real = await realpath(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && what === 'symlink') {
        throw new PathRefusedError('not-found', `${show(relPath)} is a link to something that no longer exists.`, relPath);
      }
      throw this.refusalFor(err, relPath);
    }
    // The lexical path was inside, so only a symlink can have taken it out.
    if (!insideOf(rootReal, real)) throw escape(relPath);
    if (isInternal(relative(rootReal, real).split(sep))) throw internal(relPath);
    return real;
  }

  private async fresh(rootReal: string, segments: string[], relPath: string): Promise<GuardedPath> {
    const parent = await this.realParent(rootReal, segments, relPath);
    const absolute = join(parent, segments[segments.length - 1]!);
    if (bytes(absolute) >= PATH_MAX) throw new PathRefusedError('too-long', `The full path would be longer than the system allows (${PATH_MAX} bytes). Use shorter names.`, relPath);
    return { relative: segments.join('/'), absolute, parent, kind: null, stats: null };
  }

  private kindOf(stats: Stats, relPath: string): 'file' | 'dir' {
    if (stats.isFile()) return 'file';
    if (stats.isDirectory()) return 'dir';
    throw special(relPath, stats);
  }

  private refusalFor(err: unknown, relPath: string): unknown {
    switch ((err as NodeJS.ErrnoException).code) {
      case 'ENOENT':
        return new PathRefusedError('not-found', `A folder in ${show(relPath)} does not exist.`, relPath);
      case 'ENOTDIR':
        return new PathRefusedError('not-a-directory', `Part of ${show(relPath)} is a file, not a folder.`, relPath);
      case 'ELOOP':
        return new PathRefusedError('loop', `${show(relPath)} goes through a symbolic link that points back into itself (a link loop). Remove or fix the link.`, relPath);
      case 'ENAMETOOLONG':
        return new PathRefusedError('too-long', `${show(relPath)} is longer than the system allows. Use shorter names.`, relPath);
      case 'EACCES':
      case 'EPERM':
        return new PathRefusedError('denied', `Hearth is not allowed to open ${show(relPath)} (file permissions on the disk).`, relPath);
      default:
        return err;
    }
  }
}

/** Is `path` the root itself or below it? Both must be real (resolved) absolute paths. */
export function insideOf(rootReal: string, path: string): boolean {
  return path === rootReal || path.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep);
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

const escape = (relPath: string) =>
  new PathRefusedError('symlink-escape', `${show(relPath)} goes through a symbolic link that points outside this share; Hearth does not follow it.`, relPath);
const internal = (relPath: string) =>
  new PathRefusedError('internal', `${show(relPath)} is inside ${INTERNAL_DIR}, the share's internal folder, which is not reachable.`, relPath);
const isDirectory = (relPath: string) => new PathRefusedError('is-directory', `${show(relPath)} is a folder, not a file.`, relPath);
function special(relPath: string, stats: Stats): PathRefusedError {
  const what = stats.isFIFO() ? 'a FIFO (named pipe)' : stats.isSocket() ? 'a socket' : stats.isCharacterDevice() || stats.isBlockDevice() ? 'a device file' : 'not a regular file';
  return new PathRefusedError('special-file', `${show(relPath)} is ${what}; only regular files and folders can be used.`, relPath);
}
