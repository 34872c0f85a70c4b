import { closeSync, openSync, readdirSync, readSync } from 'node:fs';

// One buffer for every per-tick read: sysfs and /proc files are small, and a fresh Buffer each read is garbage each second.
let buffer = Buffer.allocUnsafe(64 * 1024);

/** The whole text of a small sysfs or /proc file, or null when it cannot be read (gone, no permission, EIO from a driver). */
export function readSmall(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return buffer.toString('latin1', 0, length);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Why a file could not be read, for an absence's reason ("permission denied"), or null when it can be. */
export function readError(path: string): string | null {
  try {
    closeSync(openSync(path, 'r'));
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'ENOENT') return 'missing';
    return code ?? String(e);
  }
}

/** A number from a small file (trimmed), or null when unreadable or not a finite number. */
export function readNumber(path: string): number | null {
  const text = readSmall(path);
  if (text === null) return null;
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : null;
}

export function readTrimmed(path: string): string | null {
  const text = readSmall(path);
  return text === null ? null : text.trim();
}

export function listDir(path: string): string[] {
  try {
    return readdirSync(path).sort(naturalCompare);
  } catch {
    return [];
  }
}

/** "hwmon2" before "hwmon10", "temp2_input" before "temp10_input". */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
