import { readFile, rename } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic, removeStaleTemps } from '../../config/atomic-file.js';
import type { Logger } from '../../log.js';

export const DOWNLOAD_STATES = ['queued', 'active', 'paused', 'failed', 'done'] as const;
export type DownloadState = (typeof DOWNLOAD_STATES)[number];

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const bytes = z.number().int().nonnegative();

/** One download as kept in downloads.json. Progress is not here: it is the size of the .partial file. */
export const downloadRecordSchema = z.object({
  id: z.string().min(1),
  url: z.string().url(),
  file: z.string().min(1),
  /** what the caller (the catalog) said the file must be */
  expectedSha256: sha256.nullable(),
  expectedSize: bytes.nullable(),
  /** what the hub said in X-Linked-Etag / X-Linked-Size, kept so a resume after a restart still knows */
  linkedSha256: sha256.nullable(),
  linkedSize: bytes.nullable(),
  /** the size the server announced (Content-Length or Content-Range) */
  totalBytes: bytes.nullable(),
  /** a strong ETag, sent back as If-Range so a file that changed upstream is fetched whole, not spliced */
  etag: z.string().nullable(),
  /** the caller accepted a download no sha256 is known for */
  allowUnverified: z.boolean(),
  state: z.enum(DOWNLOAD_STATES),
  error: z.string().nullable(),
  /** sha256 of the finished file */
  sha256: sha256.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DownloadRecord = z.infer<typeof downloadRecordSchema>;

const fileSchema = z.object({ version: z.literal(1), downloads: z.array(downloadRecordSchema) });

/**
 * The download queue in `<data>/models/downloads.json`: small, rewritten atomically on
 * every state change (never per chunk). Writes are serialized so the last state always wins.
 */
export class DownloadStore {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly log: Logger,
  ) {}

  async load(): Promise<DownloadRecord[]> {
    await removeStaleTemps(this.path);
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    try {
      return fileSchema.parse(JSON.parse(text)).downloads;
    } catch (err) {
      // A queue is not worth refusing to start over: keep the file for a person to look at, start empty.
      const brokenPath = `${this.path}.broken-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(this.path, brokenPath);
      this.log.error(`downloads.json could not be used (${(err as Error).message.split('\n')[0]}); kept it aside as ${brokenPath}`);
      return [];
    }
  }

  /** Write `snapshot()` as it is when this write's turn comes, so bursts of changes collapse into the latest state. */
  save(snapshot: () => DownloadRecord[]): Promise<void> {
    const run = () => writeFileAtomic(this.path, JSON.stringify({ version: 1, downloads: snapshot() }, null, 2) + '\n');
    const result = this.queue.then(run);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Resolves when every write asked for so far has finished. */
  flush(): Promise<void> {
    return this.queue;
  }
}
