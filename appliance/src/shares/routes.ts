import { Router } from '@koa/router';
import { serveEventStream } from '../http/event-stream.js';
import type { ShareManager } from './shares.js';
import type { ShareFileEvent } from './share-watcher.js';
import { bodyObject, ownerOnly } from '../http/middleware.js';

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
  r.get('/events', (ctx) =>
    serveEventStream(ctx, (send) => {
      const onFile = (e: ShareFileEvent) => send('file', e);
      const onShares = (v: unknown) => send('shares', v);
      shares.on('file', onFile);
      shares.on('shares', onShares);
      send('shares', { shares: shares.list(), smb: shares.smbView() });
      return () => {
        shares.off('file', onFile);
        shares.off('shares', onShares);
      };
    }),
  );

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
    await shares.remove(ctx.params.name!, bodyObject(ctx));
    ctx.status = 204;
  });

  return r;
}
