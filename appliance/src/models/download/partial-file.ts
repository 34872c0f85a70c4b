import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

/** Size of a file, 0 when it does not exist. */
export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** The running sha256 of a partial file, in step with how many of its bytes it has seen. */
export interface PartialHash {
  hasher: Hash;
  bytes: number;
}

export function freshHash(): PartialHash {
  return { hasher: createHash('sha256'), bytes: 0 };
}

/** Hash the first `length` bytes already on disk: once per resume after a restart, never over a finished file. */
export async function hashPartial(path: string, length: number, signal: AbortSignal): Promise<{ hash: PartialHash; head: Buffer }> {
  const hash = freshHash();
  const headParts: Buffer[] = [];
  let headLength = 0;
  if (length === 0) return { hash, head: Buffer.alloc(0) };
  for await (const chunk of createReadStream(path, { start: 0, end: length - 1, highWaterMark: 1 << 20, signal }) as AsyncIterable<Buffer>) {
    hash.hasher.update(chunk);
    hash.bytes += chunk.length;
    if (headLength < 4) {
      headParts.push(chunk.subarray(0, 4 - headLength));
      headLength += Math.min(chunk.length, 4 - headLength);
    }
  }
  return { hash, head: Buffer.concat(headParts) };
}

/** Write all of `buf` at the end of the file; a single write(2) may take only part of it. */
export async function appendAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buf.length) {
    const { bytesWritten } = await fh.write(buf, offset, buf.length - offset, null);
    offset += bytesWritten;
  }
}

