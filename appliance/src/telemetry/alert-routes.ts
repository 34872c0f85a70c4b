import { Router } from '@koa/router';
import { ownerOnly } from '../http/middleware.js';
import { Problem } from '../http/problem.js';
import type { AlertCenter } from './alerts.js';

/** The alerts API (owner only), mounted under /api: GET /alerts {active, recent}; POST /alerts/:id/dismiss. */
export function alertRoutes(center: AlertCenter): Router {
  const r = new Router();
  // Only on these paths: a bare use() would answer 401 for every unknown /api path, not 404.
  r.use('/alerts', ownerOnly);

  r.get('/alerts', (ctx) => {
    ctx.body = center.list();
  });
  r.post('/alerts/:id/dismiss', (ctx) => {
    const alert = center.dismiss(ctx.params.id!);
    if (!alert) throw new Problem(404, 'Not found', `There is no alert "${ctx.params.id}" (it may have been resolved long ago).`);
    ctx.body = alert;
  });
  return r;
}
