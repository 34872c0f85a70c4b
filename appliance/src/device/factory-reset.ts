import { lstat, readdir, readFile, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { Module } from '../module.js';
import { syncDir, writeFileAtomic } from '../config/atomic-file.js';

/** In hearthd's data dir: "wipe me at the next start" (the box's path unit also turns it into an ESP file and a reboot). */
export const FACTORY_RESET_REQUEST = 'factory-reset-request';
/** In hearthd's data dir: "clear the owner's password at the next start" (written by first boot from the ESP file). */
export const RESET_PASSWORD_REQUEST = 'reset-password-request';
/** On the boot (ESP) partition: early boot formats the data partition. Same name as provisioning's FACTORY_RESET_FILE. */
export const ESP_FACTORY_RESET_FILE = 'hearth-factory-reset';

export interface FactoryResetRequest {
  requestedAt: string;
  by: 'ui' | 'cli';
}

/** Ask for a reset at the next start: one atomic write, so a power cut leaves either no request or a whole one. */
export async function requestFactoryReset(dataDir: string, by: FactoryResetRequest['by'], now = new Date()): Promise<FactoryResetRequest> {
  const request: FactoryResetRequest = { requestedAt: now.toISOString(), by };
  await writeFileAtomic(join(dataDir, FACTORY_RESET_REQUEST), JSON.stringify(request) + '\n', { mode: 0o644 });
  return request;
}

export async function factoryResetRequested(dataDir: string): Promise<boolean> {
  try {
    await lstat(join(dataDir, FACTORY_RESET_REQUEST));
    return true;
  } catch {
    return false;
  }
}

/**
 * Delete everything inside `dir`, but never `dir` itself (on the box its parent is root's) and never
 * anything outside it: symbolic links are removed, not followed, and other file systems mounted
 * inside are left alone. `keep` (a name in `dir`) goes last, so an interrupted wipe starts again.
 */
export async function wipeDirectory(dir: string, log: Logger, keep?: string): Promise<{ removed: number; skipped: string[] }> {
  const root = await stat(dir); // the data dir itself may be a link; what is inside it is never followed
  const skipped: string[] = [];
  let removed = 0;
  const wipe = async (path: string, top: boolean): Promise<boolean> => {
    let empty = true;
    for (const name of await readdir(path)) {
      if (top && name === keep) continue;
      const child = join(path, name);
      const st = await lstat(child);
      if (st.isDirectory()) {
        if (st.dev !== root.dev) {
          skipped.push(child);
          empty = false;
          continue;
        }
        if (await wipe(child, false)) {
          await rmdir(child);
          removed++;
        } else empty = false;
      } else {
        await unlink(child);
        removed++;
      }
    }
    return empty;
  };
  await wipe(dir, true);
  for (const path of skipped) log.warn(`left alone: ${path} is another file system mounted inside the data directory`);
  return { removed, skipped };
}

/**
 * The first module hearthd starts: when a factory reset was requested, it empties the data dir
 * before the config, database or setup code are read, so the box comes up new and unclaimed.
 * Share folders outside the data dir are only named in config.json, so they are never touched.
 */
export class FactoryReset implements Module {
  readonly name = 'factory-reset';
  /** Set when this start wiped the box. */
  performed = false;
  constructor(
    readonly dataDir: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (!(await factoryResetRequested(this.dataDir))) return;
    const marker = join(this.dataDir, FACTORY_RESET_REQUEST);
    let request: Partial<FactoryResetRequest> = {};
    try {
      request = JSON.parse(await readFile(marker, 'utf8')) as Partial<FactoryResetRequest>;
    } catch {
      // a torn or hand-made request still counts: the file's presence is the request
    }
    this.log.warn(`factory reset requested${request.by ? ` from the ${request.by === 'ui' ? 'web page' : 'command line'}` : ''}${request.requestedAt ? ` at ${request.requestedAt}` : ''}: erasing everything in ${this.dataDir}`);
    const { removed } = await wipeDirectory(this.dataDir, this.log, FACTORY_RESET_REQUEST);
    await unlink(marker);
    await syncDir(this.dataDir);
    this.performed = true;
    this.log.warn(`factory reset done (${removed} entries erased): starting as a new, unclaimed box with a new setup code`);
  }

  async stop(): Promise<void> {}
}
