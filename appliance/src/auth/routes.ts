import { Router } from '@koa/router';
import type { Auth } from './auth.js';
import { bodyObject, ownerOnly } from '../http/middleware.js';
import { clearSessionCookie, sessionToken, setSessionCookie } from './cookies.js';

/** /api/auth: sign in, sign out, who am I, change password. */
export function authRoutes(auth: Auth): Router {
  const r = new Router({ prefix: '/auth' });

  r.post('/login', async (ctx) => {
    const body = bodyObject(ctx);
    const token = await auth.login(body.username, body.password, ctx.ip);
    setSessionCookie(ctx, token);
    ctx.body = { username: auth.sessionUser(token) };
  });

  r.post('/logout', async (ctx) => {
    await auth.logout(sessionToken(ctx));
    clearSessionCookie(ctx);
    ctx.status = 204;
  });

  r.get('/session', ownerOnly, (ctx) => {
    ctx.body = { username: ctx.state.user };
  });

  r.post('/password', ownerOnly, async (ctx) => {
    const body = bodyObject(ctx);
    const token = await auth.changePassword(sessionToken(ctx) ?? '', body.currentPassword, body.newPassword, ctx.ip);
    setSessionCookie(ctx, token);
    ctx.body = { changed: true };
  });

  return r;
}
