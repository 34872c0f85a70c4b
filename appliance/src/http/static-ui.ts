import type { Context, Next } from 'koa';
import send from 'koa-send';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Problem } from './problem.js';

/**
 * Serves the built web app: hashed assets cached for a year, everything else revalidated,
 * and any other page path answered with index.html so the app's router can take it (SPA).
 */
export function staticUi(root: string) {
  const hasIndex = () => existsSync(join(root, 'index.html'));
  return async function serveUi(ctx: Context, next: Next): Promise<void> {
    await next();
    if (ctx.body !== undefined || ctx.status !== 404) return;
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return;
    if (!hasIndex()) {
      throw new Problem(503, 'Web interface not built', 'The web interface has not been built. Run `make build` (or `make run`).');
    }
    const immutable = ctx.path.startsWith('/assets/');
    const setHeaders = (res: { setHeader(name: string, value: string): void }) =>
      res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    try {
      await send(ctx, ctx.path, { root, index: 'index.html', setHeaders, hidden: false });
      return;
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status !== 404 && status !== 400) throw err;
    }
    // A file-like path that does not exist is a real 404; a page path belongs to the app.
    if (/\.[a-z0-9]+$/i.test(ctx.path)) throw new Problem(404, 'Not found', `There is no file at ${ctx.path}.`);
    await send(ctx, 'index.html', { root, setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') });
  };
}
