import { Router } from '@koa/router';
import type { Auth } from '../auth/auth.js';
import type { Device } from '../device/device.js';
import type { SetupWizard } from '../setup/setup-wizard.js';
import { bodyObject } from '../http/middleware.js';
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
export function controlRoutes(deps: { auth: Auth; device: Device; setup: SetupWizard; status: () => StatusView }): Router {
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
  r.get('/version', (ctx) => {
    ctx.body = { version: VERSION };
  });
  return r;
}
