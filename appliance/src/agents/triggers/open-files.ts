import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

// Processes looked at in parallel: enough to hide the syscalls' latency, few enough not to flood libuv's pool.
const PROCESS_CONCURRENCY = 8;
// O_ACCMODE bits of an fd's flags: 01 O_WRONLY, 02 O_RDWR.
const ACCESS_MODE = 0o3;

/** True when any process has absPath open for writing (O_WRONLY or O_RDWR), as /proc tells. */
export async function openForWrite(absPath: string, procRoot = '/proc'): Promise<boolean> {
  return (await openForWriteAny([absPath], procRoot)).has(absPath);
}

/**
 * Which of these absolute paths some process has open for writing: one pass over /proc for the
 * whole batch. Processes we may not look into (another user's, without root) count as not writing,
 * so callers keep the size/mtime check too. Without /proc (not Linux) the answer is the empty set.
 */
export async function openForWriteAny(paths: Iterable<string>, procRoot = '/proc'): Promise<Set<string>> {
  const wanted = new Set(paths);
  const found = new Set<string>();
  if (wanted.size === 0) return found;
  let pids: string[];
  try {
    pids = (await readdir(procRoot)).filter((name) => /^\d+$/.test(name));
  } catch {
    return found;
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pids.length && found.size < wanted.size) {
      const pid = pids[next++]!;
      await scanProcess(join(procRoot, pid), wanted, found);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PROCESS_CONCURRENCY, pids.length) }, worker));
  return found;
}

async function scanProcess(dir: string, wanted: Set<string>, found: Set<string>): Promise<void> {
  let fds: string[];
  try {
    fds = await readdir(join(dir, 'fd'));
  } catch {
    return; // gone meanwhile (ENOENT) or not ours to see (EACCES)
  }
  await Promise.all(
    fds.map(async (fd) => {
      const target = await readlink(join(dir, 'fd', fd)).catch(() => null);
      if (target === null || !wanted.has(target) || found.has(target)) return;
      if (await writable(join(dir, 'fdinfo', fd))) found.add(target);
    }),
  );
}

async function writable(fdinfo: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(fdinfo, 'utf8');
  } catch {
    return false; // the fd was closed between readlink and now
  }
  const m = /^flags:\s*([0-7]+)/m.exec(text);
  return m !== null && (parseInt(m[1]!, 8) & ACCESS_MODE) !== 0;
}
