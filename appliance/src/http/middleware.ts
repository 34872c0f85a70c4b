import type { Context, Next } from 'koa';
import { bodyParser } from '@koa/bodyparser';
import { Problem, forbidden, unauthorized } from './problem.js';

/** Content-Security-Policy: no inline or foreign scripts, no framing, no plugins. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export async function securityHeaders(ctx: Context, next: Next): Promise<void> {
  ctx.set('Content-Security-Policy', CSP);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
  ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
  ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  await next();
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuse state-changing requests sent by another site's page. Browsers send Origin on
 * such requests; tools without one (curl, the CLI) are judged by their session alone.
 */
export async function sameOriginWrites(ctx: Context, next: Next): Promise<void> {
  // A bearer token is not sent by browsers on their own, so such requests cannot be forged cross-site.
  if (!SAFE_METHODS.has(ctx.method) && !/^Bearer\s/i.test(ctx.get('Authorization'))) {
    const origin = ctx.get('Origin');
    const fetchSite = ctx.get('Sec-Fetch-Site');
    if (fetchSite === 'cross-site') throw forbidden('Requests from other web sites are refused.');
    if (origin) {
      let host: string | null = null;
      try {
        host = origin === 'null' ? null : new URL(origin).host;
      } catch {
        host = null;
      }
      if (host !== ctx.host) throw forbidden('Requests from other web sites are refused (the Origin does not match this box).');
    }
  }
  await next();
}

/** JSON bodies only, 64 KiB at most: nothing in this API needs more. */
export function jsonBodies(limit = '64kb') {
  const parse = bodyParser({
    enableTypes: ['json'],
    // DELETE too: removing a share takes {deleteFiles, confirm}.
    parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
    jsonLimit: limit,
    encoding: 'utf-8',
    onError: (err) => {
      const status = (err as { status?: number }).status;
      if (status === 413) throw new Problem(413, 'Request too large', `The request body is larger than this endpoint accepts (${limit}).`);
      if (status === 400) throw new Problem(400, 'Invalid JSON', 'The request body is not valid JSON.');
      throw err;
    },
  });
  return async function jsonBody(ctx: Context, next: Next): Promise<void> {
    if (!SAFE_METHODS.has(ctx.method) && ctx.request.length && !ctx.is('application/json')) {
      throw new Problem(415, 'Unsupported media type', 'Send the request body as JSON (Content-Type: application/json).');
    }
    await parse(ctx, next);
  };
}

/** The parsed JSON body as an object, or a clear error. */
export function bodyObject(ctx: Context): Record<string, unknown> {
  const body = (ctx.request as { body?: unknown }).body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new Problem(400, 'Invalid input', 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

export interface AuthState {
  user: string | null;
}

/** Guard for owner-only routes: 401 without a live session, nothing changed. */
export async function ownerOnly(ctx: Context, next: Next): Promise<void> {
  if (!(ctx.state as AuthState).user) throw unauthorized();
  await next();
}
