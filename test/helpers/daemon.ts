import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const HEARTHD = join(ROOT, 'appliance/dist/hearthd.js');
export const CLI = join(ROOT, 'appliance/dist/cli/main.js');

export async function tempDataDir(prefix = 'hearth-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A JSON request over the daemon's control socket, as the CLI makes it. */
export function controlRequest<T = unknown>(socketPath: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { socketPath, method, path, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : null) as T });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

export interface RunningDaemon {
  proc: ChildProcess;
  dataDir: string;
  port: number;
  url: string;
  socketPath: string;
  output: () => string;
  /** SIGTERM and wait; resolves with the exit code and how long it took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

export interface StartOptions {
  dataDir?: string;
  port?: number;
  host?: string;
  env?: Record<string, string>;
  /** Spawn under another command, e.g. ['ip', 'netns', 'exec', 'ns1'] */
  prefix?: string[];
  timeoutMs?: number;
  /** Port of hearthd's own smbd; a free one by default, so daemons started side by side never collide on 1445. */
  smbPort?: number;
}

/** Start the built hearthd (appliance/dist) as a real process and wait until it answers. */
export async function startDaemon(options: StartOptions = {}): Promise<RunningDaemon> {
  const dataDir = options.dataDir ?? (await tempDataDir());
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host === '0.0.0.0' ? '127.0.0.1' : host));
  const env = {
    ...process.env,
    HEARTH_DATA_DIR: dataDir,
    HEARTH_PORT: String(port),
    HEARTH_HOST: host,
    HEARTH_LOG_LEVEL: process.env.HEARTH_LOG_LEVEL ?? 'info',
    HEARTH_SMB_PORT: String(options.smbPort ?? (await freePort(host === '0.0.0.0' ? '127.0.0.1' : host))),
    ...options.env,
  };
  const argv = [...(options.prefix ?? []), process.execPath, HEARTHD];
  const proc = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const socketPath = join(dataDir, 'hearthd.sock');
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`hearthd exited with ${proc.exitCode} before answering:\n${out}`);
    try {
      const res = await controlRequest(socketPath, 'GET', '/status');
      if (res.status === 200) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`hearthd did not answer within the timeout:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    proc,
    dataDir,
    port,
    url: `http://${urlHost}:${port}`,
    socketPath,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const t0 = Date.now();
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const code = await exited;
      return { code, ms: Date.now() - t0 };
    },
  };
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Run the built `hearth` CLI against a data dir, feeding `stdin`; resolves with its exit code and output. */
export function runHearth(args: string[], dataDir: string, stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, HEARTH_DATA_DIR: dataDir } });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (c: Buffer) => (stdout += c));
    p.stderr!.on('data', (c: Buffer) => (stderr += c));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin!.end(stdin);
  });
}
