// `hearth flash <image> <device-or-file> [--provision file.json] [--yes]`: write a Hearth image to a
// disk (or a disk image file), verify it by reading it back, and drop a provisioning file on its ESP.
// Every check that can refuse runs before the first byte is written.

import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { open, readFile, realpath, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import { parseProvisionFile, PROVISION_FILE, type Provision } from './provision-file.js';
import { decideTarget, formatBytes, readHostDisks } from './block-devices.js';
import { espReadFile, espWriteFile } from './esp.js';

const run = promisify(execFile);
export const CHUNK = 4 * 1024 * 1024;

export interface FlashOptions {
  image?: string;
  target?: string;
  provision?: string;
  yes?: boolean;
  /** Positionals after the target: an error. */
  extra?: string[];
}

/** A refusal or failure with its exit code: 2 bad input or refused, 1 failed. */
export class FlashError extends Error {
  constructor(
    readonly exitCode: 1 | 2,
    message: string,
  ) {
    super(message);
  }
}

const refuse = (message: string): FlashError => new FlashError(2, message);
const fail = (message: string): FlashError => new FlashError(1, message);

const USAGE = 'Usage: hearth flash IMAGE DEVICE-OR-FILE [--provision FILE.json] [--yes]';

/** Runs the command; prints its own messages; returns the exit code. */
export async function flashCommand(opts: FlashOptions): Promise<number> {
  try {
    await flash(opts);
    return 0;
  } catch (err) {
    if (err instanceof FlashError) {
      process.stderr.write(`hearth flash: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`hearth flash: ${(err as Error).message}\n`);
    return 1;
  }
}

interface Target {
  path: string;
  kind: 'new-file' | 'file' | 'device';
  /** Bytes available; null for a file that is created or grows. */
  size: number | null;
  model: string | null;
}

async function flash(opts: FlashOptions): Promise<void> {
  if (!opts.image || !opts.target) throw refuse(`Give the image and where to write it.\n${USAGE}`);
  if (opts.extra?.length) throw refuse(`Unexpected argument "${opts.extra[0]}".\n${USAGE}`);
  const imagePath = resolve(opts.image);
  const compressed = /\.zst$/i.test(imagePath);

  // 1. The image exists.
  const imageStat = await stat(imagePath).catch(() => null);
  if (!imageStat?.isFile()) throw refuse(`No image file at ${opts.image}. Download hearth-<version>-<arch>.img.zst and give its path.`);

  // 2. The provisioning file, checked whole before anything is written.
  let provisionText: string | null = null;
  let provision: Provision | null = null;
  if (opts.provision !== undefined) {
    provisionText = await readFile(opts.provision, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw refuse(`Cannot read the provisioning file ${opts.provision}: ${err.code === 'ENOENT' ? 'no such file' : err.message}.`);
    });
    const checked = parseProvisionFile(provisionText);
    if (!checked.ok) {
      throw refuse(`${opts.provision} has ${checked.errors.length === 1 ? 'a problem' : `${checked.errors.length} problems`}; nothing was written:\n${checked.errors.map((e) => `  - ${e}`).join('\n')}`);
    }
    provision = checked.value;
  }

  // 3. The size of what will be written.
  const imageSize = compressed ? await decompressedSize(imagePath) : imageStat.size;
  if (imageSize === 0) throw refuse(`${opts.image} is empty.`);

  // 4. The target: a file, or a whole disk that is neither the running system's nor mounted.
  const target = await inspectTarget(opts.target, imagePath);
  if (target.size !== null && target.size < imageSize) {
    throw refuse(
      `${target.path} is too small: it holds ${formatBytes(target.size)} (${target.size} bytes) and the image needs ${formatBytes(imageSize)} (${imageSize} bytes).` +
        (target.kind === 'file' ? ' To write to a new file, give a path that does not exist yet.' : ' Use a larger disk.'),
    );
  }

  // 5. Confirmation: everything on the target is lost.
  const imageName = basename(imagePath).replace(/\.zst$/i, '');
  const confirm = target.kind !== 'new-file' && !opts.yes;
  const what =
    target.kind === 'device'
      ? `${target.path}, ${[target.size !== null ? formatBytes(target.size) : null, target.model].filter(Boolean).join(' ')}`
      : `${target.path} (a ${formatBytes(target.size ?? 0)} file)`;
  if (confirm && !process.stdin.isTTY) throw refuse(`Not asking for confirmation without a terminal: pass --yes to write ${imageName} to ${what} and erase everything on it.`);

  // 6. The image is what its checksum file (if any) says.
  await checkSidecar(imagePath);

  if (confirm) {
    const answer = await ask(`Write ${imageName} (${formatBytes(imageSize)}) to ${what}? Everything on it is erased. Type yes: `);
    if (answer.trim() !== 'yes') throw refuse('Not confirmed; nothing was written.');
  }

  // 7. Write, then read back.
  const written = await writeImage(imagePath, compressed, imageSize, target).catch(async (err: unknown) => {
    if (target.kind === 'new-file') await rm(target.path, { force: true }); // no half-written file left behind
    throw err;
  });
  const readBack = await hashTarget(target.path, imageSize);
  if (readBack !== written) {
    throw fail(
      `Verification failed: what was read back from ${target.path} (sha256 ${readBack}) differs from the image (sha256 ${written}). ` +
        'The disk or its adapter may be faulty; try again or use another disk.',
    );
  }
  process.stderr.write(`Verified: ${formatBytes(imageSize)} read back from ${target.path} match the image (sha256 ${written.slice(0, 16)}…).\n`);

  // 8. The provisioning file on the ESP.
  if (provisionText !== null) {
    try {
      await espWriteFile(target.path, PROVISION_FILE, provisionText);
      const back = await espReadFile(target.path, PROVISION_FILE);
      if (!back || !back.equals(Buffer.from(provisionText, 'utf8'))) throw new Error('what was read back from the boot partition differs from the file');
    } catch (err) {
      throw fail(`The image is written, but the provisioning file is not: ${(err as Error).message}. Copy ${opts.provision} to its boot partition as ${PROVISION_FILE}, or run hearth flash again.`);
    }
    process.stderr.write(`Wrote ${PROVISION_FILE} to the boot partition.\n`);
  }
  if (target.kind === 'device') {
    // Let the kernel see the new partitions; harmless if it cannot.
    await run('blockdev', ['--rereadpt', target.path]).catch(() => undefined);
  }
  const where = provision?.hostname ? `http://${provision.hostname}.local` : 'http://hearth-xxxx.local (its address and setup code show on its screen)';
  process.stdout.write(`Done: ${imageName} is on ${target.path}. Put it in the box and switch it on; then open ${where}.\n`);
}

async function checkSidecar(imagePath: string): Promise<void> {
  const sidecar = `${imagePath}.sha256`;
  const text = await readFile(sidecar, 'utf8').catch(() => null);
  if (text === null) return;
  const lines = text
    .split('\n')
    .map((l) => l.trim().match(/^([0-9a-fA-F]{64})\s+\*?(.+)$/))
    .filter((m): m is RegExpMatchArray => m !== null);
  const mine = lines.find((m) => basename(m[2]!) === basename(imagePath)) ?? (lines.length === 1 ? lines[0] : undefined);
  if (!mine) throw refuse(`${sidecar} has no sha256 line for ${basename(imagePath)} (expected "<64 hex digits>  ${basename(imagePath)}").`);
  process.stderr.write(`Checking ${basename(imagePath)} against ${basename(sidecar)}…\n`);
  const actual = await hashStream(createReadStream(imagePath, { highWaterMark: CHUNK }));
  if (actual !== mine[1]!.toLowerCase()) {
    throw refuse(`${basename(imagePath)} does not match ${basename(sidecar)} (sha256 ${actual}, expected ${mine[1]!.toLowerCase()}). The download is damaged or incomplete: download it again. Nothing was written.`);
  }
}

async function hashStream(stream: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of stream) h.update(chunk as Buffer);
  return h.digest('hex');
}

function zstd(imagePath: string): { stream: Readable; done: Promise<void>; kill: () => void } {
  const child = spawn('zstd', ['-dc', '--', imagePath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<void>((res, rej) => {
    child.on('error', (err: NodeJS.ErrnoException) =>
      rej(err.code === 'ENOENT' ? fail('zstd is not installed; install it (apt install zstd) or give the uncompressed .img.') : err),
    );
    child.on('close', (code, signal) => {
      if (code === 0 || signal === 'SIGTERM') res();
      else rej(fail(`Could not decompress ${basename(imagePath)}: ${stderr.trim() || `zstd exited with ${code}`}. The file may be damaged: download it again.`));
    });
  });
  done.catch(() => undefined);
  return { stream: child.stdout, done, kill: () => child.kill('SIGTERM') };
}

/** Uncompressed size: from the zstd frame header when it has one, else by decompressing once. */
async function decompressedSize(imagePath: string): Promise<number> {
  try {
    const { stdout } = await run('zstd', ['-lv', '--', imagePath]);
    const m = stdout.match(/Decompressed Size:.*\((\d+) B\)/);
    if (m) return Number(m[1]);
  } catch {
    // Fall through: count while decompressing, which also reports a damaged file.
  }
  const z = zstd(imagePath);
  let n = 0;
  for await (const chunk of z.stream) n += (chunk as Buffer).length;
  await z.done;
  return n;
}

async function inspectTarget(given: string, imagePath: string): Promise<Target> {
  const abs = resolve(given);
  const st = await stat(abs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw refuse(`Cannot use ${given}: ${err.message}.`);
  });
  if (!st) {
    const parent = await stat(dirname(abs)).catch(() => null);
    if (!parent?.isDirectory()) throw refuse(`Cannot create ${given}: the folder ${dirname(abs)} does not exist.`);
    return { path: abs, kind: 'new-file', size: null, model: null };
  }
  const real = await realpath(abs);
  if (real === (await realpath(imagePath))) throw refuse(`${given} is the image itself; give a disk or another file.`);
  if (st.isFile()) return { path: real, kind: 'file', size: st.size > 0 ? st.size : null, model: null };
  if (st.isBlockDevice()) {
    const verdict = decideTarget(real, await readHostDisks());
    if (!verdict.ok) throw refuse(verdict.reason);
    return { path: real, kind: 'device', size: verdict.device.size, model: verdict.device.model };
  }
  throw refuse(`${given} is ${st.isDirectory() ? 'a folder' : 'not a disk or a regular file'}. Give a whole disk such as /dev/sdb (see \`lsblk\`) or a file name.`);
}

function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  return new Promise((res) => {
    rl.question(question, (a) => {
      rl.close();
      res(a);
    });
    rl.on('SIGINT', () => {
      rl.close();
      res('');
    });
  });
}

/** Progress on stderr: one updating line on a terminal, else a line every 10 %. */
export function progress(label: string, total: number, tty = process.stderr.isTTY === true): { update(done: number): void; finish(): void } {
  const start = Date.now();
  let lastDraw = 0;
  let lastTenth = -1;
  const rate = (done: number): string => {
    const s = (Date.now() - start) / 1000;
    return s > 0 ? `${(done / 1e6 / s).toFixed(done / 1e6 / s >= 100 ? 0 : 1)} MB/s` : '';
  };
  const line = (done: number): string => {
    const pct = total ? Math.floor((done / total) * 100) : 100;
    return `${label} ${String(pct).padStart(3)} %  ${formatBytes(done)} of ${formatBytes(total)}  ${rate(done)}`;
  };
  return {
    update(done) {
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < 200 && done < total) return;
        lastDraw = now;
        const pct = total ? done / total : 1;
        const bar = '#'.repeat(Math.round(pct * 30)).padEnd(30, '.');
        process.stderr.write(`\r\x1b[K${label} [${bar}] ${String(Math.floor(pct * 100)).padStart(3)} %  ${formatBytes(done)} of ${formatBytes(total)}  ${rate(done)}`);
        return;
      }
      const tenth = total ? Math.floor((done / total) * 10) : 10;
      if (tenth > lastTenth) {
        lastTenth = tenth;
        process.stderr.write(line(done) + '\n');
      }
    },
    finish() {
      if (tty) process.stderr.write('\n');
    },
  };
}

/** Writes the image in 4 MiB chunks, fsyncs; returns the sha256 of what was written. */
async function writeImage(imagePath: string, compressed: boolean, size: number, target: Target): Promise<string> {
  const z = compressed ? zstd(imagePath) : null;
  const source: Readable = z ? z.stream : createReadStream(imagePath, { highWaterMark: CHUNK });
  // O_EXCL on a block device: the kernel refuses if anything has it mounted in the meantime.
  const flags =
    target.kind === 'device'
      ? constants.O_WRONLY | constants.O_EXCL
      : target.kind === 'new-file'
        ? constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL
        : constants.O_WRONLY;
  let fh: FileHandle;
  try {
    fh = await open(target.path, flags, 0o644);
  } catch (err) {
    z?.kill();
    throw fail(`Cannot open ${target.path} for writing: ${(err as Error).message}.${(err as NodeJS.ErrnoException).code === 'EACCES' ? ' Run as root (sudo).' : ''}`);
  }
  const hash = createHash('sha256');
  const bar = progress('Writing  ', size);
  const buf = Buffer.allocUnsafe(CHUNK);
  let fill = 0;
  let position = 0;
  const flush = async (): Promise<void> => {
    let off = 0;
    while (off < fill) {
      const { bytesWritten } = await fh.write(buf, off, fill - off, position);
      off += bytesWritten;
      position += bytesWritten;
    }
    hash.update(buf.subarray(0, fill));
    fill = 0;
    bar.update(position);
  };
  try {
    for await (const chunk of source) {
      let c = chunk as Buffer;
      while (c.length) {
        const n = Math.min(c.length, CHUNK - fill);
        c.copy(buf, fill, 0, n);
        fill += n;
        c = c.subarray(n);
        if (fill === CHUNK) await flush();
      }
    }
    if (fill) await flush();
    await z?.done;
    await fh.sync();
  } catch (err) {
    z?.kill();
    bar.finish();
    if (err instanceof FlashError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw fail(`Writing to ${target.path} failed after ${formatBytes(position)}: ${e.code === 'ENOSPC' ? 'the disk is full (it is smaller than the image)' : e.message}. The disk is not usable as it is; write it again.`);
  } finally {
    await fh.close();
  }
  bar.finish();
  if (position !== size) throw fail(`Wrote ${position} bytes but the image is ${size} bytes; the image file may be damaged. Download it again.`);
  if (target.kind === 'device') await run('blockdev', ['--flushbufs', target.path]).catch(() => undefined);
  return hash.digest('hex');
}

/** sha256 of the first `length` bytes of the target, read back. */
async function hashTarget(path: string, length: number): Promise<string> {
  const fh = await open(path, 'r');
  const hash = createHash('sha256');
  const bar = progress('Verifying', length);
  const buf = Buffer.allocUnsafe(CHUNK);
  let position = 0;
  try {
    while (position < length) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, length - position), position);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      position += bytesRead;
      bar.update(position);
    }
  } finally {
    await fh.close();
    bar.finish();
  }
  if (position < length) throw fail(`Verification failed: only ${formatBytes(position)} of ${formatBytes(length)} could be read back from ${path}.`);
  return hash.digest('hex');
}
