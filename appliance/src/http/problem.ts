import type { Context, Next } from 'koa';
import type { Logger } from '../log.js';

/** An error a person can act on, sent as RFC 9457 problem JSON. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

const titles: Record<number, string> = {
  400: 'Bad request',
  401: 'Not signed in',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Request too large',
  415: 'Unsupported media type',
  429: 'Too many attempts',
  500: 'Internal error',
  503: 'Unavailable',
};

export const badRequest = (detail: string, extra?: Record<string, unknown>) => new Problem(400, 'Invalid input', detail, extra);
export const unauthorized = (detail = 'Sign in as the owner to do this.') => new Problem(401, 'Not signed in', detail);
export const forbidden = (detail: string) => new Problem(403, 'Forbidden', detail);
export const conflict = (detail: string) => new Problem(409, 'Conflict', detail);
export const tooManyAttempts = (retryAfterMs: number) => {
  const seconds = Math.ceil(retryAfterMs / 1000);
  return new Problem(
    429,
    'Too many attempts',
    `Too many wrong attempts. Wait ${seconds} second${seconds === 1 ? '' : 's'} and try again.`,
    { retryAfter: seconds },
    { 'Retry-After': String(seconds) },
  );
};

/** Turns every thrown error into problem JSON; unexpected ones are logged and kept vague. */
export function problemResponses(log: Logger) {
  return async function problemJson(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (err) {
      const p = toProblem(err, log, ctx);
      ctx.status = p.status;
      for (const [k, v] of Object.entries(p.headers)) ctx.set(k, v);
      ctx.type = 'application/problem+json';
      ctx.body = { type: 'about:blank', status: p.status, title: p.title, detail: p.detail, ...p.extra };
    }
  };
}

function toProblem(err: unknown, log: Logger, ctx: Context): Problem {
  if (err instanceof Problem) return err;
  const e = err as { status?: number; statusCode?: number; expose?: boolean; message?: string; type?: string };
  const status = e.status ?? e.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Errors raised by koa and its body parser (malformed JSON, too large, ...).
    if (status === 413) return new Problem(413, titles[413]!, 'The request body is larger than this endpoint accepts.');
    if (status === 400 && e.type === 'entity.parse.failed') return new Problem(400, 'Invalid JSON', 'The request body is not valid JSON.');
    return new Problem(status, titles[status] ?? 'Request error', e.expose && e.message ? e.message : titles[status] ?? 'Request error');
  }
  log.error(`unhandled error on ${ctx.method} ${ctx.path}`, { error: e.message ?? String(err) });
  return new Problem(500, titles[500]!, 'Something went wrong inside Hearth. The log has the details.');
}
