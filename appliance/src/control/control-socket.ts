import Koa from 'koa';
import { Router } from '@koa/router';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { chmod, unlink } from 'node:fs/promises';
import type { Logger } from '../log.js';
import type { Module } from '../module.js';
import { problemResponses } from '../http/problem.js';
import { jsonBodies } from '../http/middleware.js';

/** Is something answering on this Unix socket? (A leftover file from a crash is not.) */
function socketAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * The `hearth` CLI's way in: HTTP over a Unix socket in the data dir, mode 0600.
 * Being able to open it means being on the box as its user; that is the authority,
 * like a router's reset button. Routes are given by the composition root.
 */
export class ControlSocket implements Module {
  readonly name = 'control';
  private server: Server | null = null;

  constructor(
    readonly path: string,
    private readonly router: Router,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (await socketAlive(this.path)) {
      throw new Error(`another hearthd is already running with this data directory (${this.path} answers); stop it first`);
    }
    await unlink(this.path).catch(() => undefined);
    const app = new Koa();
    app.silent = true;
    app.use(problemResponses(this.log));
    app.use(jsonBodies());
    app.use(this.router.routes());
    app.use(this.router.allowedMethods({ throw: true }));
    const server = createServer(app.callback());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    await chmod(this.path, 0o600);
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await unlink(this.path).catch(() => undefined);
  }
}
