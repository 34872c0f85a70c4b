import { Router } from '@koa/router';
import { serveEventStream } from '../http/event-stream.js';
import type { ModelManager } from './models.js';
import { bodyObject, ownerOnly } from '../http/middleware.js';
import { Problem } from '../http/problem.js';
import type { DownloadStatus } from './download/model-downloader.js';

/** /api/models: what the web UI's model step and Models page use (owner only). */
export function modelRoutes(models: ModelManager): Router {
  const r = new Router({ prefix: '/models' });
  r.use(ownerOnly);

  r.get('/', async (ctx) => {
    const catalog = await models.catalogView();
    ctx.body = {
      ...catalog,
      installed: models.installed(),
      downloads: models.downloader.list(),
      keepAliveMinutes: models.keepAliveMinutes,
      ...models.status(),
    };
  });

  r.post('/pull', async (ctx) => {
    const body = bodyObject(ctx);
    ctx.body = await models.pull({ id: body.id, url: body.url, override: body.override, allowUnverified: body.allowUnverified });
  });

  r.post('/check', async (ctx) => {
    const url = bodyObject(ctx).url;
    if (typeof url !== 'string' || url.trim() === '') throw new Problem(400, 'Invalid input', 'Paste the https address of a .gguf file.', { field: 'url' });
    ctx.body = await models.fit.verdictForUrl(url.trim());
  });

  r.post('/downloads/:id/pause', async (ctx) => {
    ctx.body = await models.downloader.pause(ctx.params.id!);
  });
  r.post('/downloads/:id/resume', async (ctx) => {
    ctx.body = await models.downloader.resume(ctx.params.id!);
  });
  r.delete('/downloads/:id', async (ctx) => {
    await models.downloader.cancel(ctx.params.id!);
    ctx.status = 204;
  });

  r.post('/use', async (ctx) => {
    ctx.body = await models.use(bodyObject(ctx).id);
  });
  r.delete('/installed/:id', async (ctx) => {
    await models.remove(ctx.params.id);
    ctx.status = 204;
  });
  r.put('/settings', async (ctx) => {
    await models.setKeepAlive(bodyObject(ctx).keepAliveMinutes);
    ctx.body = { keepAliveMinutes: models.keepAliveMinutes };
  });

  r.get('/tokens', (ctx) => {
    ctx.body = models.tokens.list();
  });
  r.post('/tokens', async (ctx) => {
    ctx.body = await models.tokens.create(bodyObject(ctx).name);
  });
  r.delete('/tokens/:name', async (ctx) => {
    await models.tokens.revoke(ctx.params.name);
    ctx.status = 204;
  });

  // Live progress for every page: downloads and the worker's state, as Server-Sent Events.
  r.get('/events', (ctx) =>
    serveEventStream(ctx, (send) => {
      const onProgress = (s: DownloadStatus) => send('download', s);
      const onState = () => send('worker', models.status());
      models.downloader.on('progress', onProgress);
      models.worker.on('state', onState);
      for (const d of models.downloader.list()) send('download', d);
      send('worker', models.status());
      return () => {
        models.downloader.off('progress', onProgress);
        models.worker.off('state', onState);
      };
    }),
  );

  return r;
}
