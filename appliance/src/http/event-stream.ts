import { PassThrough } from 'node:stream';
import type { Context } from 'koa';

/** Send one named event with JSON data. */
export type SendEvent = (event: string, data: unknown) => void;

/**
 * Answer `ctx` with a Server-Sent Events stream. `subscribe` starts listening (and may send the
 * current picture at once); the function it returns stops listening when the client goes.
 * A comment line every 25 s keeps proxies and browsers from closing an idle stream.
 */
export function serveEventStream(ctx: Context, subscribe: (send: SendEvent) => () => void): void {
  const stream = new PassThrough();
  const send: SendEvent = (event, data) => void stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const heartbeat = setInterval(() => stream.write(': still here\n\n'), 25_000);
  let unsubscribe: (() => void) | null = null;
  const close = () => {
    clearInterval(heartbeat);
    unsubscribe?.();
    unsubscribe = null;
    stream.end();
  };
  ctx.req.once('close', close);
  ctx.res.once('close', close);
  ctx.compress = false; // compression would hold events back until a buffer fills
  ctx.set('Cache-Control', 'no-cache');
  ctx.type = 'text/event-stream';
  ctx.body = stream;
  unsubscribe = subscribe(send);
}
