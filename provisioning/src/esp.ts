// The EFI system partition of a GPT disk or disk image, read and written with mtools at its byte
// offset: no mount, no loop device (the build host's kernel may not even mount vfat).

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const ESP_TYPE_GUID = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';

interface SfdiskJson {
  partitiontable: {
    label: string;
    sectorsize?: number;
    partitions?: { node: string; start: number; size: number; type: string; name?: string }[];
  };
}

export interface EspLocation {
  /** Byte offset of the partition from the start of the disk. */
  offset: number;
  /** Size in bytes. */
  size: number;
}

/** Where the ESP is in a GPT disk or image: the partition of the EFI system type (or named "esp"). */
export async function espLocation(diskPath: string): Promise<EspLocation> {
  let table: SfdiskJson['partitiontable'];
  try {
    const { stdout } = await run('sfdisk', ['--json', diskPath]);
    table = (JSON.parse(stdout) as SfdiskJson).partitiontable;
  } catch (err) {
    const msg = ((err as { stderr?: string }).stderr || (err as Error).message).trim();
    throw new Error(`Could not read the partition table of ${diskPath}: ${msg}`);
  }
  if (table.label !== 'gpt') throw new Error(`${diskPath} has a ${table.label} partition table, not GPT; a Hearth image uses GPT.`);
  const parts = table.partitions ?? [];
  const esp = parts.find((p) => p.type.toUpperCase() === ESP_TYPE_GUID) ?? parts.find((p) => p.name === 'esp');
  if (!esp) throw new Error(`${diskPath} has no EFI system partition (ESP).`);
  const sector = table.sectorsize ?? 512;
  return { offset: esp.start * sector, size: esp.size * sector };
}

export async function espOffset(diskPath: string): Promise<number> {
  return (await espLocation(diskPath)).offset;
}

/** mtools' -i argument for the file system at that offset. */
async function image(diskPath: string, offset?: number): Promise<string> {
  return `${diskPath}@@${offset ?? (await espOffset(diskPath))}`;
}

// MTOOLS_SKIP_CHECK: mtools refuses FAT geometries that do not fit a floppy-era track size otherwise.
const env = (): NodeJS.ProcessEnv => ({ ...process.env, MTOOLS_SKIP_CHECK: '1' });

function mtoolsError(what: string, err: unknown): Error {
  const msg = (String((err as { stderr?: unknown }).stderr ?? '') || (err as Error).message).trim();
  return new Error(`${what}: ${msg}`);
}

/** Write (or replace) a file in the ESP; `name` may include existing folders ("loader/entries/x.conf"). */
export async function espWriteFile(diskPath: string, name: string, content: string | Buffer, offset?: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-esp-'));
  try {
    const src = join(dir, 'content');
    await writeFile(src, content, { mode: 0o600 });
    await run('mcopy', ['-o', '-i', await image(diskPath, offset), src, `::/${name}`], { env: env() });
  } catch (err) {
    throw mtoolsError(`Could not write ${name} to the boot partition of ${diskPath}`, err);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function notFound(err: unknown): boolean {
  return /not found|no such file/i.test(String((err as { stderr?: unknown }).stderr ?? ''));
}

/** A file in the root of the ESP, or null when there is none. */
export async function espReadFile(diskPath: string, name: string, offset?: number): Promise<Buffer | null> {
  try {
    const { stdout } = await run('mtype', ['-i', await image(diskPath, offset), `::/${name}`], {
      env: env(),
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    if (notFound(err)) return null;
    throw mtoolsError(`Could not read ${name} from the boot partition of ${diskPath}`, err);
  }
}

/** Delete a file from the root of the ESP; false when it was not there. */
export async function espDeleteFile(diskPath: string, name: string, offset?: number): Promise<boolean> {
  try {
    await run('mdel', ['-i', await image(diskPath, offset), `::/${name}`], { env: env() });
    return true;
  } catch (err) {
    if (notFound(err)) return false;
    throw mtoolsError(`Could not delete ${name} from the boot partition of ${diskPath}`, err);
  }
}
