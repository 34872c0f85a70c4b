import { request } from 'node:http';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Thrown for anything the CLI should print as a plain message and exit 1 on. */
export class CliError extends Error {}

/**
 * Which data dir the CLI talks to: HEARTH_DATA_DIR, else a development daemon's ./var
 * when one is running from this folder, else the device's /var/lib/hearth.
 */
export function cliDataDir(env: NodeJS.ProcessEnv, explicit?: string): string {
  if (explicit) return resolve(explicit);
  if (env.HEARTH_DATA_DIR) return resolve(env.HEARTH_DATA_DIR);
  if (existsSync(join('var', 'hearthd.sock'))) return resolve('var');
  return '/var/lib/hearth';
}

/** One JSON request to hearthd over its control socket. Problem JSON becomes a CliError with its detail. */
export function callDaemon<T>(dataDir: string, method: string, path: string, body?: unknown): Promise<T> {
  const socketPath = join(dataDir, 'hearthd.sock');
  return new Promise((resolvePromise, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            return reject(new CliError(`hearthd answered something that is not JSON (${res.statusCode}).`));
          }
          if ((res.statusCode ?? 500) >= 400) {
            const p = parsed as { title?: string; detail?: string } | null;
            return reject(new CliError(p?.detail ?? p?.title ?? `hearthd answered ${res.statusCode}`));
          }
          resolvePromise(parsed as T);
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        reject(new CliError(`hearthd is not running with data in ${dataDir} (no answer on ${socketPath}). Start it with \`make run\` or \`systemctl start hearthd\`.`));
      } else if (err.code === 'EACCES') {
        reject(new CliError(`Not allowed to talk to hearthd at ${socketPath}: run this as the user hearthd runs as (or root).`));
      } else reject(err);
    });
    req.end(data);
  });
}
