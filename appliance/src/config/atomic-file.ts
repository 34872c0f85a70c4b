import { open, rename, link, unlink, readdir } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

/** fsync a directory so a rename inside it survives a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replace `path` atomically: write a temp file, fsync it, keep the previous version as
 * `<path>.bak` (a hard link, so no extra copy), rename the temp file over `path`, fsync the folder.
 * A crash at any point leaves either the old or the new file, never a torn one.
 */
export async function writeFileAtomic(path: string, content: string, options: { keepBackup?: boolean; mode?: number } = {}): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', options.mode ?? 0o600);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  if (options.keepBackup) {
    const bakTmp = `${path}.bak.tmp-${process.pid}`;
    try {
      await unlink(bakTmp).catch(() => undefined);
      await link(path, bakTmp);
      await rename(bakTmp, `${path}.bak`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  await rename(tmp, path);
  await syncDir(dirname(path));
}

/** Remove temp files a crash left behind next to `path`. */
export async function removeStaleTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const base = basename(path);
  for (const name of await readdir(dir)) {
    if (name.startsWith(`${base}.tmp-`) || name.startsWith(`${base}.bak.tmp-`)) {
      await unlink(join(dir, name)).catch(() => undefined);
    }
  }
}
