import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';

/** Thrown with a message a person can act on; the routes turn it into a 400. */
export class ShareLocationError extends Error {
  constructor(message: string, readonly field = 'path') {
    super(message);
  }
}

/** System folders a share must never expose, nor any folder inside them. */
const SYSTEM_TREES = ['/etc', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/usr', '/boot', '/dev', '/proc', '/sys', '/run', '/var', '/root', '/snap'];
/** Folders that are fine to share things from inside, but not as a whole. */
const NOT_WHOLE = ['/', '/home', '/mnt', '/media', '/srv', '/opt', '/tmp', '/data'];
/** Inside the system trees only these hold user data one may point a share at (udisks mounts USB disks in /run/media). */
const USER_DATA_IN_SYSTEM_TREES = ['/var/tmp', '/run/media'];

const within = (parent: string, child: string): boolean => {
  if (parent === child) return true;
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

/** Where Hearth makes the folders of the shares it manages. */
export const managedSharesDir = (dataDir: string): string => join(dataDir, 'shares');

/**
 * Check a folder the owner points a share at (e.g. a mounted USB disk): it must exist, be a
 * folder, and, once symlinks are resolved, be neither a system folder, nor the data dir, nor
 * inside or around it (only <data>/shares/<x> is allowed). Returns the real path.
 */
export async function checkExistingFolder(input: unknown, dataDir: string): Promise<string> {
  if (typeof input !== 'string' || input.trim() === '') throw new ShareLocationError('Give the full path of the folder to share, such as /mnt/usb/Photos.');
  const given = input.trim();
  if (!isAbsolute(given)) throw new ShareLocationError(`"${given}" is not a full path; start it with /, such as /mnt/usb/Photos.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/u.test(given)) throw new ShareLocationError('The folder path cannot contain control characters.');
  let real: string;
  try {
    real = await realpath(given);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ShareLocationError(`There is no folder ${given} on the box. Check the path, or plug in the disk that holds it.`);
    if (code === 'EACCES') throw new ShareLocationError(`Hearth is not allowed to open ${given}.`);
    throw new ShareLocationError(`The folder ${given} cannot be used: ${(err as Error).message}`);
  }
  if (!(await stat(real)).isDirectory()) throw new ShareLocationError(`${given} is a file, not a folder; give the folder that holds it.`);
  // Samba would expand %u, %m... in a path: a folder name with % cannot be exported safely.
  if (real.includes('%')) throw new ShareLocationError(`The path ${real} contains "%", which Samba treats as a variable; rename the folder first.`);
  const shown = real === given ? real : `${given} (really ${real})`;
  if (NOT_WHOLE.includes(real)) throw new ShareLocationError(`Sharing ${shown} as a whole would expose the system; pick a folder inside it.`);
  const data = await realpath(dataDir).catch(() => dataDir);
  const managed = managedSharesDir(data);
  if (within(real, data)) throw new ShareLocationError(`${shown} holds Hearth's own data (${data}); it cannot be shared.`);
  if (within(data, real)) {
    const rel = relative(managed, real);
    const isManagedShareFolder = within(managed, real) && rel !== '' && !rel.includes(sep);
    if (!isManagedShareFolder) throw new ShareLocationError(`${shown} is inside Hearth's own data (${data}); only its shares/ folders can be shared.`);
    return real; // the data dir may itself sit in a system tree (/var/lib/hearth on the device)
  }
  const system = SYSTEM_TREES.find((t) => within(t, real) && !USER_DATA_IN_SYSTEM_TREES.some((a) => within(a, real)));
  if (system) throw new ShareLocationError(`${shown} is a system folder (inside ${system}); sharing it would expose the system. Pick a folder of your own, such as one on a USB disk.`);
  return real;
}
