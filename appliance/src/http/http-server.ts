import Koa from 'koa';
import compress from 'koa-compress';
import { Router } from '@koa/router';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import type { Module } from '../module.js';
import { Problem, problemResponses } from './problem.js';
import { jsonBodies, sameOriginWrites, securityHeaders } from './middleware.js';
import { staticUi } from './static-ui.js';
import type { Context, Next } from 'koa';

export interface HttpServerOptions {
  host: string;
  port: number;
  uiRoot: string;
  log: Logger;
  /** Resolves the signed-in owner (or null) for each request. */
  identify: (ctx: Context) => string | null;
  /** Routers of the modules, each already prefixed (e.g. /api/auth). */
  routers: Router[];
  /** Routers outside /api with their own body rules (the OpenAI-compatible /v1). */
  rootRouters?: Router[];
  /** Routers under /api that read raw request bodies themselves (file uploads): mounted before the JSON rule. */
  rawBodyRouters?: Router[];
}

/** Koa on one port: problem JSON, security headers, compression, the API, then the web app. */
export class HttpServer implements Module {
  readonly name = 'http';
  readonly app = new Koa({ proxy: false });
  private server: Server | null = null;

  constructor(private readonly options: HttpServerOptions) {
    const { log, routers, uiRoot, identify } = options;
    const api = new Router({ prefix: '/api' });
    for (const r of options.rawBodyRouters ?? []) api.use(r.routes(), r.allowedMethods({ throw: true }));
    api.use(jsonBodies());
    for (const r of routers) api.use(r.routes(), r.allowedMethods({ throw: true }));
    api.all('/{*rest}', (ctx) => {
      throw new Problem(404, 'Not found', `There is no API endpoint ${ctx.method} ${ctx.path}.`);
    });

    this.app.silent = true; // errors become problem JSON; unexpected ones are logged there
    this.app.use(problemResponses(log));
    this.app.use(securityHeaders);
    this.app.use(compress({ threshold: 1024 }));
    this.app.use(sameOriginWrites);
    this.app.use(async (ctx: Context, next: Next) => {
      ctx.state.user = identify(ctx);
      await next();
    });
    this.app.use(staticUi(uiRoot));
    for (const r of options.rootRouters ?? []) this.app.use(r.routes());
    this.app.use(api.routes());
    this.app.use(api.allowedMethods({ throw: true }));
  }

  async start(): Promise<void> {
    // No whole-request time limit: a large upload over Wi-Fi takes minutes (the upload route drops silent ones itself).
    const server = createServer({ requestTimeout: 0, headersTimeout: 10_000 }, this.app.callback());
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.options.log.info(`listening on http://${this.options.host}:${this.port}`);
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.options.port;
  }

  /** Finish in-flight requests, drop idle keep-alive sockets, force-close after the grace time. */
  async stop(graceMs = 3_000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive sockets turn idle as their last response goes out: close them as they do.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    await closed;
    clearInterval(sweep);
    clearTimeout(timer);
  }
}
