// Download rate: hearthd's ModelDownloader (resume bookkeeping, sha256, GGUF check, fsync, rename)
// against the simplest copy there is (http.get piped into a file), from the same loopback server.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { ModelDownloader } from '../../appliance/src/models/download/model-downloader.js';
import { checkGgufFile } from '../../appliance/src/models/gguf/header.js';
import { createLogger } from '../../appliance/src/log.js';
import { removeDir, tempDataDir } from '../helpers/daemon.js';
import { progress, round, type Figures } from './figures.js';

const ROUNDS = 2;

/** http.get piped to a file; returns seconds to the last byte written and seconds including an fsync. */
async function plainCopy(url: string, out: string): Promise<{ written: number; synced: number }> {
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    get(url, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`plain copy: HTTP ${res.statusCode}`));
      pipeline(res, createWriteStream(out)).then(resolve, reject);
    }).on('error', reject);
  });
  const written = (performance.now() - t0) / 1000;
  const fh = await open(out, 'r');
  await fh.sync();
  await fh.close();
  return { written, synced: (performance.now() - t0) / 1000 };
}

/** The real downloader, as hearthd runs it (plain http allowed to loopback only); seconds from pull to verified file in place. */
async function realDownload(dataDir: string, url: string, sha256: string, size: number): Promise<number> {
  const downloader = new ModelDownloader({
    dataDir,
    log: createLogger('bench/downloads', 'warn'),
    allowInsecureLoopback: true,
    validate: (path) => checkGgufFile(path),
  });
  await downloader.start();
  try {
    const t0 = performance.now();
    const status = await downloader.pull({ url, sha256, size, id: 'bench-1b' });
    const done = await downloader.settled(status.id);
    const seconds = (performance.now() - t0) / 1000;
    if (done.state !== 'done') throw new Error(`the downloader ended in state ${done.state}: ${done.error ?? ''}`);
    if ((await stat(downloader.finalPath(done.file))).size !== size) throw new Error('the downloaded file has the wrong size');
    return seconds;
  } finally {
    await downloader.stop();
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** test/helpers' ModelServer, holding the whole file in memory, in a child process. */
async function startServerProcess(modelPath: string): Promise<{ url: string; size: number; close: () => Promise<void> }> {
  const script = fileURLToPath(new URL('./model-server-process.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, modelPath, '/org/bench/resolve/main/bench-1b.gguf'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the model server process exited with ${code}`)));
  });
  const { url, size } = JSON.parse(line) as { url: string; size: number };
  return {
    url,
    size,
    close: async () => {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function downloadRate(figures: Figures, modelPath: string): Promise<void> {
  progress('download: starting the loopback server (another process) and hashing the model');
  const [server, sha256] = await Promise.all([startServerProcess(modelPath), sha256File(modelPath)]);
  const { url } = server;
  const body = { length: server.size };
  const dir = await tempDataDir('hearth-bench-dl-');
  const plain: { written: number; synced: number }[] = [];
  const real: number[] = [];
  try {
    // Alternating, so neither side always gets the warmer page cache or the emptier disk queue.
    for (let i = 0; i < ROUNDS; i++) {
      progress(`download round ${i + 1}/${ROUNDS}: plain copy`);
      const out = join(dir, 'plain.gguf');
      plain.push(await plainCopy(url, out));
      await rm(out);
      progress(`download round ${i + 1}/${ROUNDS}: ModelDownloader`);
      const dataDir = join(dir, `d${i}`);
      real.push(await realDownload(dataDir, url, sha256, body.length));
      await removeDir(dataDir);
    }
  } finally {
    await server.close();
    await removeDir(dir);
  }
  const mb = body.length / 1e6;
  const realRate = mb / Math.min(...real);
  const plainSynced = mb / Math.min(...plain.map((p) => p.synced));
  const plainWritten = mb / Math.min(...plain.map((p) => p.written));
  const size = `${round(body.length / 1e9, 2)} GB from a loopback ModelServer in another process, best of ${ROUNDS}`;
  figures.add('download rate, ModelDownloader', round(realRate, 0), 'MB/s', `${size}; pull to verified file in place (sha256, GGUF check, fsync, rename)`);
  figures.add('download rate, plain stream copy', round(plainSynced, 0), 'MB/s', `http.get piped to a file, then fsync; ${round(plainWritten, 0)} MB/s to the last write, without the fsync`);
  figures.add('download rate, downloader / plain copy', round(realRate / plainSynced, 2), 'ratio', `goal >= 0.9; ${round(realRate / plainWritten, 2)} against the copy without fsync`);
}
