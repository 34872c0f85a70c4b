import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** What can go wrong with one response. */
export interface Fault {
  /** answer with this status and a short text body instead of the file (404, 500, ...) */
  status?: number;
  /** destroy the socket after this many body bytes of this response */
  cutAt?: number;
  /** stop sending after this many body bytes but keep the connection open (a dead link) */
  stallAt?: number;
  /** ignore Range: always 200 with the whole body */
  noRange?: boolean;
  /** send at most this many bytes per second */
  trickle?: number;
  /** serve a web page (text/html) instead of the file */
  html?: boolean;
}

export interface ServedFile {
  body: Buffer;
  /** default application/octet-stream */
  contentType?: string;
  /** X-Linked-Etag / X-Linked-Size, on the first hop like the Hugging Face hub (or on the response itself without redirects) */
  linked?: { sha256?: string; size?: number };
  /** hops before the body: /p -> http://host/p/__hop/1 (absolute) -> /p/__hop/2 (relative) ... */
  redirects?: number;
  etag?: string;
  /** applies to every body response */
  fault?: Fault;
  /** body response number i (0-based) gets faults[i] instead of `fault` */
  faults?: Fault[];
}

export interface SeenRequest {
  /** the path registered with serve(), whichever hop this was */
  path: string;
  url: string;
  kind: 'redirect' | 'body';
  range: string | null;
  ifRange: string | null;
  status: number;
  /** body bytes written to the socket */
  bytesSent: number;
}

/** A test payload that starts like a GGUF file: the magic "GGUF", version 3, then random bytes. */
export function ggufPayload(size: number): Buffer {
  const buf = randomBytes(size);
  buf.write('GGUF', 0, 'ascii');
  buf.writeUInt32LE(3, 4);
  return buf;
}

export function sha256Hex(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/**
 * A real HTTP server on 127.0.0.1 that serves model files the way a hub and its CDN do,
 * with faults on demand, and remembers every request (with its Range header) so tests can
 * check that a resume really was a resume.
 */
export class ModelServer {
  readonly requests: SeenRequest[] = [];
  private readonly files = new Map<string, ServedFile>();
  private readonly bodyCount = new Map<string, number>();
  private server: Server | null = null;
  port = 0;

  static async start(): Promise<ModelServer> {
    const s = new ModelServer();
    s.server = createServer((req, res) => void s.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      s.server!.once('error', reject);
      s.server!.listen(0, '127.0.0.1', resolve);
    });
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  /** Serve `file` at `path`; returns its URL. */
  serve(path: string, file: ServedFile): string {
    this.files.set(path, file);
    this.bodyCount.set(path, 0);
    return this.url(path);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests that got (or were to get) the file or a fault, not a redirect. */
  bodyRequests(path: string): SeenRequest[] {
    return this.requests.filter((r) => r.path === path && r.kind === 'body');
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const hop = /^(.*)\/__hop\/(\d+)$/.exec(pathname);
    const path = hop ? hop[1]! : pathname;
    const hopNo = hop ? Number(hop[2]) : 0;
    const file = this.files.get(path);
    const seen: SeenRequest = {
      path,
      url: req.url ?? '',
      kind: 'body',
      range: header(req, 'range'),
      ifRange: header(req, 'if-range'),
      status: 0,
      bytesSent: 0,
    };
    this.requests.push(seen);
    if (!file) {
      seen.status = 404;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
      return;
    }
    const redirects = file.redirects ?? 0;
    const linkedHeaders: Record<string, string> = {};
    if (file.linked?.sha256) linkedHeaders['x-linked-etag'] = `"${file.linked.sha256}"`;
    if (file.linked?.size !== undefined) linkedHeaders['x-linked-size'] = String(file.linked.size);

    if (hopNo < redirects) {
      seen.kind = 'redirect';
      seen.status = 302;
      // First hop absolute (hub to CDN), later ones relative, so both kinds of Location are exercised.
      const next = hopNo === 0 ? this.url(`${path}/__hop/1`) : `${path}/__hop/${hopNo + 1}`;
      res.writeHead(302, { location: next, ...(hopNo === 0 ? linkedHeaders : {}), 'content-type': 'text/plain' }).end('Found');
      return;
    }

    const n = this.bodyCount.get(path) ?? 0;
    this.bodyCount.set(path, n + 1);
    const fault: Fault = file.faults?.[n] ?? file.fault ?? {};
    const extra = redirects === 0 ? linkedHeaders : {};

    if (fault.status !== undefined) {
      seen.status = fault.status;
      res.writeHead(fault.status, { 'content-type': 'text/plain' }).end(fault.status === 404 ? 'Entry not found' : 'Something broke');
      return;
    }
    if (fault.html) {
      const page = Buffer.from('<!doctype html>\n<html><head><title>A model page</title></head><body>Not the file</body></html>\n');
      seen.status = 200;
      seen.bytesSent = page.length;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': page.length, ...extra }).end(page);
      return;
    }

    const body = file.body;
    const headers: Record<string, string | number> = { 'content-type': file.contentType ?? 'application/octet-stream', ...extra };
    if (file.etag) headers.etag = file.etag;
    let start = 0;
    let status = 200;
    const range = seen.range ? /^bytes=(\d+)-$/.exec(seen.range) : null;
    if (!fault.noRange) {
      headers['accept-ranges'] = 'bytes';
      const ifRangeOk = !seen.ifRange || seen.ifRange === file.etag;
      if (range && ifRangeOk) {
        start = Number(range[1]);
        if (start >= body.length) {
          seen.status = 416;
          res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
          return;
        }
        status = 206;
        headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
      }
    }
    const data = body.subarray(start);
    headers['content-length'] = data.length;
    seen.status = status;
    res.writeHead(status, headers);
    await this.send(res, data, fault, seen);
  }

  private async send(res: ServerResponse, data: Buffer, fault: Fault, seen: SeenRequest): Promise<void> {
    let closed = false;
    res.once('close', () => (closed = true));
    const limit = Math.min(data.length, fault.cutAt ?? fault.stallAt ?? Infinity);
    const toSend = data.subarray(0, limit);
    const step = fault.trickle ? Math.max(1, Math.floor(fault.trickle / 20)) : toSend.length;
    for (let off = 0; off < toSend.length && !closed; off += step) {
      const part = toSend.subarray(off, off + step);
      await write(res, part);
      seen.bytesSent += part.length;
      if (fault.trickle) await sleep(50);
    }
    if (closed) return;
    if (limit < data.length) {
      if (fault.cutAt !== undefined) res.socket?.destroy(); // the written bytes were flushed first (write callback)
      return; // stallAt: keep the connection open and silent
    }
    res.end();
  }
}

function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    res.once('close', resolve);
    res.write(chunk, () => {
      res.off('close', resolve);
      resolve();
    });
  });
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? null;
}
