// SMB figures: write throughput of a 200 MB file into a share through hearthd's own smbd (smbclient on
// loopback) against `cp` of the same file on the same disk, and how long after an SMB upload finishes
// hearthd knows of the file (its share watcher's event, read from /api/shares/events).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { controlRequest, removeDir, startDaemon, tempDataDir, type RunningDaemon } from '../helpers/daemon.js';
import { HttpClient } from '../helpers/http-client.js';
import { killOnExit, median, progress, round, sleep, type Figures } from './figures.js';

const BIG_BYTES = 200 * 1_000_000;
const ROUNDS = 3;
const SMALL_FILES = 7;
const PASSWORD = 'bench-password-1';

function run(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { maxBuffer: 1 << 24 }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} failed: ${err.message}\n${stdout}${stderr}`)) : resolve({ stdout, stderr }))),
  );
}

/** Seconds `fn` takes. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** fsync one file: the time until its bytes are on the disk, not just in the page cache. */
async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A file of random bytes (incompressible), written in 8 MiB pieces. */
async function randomFile(path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    for (let done = 0; done < bytes; ) {
      const n = Math.min(8 << 20, bytes - done);
      await fh.write(randomBytes(n));
      done += n;
    }
  } finally {
    await fh.close();
  }
}

/** Listens to /api/shares/events and resolves when the watcher reports `path` with its full size. */
class FileEvents {
  private readonly seen = new Map<string, { at: number; size: number | null }>();
  private readonly waiters: Array<() => void> = [];
  private readonly abort = new AbortController();

  static async open(d: RunningDaemon, owner: HttpClient): Promise<FileEvents> {
    const events = new FileEvents();
    const cookie = [...owner.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(`${d.url}/api/shares/events`, { headers: { cookie }, signal: events.abort.signal });
    if (!res.ok || !res.body) throw new Error(`/api/shares/events answered ${res.status}`);
    void events.read(res.body);
    return events;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!/^event: file$/m.test(block)) continue;
          const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as { path: string; kind: string; size: number | null };
          if (data.kind !== 'removed') this.seen.set(data.path, { at: performance.now(), size: data.size });
          for (const w of this.waiters.splice(0)) w();
        }
      }
    } catch {
      /* closed */
    }
  }

  /** When (performance.now()) the watcher first reported `path` at `size` bytes. */
  async waitFor(path: string, size: number, timeoutMs = 30_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const s = this.seen.get(path);
      if (s && s.size === size) return s.at;
      if (performance.now() > deadline) throw new Error(`hearthd did not report ${path} at ${size} bytes within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  close(): void {
    this.abort.abort();
  }
}

export async function smbFigures(figures: Figures): Promise<void> {
  for (const bin of ['/usr/sbin/smbd', '/usr/bin/smbclient']) {
    if (!existsSync(bin)) throw new Error(`the SMB figures need Samba: ${bin} is missing (apt-get install samba smbclient)`);
  }
  progress('SMB: hearthd with its own smbd on loopback, a share, a 200 MB file');
  const dataDir = await tempDataDir('hearth-bench-smb-');
  const work = await tempDataDir('hearth-bench-smbsrc-');
  const d = await startDaemon({ dataDir, env: { HEARTH_LOG_LEVEL: 'warn' } });
  const forget = killOnExit(d.proc, dataDir);
  let events: FileEvents | null = null;
  try {
    const setup = await controlRequest(d.socketPath, 'POST', '/setup', { owner: 'bench', password: PASSWORD, name: 'Bench' });
    if (setup.status !== 200) throw new Error(`setting up the owner failed: ${JSON.stringify(setup.body)}`);
    const pw = await controlRequest(d.socketPath, 'POST', '/smb-password', { password: PASSWORD });
    if (pw.status !== 200) throw new Error(`setting the SMB password failed: ${JSON.stringify(pw.body)}`);
    const made = await controlRequest<{ path: string }>(d.socketPath, 'POST', '/shares', { name: 'Inbox' });
    if (made.status !== 200 && made.status !== 201) throw new Error(`creating the share failed: ${JSON.stringify(made.body)}`);
    const sharePath = made.body.path;
    let smbPort = 0;
    for (let i = 0; ; i++) {
      const o = await controlRequest<{ smb: { state: string; port: number; problem: string | null } }>(d.socketPath, 'GET', '/shares');
      if (o.body.smb.state === 'running') {
        smbPort = o.body.smb.port;
        break;
      }
      if (i > 100) throw new Error(`hearthd's smbd is not running: ${o.body.smb.state} ${o.body.smb.problem ?? ''}`);
      await sleep(100);
    }
    const owner = new HttpClient(d.url);
    const login = await owner.post('/api/auth/login', { username: 'bench', password: PASSWORD });
    if (login.status !== 200) throw new Error(`signing in failed: ${login.status}`);
    events = await FileEvents.open(d, owner);

    const source = join(work, 'big.bin');
    await randomFile(source, BIG_BYTES);
    const smbclient = (local: string, remote: string) => run('smbclient', [`//127.0.0.1/Inbox`, '-p', String(smbPort), '-U', `bench%${PASSWORD}`, '-c', `put ${local} ${remote}`]);

    const cpSeconds: number[] = [];
    const smbSeconds: number[] = [];
    const cpSynced: number[] = [];
    const smbSynced: number[] = [];
    const bigLatency: number[] = [];
    for (let i = 1; i <= ROUNDS; i++) {
      progress(`SMB round ${i}/${ROUNDS}: cp, then smbclient put`);
      const copy = join(work, `copy-${i}.bin`);
      const c0 = performance.now();
      cpSeconds.push(await timed(() => run('cp', [source, copy])));
      await fsyncFile(copy);
      cpSynced.push((performance.now() - c0) / 1000);
      await rm(copy, { force: true });
      const name = `big-${i}.bin`;
      const s0 = performance.now();
      const t = await timed(() => smbclient(source, name));
      const finished = performance.now();
      smbSeconds.push(t);
      await fsyncFile(join(sharePath, name));
      smbSynced.push((performance.now() - s0) / 1000);
      if ((await stat(join(sharePath, name))).size !== BIG_BYTES) throw new Error('the uploaded file has the wrong size');
      bigLatency.push((await events.waitFor(name, BIG_BYTES)) - finished);
      await rm(join(sharePath, name), { force: true });
    }

    progress(`SMB: ${SMALL_FILES} small uploads, time until hearthd knows of each`);
    const small = join(work, 'small.txt');
    await writeFile(small, 'A letter for the inbox.\n'.repeat(4000));
    const smallSize = (await stat(small)).size;
    const smallLatency: number[] = [];
    for (let i = 0; i < SMALL_FILES; i++) {
      const name = `letter-${i}.txt`;
      await smbclient(small, name);
      const finished = performance.now();
      smallLatency.push((await events.waitFor(name, smallSize)) - finished);
    }

    const best = (xs: number[]) => Math.min(...xs);
    const mbps = (s: number) => round(BIG_BYTES / 1e6 / s, 0);
    figures.add('SMB write, smbclient put', mbps(best(smbSeconds)), 'MB/s', `200 MB into a share over loopback (SMB3, hearthd's own smbd), best of ${ROUNDS}`);
    figures.add('SMB write, cp on the same disk', mbps(best(cpSeconds)), 'MB/s', `the same file, best of ${ROUNDS}`);
    figures.add('SMB write / cp', round(best(cpSeconds) / best(smbSeconds), 2), 'ratio', 'to the page cache: higher is better; 1.0 = as fast as a local copy');
    figures.add('SMB write / cp, both to disk', round(best(cpSynced) / best(smbSynced), 2), 'ratio', `each followed by an fsync of the file: ${mbps(best(smbSynced))} vs ${mbps(best(cpSynced))} MB/s`);
    figures.add('upload finished -> hearthd knows (small)', round(median(smallLatency), 0), 'ms', `median of ${SMALL_FILES} ${Math.round(smallSize / 1024)} KiB uploads; max ${round(Math.max(...smallLatency), 0)} ms; smbclient exit to the share watcher's event`);
    figures.add('upload finished -> hearthd knows (200 MB)', round(median(bigLatency), 0), 'ms', `median of ${ROUNDS}; event with the full size`);
  } finally {
    events?.close();
    await d.stop();
    forget();
    await removeDir(dataDir);
    await removeDir(work);
  }
}
