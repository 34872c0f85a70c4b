import { Router } from '@koa/router';
import type { Context, Next } from 'koa';
import { bodyObject, jsonBodies, ownerOnly } from '../http/middleware.js';
import { Problem } from '../http/problem.js';
import { PathGuard, PathRefusedError, type PathRefusal } from './path-guard.js';
import { ShareFiles, type ShareFilesOptions } from './share-files.js';

export type ShareChangeKind = 'added' | 'changed' | 'removed';
export interface ShareRoot {
  root: string;
  /** The owner's file browser is read-write unless this says otherwise. */
  readOnly?: boolean;
}
export interface ShareFileRoutesOptions extends ShareFilesOptions {
  /** The share's folder, or null when no share has that name. */
  resolveShare(name: string): ShareRoot | null | Promise<ShareRoot | null>;
  /** Called after a successful change, e.g. to tell the SSE stream and the agents. */
  onChange?(share: string, relPath: string, kind: ShareChangeKind): void;
  /** '/shares' (default) under the /api router; '/api/shares' when mounted at the root. */
  prefix?: string;
  /** An upload silent this long is dropped (and leaves nothing); 2 minutes by default. */
  uploadIdleMs?: number;
}

const STATUS: Partial<Record<PathRefusal, number>> = {
  'not-found': 404,
  'share-missing': 503,
  exists: 409,
  'not-empty': 409,
  'read-only': 403,
  denied: 403,
  'too-large': 413,
  'no-space': 507,
};

/**
 * The shares file browser: list, download, upload, make folder, delete; owner only, every path
 * through PathGuard. Upload bodies are raw bytes of any Content-Type, so this router must not
 * sit behind a JSON-only body rule; it parses JSON itself where it takes JSON.
 */
export function shareFileRoutes(opts: ShareFileRoutesOptions): Router {
  const r = new Router({ prefix: opts.prefix ?? '/shares' });
  r.use(ownerOnly);
  r.use(refusalsAsProblems);

  const filesOf = async (ctx: Context): Promise<{ share: string; files: ShareFiles }> => {
    const share = ctx.params.name!;
    const found = await opts.resolveShare(share);
    if (!found) throw new Problem(404, 'Not found', `There is no share named ${JSON.stringify(share)}.`);
    const guard = new PathGuard({ root: found.root, access: found.readOnly ? 'read' : 'read-write' });
    return { share, files: new ShareFiles(guard, opts) };
  };
  const changed = (share: string, relPath: string, kind: ShareChangeKind) => {
    try {
      opts.onChange?.(share, relPath, kind);
    } catch {
      // The change is done and reported; a failing listener must not turn it into an error.
    }
  };

  r.get('/:name/files', async (ctx) => {
    const { share, files } = await filesOf(ctx);
    const listing = await files.list(queryText(ctx, 'path') ?? '');
    ctx.body = { share, ...listing };
  });

  r.get('/:name/download', async (ctx) => {
    const { files } = await filesOf(ctx);
    const file = await files.download(requiredQuery(ctx, 'path'));
    ctx.set('Content-Disposition', contentDisposition(file.name));
    // Served bytes must never render as a page on the box's own origin.
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', "default-src 'none'; sandbox");
    ctx.set('Last-Modified', new Date(file.modifiedAt).toUTCString());
    ctx.set('Cache-Control', 'private, no-cache');
    ctx.type = 'application/octet-stream';
    ctx.length = file.size;
    ctx.body = file.stream;
  });

  r.put('/:name/upload', async (ctx) => {
    ctx.disableBodyParser = true;
    // Big uploads take long; a stalled one is cut by silence, not by total time.
    const socket = ctx.req.socket;
    const onIdle = () => ctx.req.destroy(Object.assign(new Error('upload idle'), { code: 'ECONNRESET' }));
    socket.setTimeout(opts.uploadIdleMs ?? 120_000, onIdle);
    try {
      const { share, files } = await filesOf(ctx);
      const length = ctx.get('Content-Length');
      const { entry, replaced } = await files.upload(queryText(ctx, 'path') ?? '', requiredQuery(ctx, 'name'), ctx.req, {
        overwrite: flag(ctx, 'overwrite'),
        expectedBytes: /^\d+$/.test(length) ? Number(length) : null,
      });
      ctx.status = 201;
      ctx.body = entry;
      changed(share, entry.path, replaced ? 'changed' : 'added');
    } catch (err) {
      // The rest of a refused body is not worth reading: answer, then close the connection.
      if (!ctx.req.complete) ctx.set('Connection', 'close');
      throw err;
    } finally {
      socket.setTimeout(0, onIdle); // a kept-alive socket must not carry this upload's timer on
    }
  });

  r.post('/:name/folders', jsonBodies(), async (ctx) => {
    const { share, files } = await filesOf(ctx);
    const path = bodyObject(ctx).path;
    if (typeof path !== 'string' || path.trim() === '') throw new Problem(400, 'Invalid input', 'Give the new folder\'s path, like "Letters/2025".', { field: 'path' });
    const entry = await files.makeFolder(path);
    ctx.status = 201;
    ctx.body = entry;
    changed(share, entry.path, 'added');
  });

  r.delete('/:name/files', async (ctx) => {
    const { share, files } = await filesOf(ctx);
    const removed = await files.remove(requiredQuery(ctx, 'path'), { recursive: flag(ctx, 'recursive') });
    ctx.status = 204;
    changed(share, removed.relative, 'removed');
  });

  return r;
}

/** PathRefusedError -> problem JSON: 400 for a bad path, 404/409/413/... where those fit; never 500. */
async function refusalsAsProblems(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    if (!(err instanceof PathRefusedError)) throw err;
    const status = STATUS[err.reason] ?? 400;
    throw new Problem(status, status === 400 ? 'Path refused' : problemTitle(status), err.message, { reason: err.reason });
  }
}

function problemTitle(status: number): string {
  return { 403: 'Forbidden', 404: 'Not found', 409: 'Conflict', 413: 'Request too large', 503: 'Unavailable', 507: 'Not enough space' }[status] ?? 'Request error';
}

function queryText(ctx: Context, key: string): string | undefined {
  const v = ctx.query[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new Problem(400, 'Invalid input', `Give "${key}" once.`, { field: key });
  return v;
}

function requiredQuery(ctx: Context, key: string): string {
  const v = queryText(ctx, key);
  if (v === undefined || v === '') throw new Problem(400, 'Invalid input', `The "${key}" query parameter is missing.`, { field: key });
  return v;
}

const flag = (ctx: Context, key: string) => ['1', 'true', 'yes'].includes(queryText(ctx, key) ?? '');

/** attachment; an ASCII fallback name plus the real one per RFC 5987 / RFC 6266. */
export function contentDisposition(name: string): string {
  const fallback = name.normalize('NFC').replace(/[^\x20-\x7e]|["\\%;]/g, '_') || 'download';
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
