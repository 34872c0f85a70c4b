import { Router } from '@koa/router';
import { PassThrough } from 'node:stream';
import type { ShareManager } from './shares.js';
import type { ShareFileEvent } from './share-watcher.js';
import type { Context } from 'koa';
import { bodyObject, ownerOnly } from '../http/middleware.js';
import { Problem } from '../http/problem.js';

const MAX_DELETE_BODY = 64 * 1024;

/** The API's body parser skips DELETE; this one takes its small JSON body ({deleteFiles, confirm}). */
async function deleteBody(ctx: Context): Promise<Record<string, unknown>> {
  if ((ctx.request as { body?: unknown }).body !== undefined) return bodyObject(ctx);
  if (!ctx.request.length && !ctx.get('Transfer-Encoding')) return {};
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_DELETE_BODY) throw new Problem(413, 'Request too large', 'The request body is larger than this endpoint accepts (64kb).');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Problem(400, 'Invalid JSON', 'The request body is not valid JSON.');
  }
  (ctx.request as { body?: unknown }).body = parsed;
  return bodyObject(ctx);
}

/** /api/shares: the share list, its settings, the SMB password and live events (owner only). */
export function shareRoutes(shares: ShareManager): Router {
  const r = new Router({ prefix: '/shares' });
  r.use(ownerOnly);

  r.get('/', async (ctx) => {
    await shares.checkFolders(); // a USB disk pulled a moment ago shows as missing right away
    ctx.body = shares.overview();
  });

  r.post('/', async (ctx) => {
    ctx.body = await shares.create(bodyObject(ctx));
    ctx.status = 201;
  });

  r.post('/smb-password', async (ctx) => {
    await shares.setSmbPassword(bodyObject(ctx).password);
    ctx.status = 204;
  });

  // Live: `file` for each file added, changed or removed; `shares` when the list or Samba's state changes.
  r.get('/events', (ctx) => {
    const stream = new PassThrough();
    const send = (event: string, data: unknown) => stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const onFile = (e: ShareFileEvent) => send('file', e);
    const onShares = (v: unknown) => send('shares', v);
    shares.on('file', onFile);
    shares.on('shares', onShares);
    const heartbeat = setInterval(() => stream.write(': still here\n\n'), 25_000);
    const close = () => {
      clearInterval(heartbeat);
      shares.off('file', onFile);
      shares.off('shares', onShares);
      stream.end();
    };
    ctx.req.once('close', close);
    ctx.res.once('close', close);
    ctx.compress = false;
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'text/event-stream';
    ctx.body = stream;
    send('shares', { shares: shares.list(), smb: shares.smbView() });
  });

  r.get('/recent-files', (ctx) => {
    ctx.body = { events: shares.recentFileEvents() };
  });

  r.get('/:name', (ctx) => {
    ctx.body = shares.view(shares.get(ctx.params.name!));
  });

  r.patch('/:name', async (ctx) => {
    ctx.body = await shares.update(ctx.params.name!, bodyObject(ctx));
  });

  r.delete('/:name', async (ctx) => {
    await shares.remove(ctx.params.name!, await deleteBody(ctx));
    ctx.status = 204;
  });

  return r;
}
