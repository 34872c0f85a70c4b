import { Router } from '@koa/router';
import type { Auth } from '../auth/auth.js';
import type { Device } from '../device/device.js';
import type { SetupWizard } from '../setup/setup-wizard.js';
import type { ModelManager } from '../models/models.js';
import type { ShareManager } from '../shares/shares.js';
import type { Agents } from '../agents/agents.js';
import { noSampleYet, telemetryNow, type TelemetryControlDeps } from '../telemetry/routes.js';
import { bodyObject } from '../http/middleware.js';
import { badRequest, Problem } from '../http/problem.js';
import { VERSION } from '../version.js';

export interface StatusView {
  version: string;
  pid: number;
  uptimeSeconds: number;
  setup: 'pending' | 'complete';
  name: string;
  /** The name other devices see: the box's name, or "Name (2)" if another box on the LAN had it first. */
  announcedName: string | null;
  localNames: string[];
  port: number;
  urls: string[];
  dataDir: string;
}

/** What the CLI may do on the box: read status and the setup code, set up headless, reset the password. */
export function controlRoutes(deps: { auth: Auth; device: Device; setup: SetupWizard; models: ModelManager; shares: ShareManager; agents: Agents; telemetry?: TelemetryControlDeps; status: () => StatusView }): Router {
  const r = new Router();
  r.get('/status', (ctx) => {
    ctx.body = deps.status();
  });
  r.get('/setup-code', async (ctx) => {
    const code = await deps.auth.currentSetupCode();
    ctx.body = { setupCode: code, claimed: !deps.auth.claimable };
  });
  r.post('/setup', async (ctx) => {
    const body = bodyObject(ctx);
    ctx.body = await deps.setup.headless({ owner: body.owner, password: body.password, name: body.name, hostname: body.hostname });
  });
  r.post('/reset-password', async (ctx) => {
    ctx.body = { setupCode: await deps.auth.resetPassword() };
  });
  r.put('/device', async (ctx) => {
    const body = bodyObject(ctx);
    ctx.body = await deps.device.rename({ name: body.name, hostname: body.hostname });
  });
  r.get('/models', (ctx) => {
    ctx.body = { installed: deps.models.installed(), ...deps.models.status() };
  });
  r.post('/models/add', async (ctx) => {
    const body = bodyObject(ctx);
    if (typeof body.path !== 'string') throw badRequest('Give the path of a .gguf file on the box.', { field: 'path' });
    ctx.body = await deps.models.addLocalFile(body.path, {
      id: typeof body.id === 'string' ? body.id : undefined,
      name: typeof body.name === 'string' ? body.name : undefined,
    });
  });
  r.post('/models/pull', async (ctx) => {
    const body = bodyObject(ctx);
    ctx.body = await deps.models.pull({ id: body.id, url: body.url, override: body.override, allowUnverified: body.allowUnverified });
  });
  r.get('/models/downloads/:id', (ctx) => {
    const d = deps.models.downloader.get(ctx.params.id!);
    if (!d) throw new Problem(404, 'No such download', `There is no download "${ctx.params.id}".`);
    ctx.body = d;
  });
  r.post('/models/use', async (ctx) => {
    ctx.body = await deps.models.use(bodyObject(ctx).id);
  });
  r.post('/models/remove', async (ctx) => {
    await deps.models.remove(bodyObject(ctx).id);
    ctx.body = { removed: true };
  });
  r.get('/tokens', (ctx) => {
    ctx.body = deps.models.tokens.list();
  });
  r.post('/tokens', async (ctx) => {
    ctx.body = await deps.models.tokens.create(bodyObject(ctx).name);
  });
  r.post('/tokens/revoke', async (ctx) => {
    await deps.models.tokens.revoke(bodyObject(ctx).name);
    ctx.body = { revoked: true };
  });
  r.get('/shares', async (ctx) => {
    await deps.shares.checkFolders();
    ctx.body = deps.shares.overview();
  });
  r.post('/shares', async (ctx) => {
    ctx.body = await deps.shares.create(bodyObject(ctx));
    ctx.status = 201;
  });
  // POST rather than DELETE: the body ({name, deleteFiles, confirm}) then goes through the usual parser.
  r.post('/shares/remove', async (ctx) => {
    const body = bodyObject(ctx);
    if (typeof body.name !== 'string') throw badRequest('Give the name of the share to remove.', { field: 'name' });
    await deps.shares.remove(body.name, body);
    ctx.body = { removed: body.name, filesDeleted: body.deleteFiles === true };
  });
  r.post('/smb-password', async (ctx) => {
    await deps.shares.setSmbPassword(bodyObject(ctx).password);
    ctx.body = { set: true, username: deps.shares.smbUsername() };
  });
  r.get('/agents', (ctx) => {
    ctx.body = deps.agents.overview();
  });
  r.patch('/agents/:id', async (ctx) => {
    ctx.body = await deps.agents.update(ctx.params.id!, bodyObject(ctx));
  });
  r.post('/agents/:id/run', async (ctx) => {
    const { job, queued } = await deps.agents.runNow(ctx.params.id!);
    ctx.body = { job: job ? { id: job.id, state: job.state } : null, queued };
  });
  r.get('/library', (ctx) => {
    const limit = Math.min(500, Math.max(1, Number(ctx.query.limit) || 100));
    ctx.body = deps.agents.library.list({ limit });
  });
  r.post('/library/search', async (ctx) => {
    const q = bodyObject(ctx).query;
    if (typeof q !== 'string' || q.trim() === '') throw badRequest('Give something to search for.', { field: 'query' });
    ctx.body = { hits: await deps.agents.search(q, 20) };
  });
  r.post('/ask', async (ctx) => {
    ctx.body = await deps.agents.ask(bodyObject(ctx).question);
  });
  const telemetry = (): TelemetryControlDeps => {
    if (!deps.telemetry) throw new Problem(503, 'Unavailable', 'Telemetry is not running in this hearthd.');
    return deps.telemetry;
  };
  r.get('/telemetry', (ctx) => {
    const now = telemetryNow(telemetry());
    if (!now) throw noSampleYet();
    ctx.body = now;
  });
  r.get('/energy', (ctx) => {
    ctx.body = telemetry().energy.report();
  });
  r.get('/version', (ctx) => {
    ctx.body = { version: VERSION };
  });
  return r;
}
