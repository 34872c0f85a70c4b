import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { ConfigStore } from '../config/config-store.js';
import { checkPassword, checkUsername, type Auth } from '../auth/auth.js';
import type { Device, DeviceView } from '../device/device.js';
import type { Module } from '../module.js';
import type { Logger } from '../log.js';
import { bodyObject, ownerOnly } from '../http/middleware.js';
import { badRequest, conflict } from '../http/problem.js';
import { claimToken, clearClaimCookie, setClaimCookie, setSessionCookie } from '../auth/cookies.js';

/** Where a visitor is in the wizard. The server decides, so a reload lands on the same step. */
export type WizardPosition = 'claim' | 'owner' | 'login' | 'name' | 'finish' | 'done';

export interface SetupState {
  setup: 'pending' | 'complete';
  step: WizardPosition;
  /** True after `hearth reset-password`: claiming sets a new owner password, data kept. */
  recovery: boolean;
  username: string | null;
  device: Pick<DeviceView, 'name' | 'factoryHostname' | 'hostname' | 'localNames' | 'version'>;
}

/** The first-run flow: claim with the setup code, make the owner, name the box, finish. */
export class SetupWizard implements Module {
  readonly name = 'setup';
  constructor(
    private readonly config: ConfigStore,
    private readonly auth: Auth,
    private readonly device: Device,
    private readonly log: Logger,
  ) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  state(user: string | null, claim: string | null): SetupState {
    const { setup } = this.config.data;
    let step: WizardPosition;
    if (this.auth.claimable) step = this.auth.validClaim(claim) ? 'owner' : 'claim';
    else if (setup.state === 'complete') step = 'done';
    else if (!user) step = 'login';
    else step = setup.step === 'finish' ? 'finish' : 'name';
    const { name, factoryHostname, hostname, localNames, version } = this.device.view();
    return {
      setup: setup.state,
      step,
      recovery: this.auth.recovering,
      username: this.auth.recovering ? this.config.data.auth.owner?.username ?? null : user,
      device: { name, factoryHostname, hostname, localNames, version },
    };
  }

  private requirePending(): void {
    if (this.config.data.setup.state === 'complete') throw conflict('Setup is already complete. Change the name in Settings instead.');
  }

  async setName(input: { name?: unknown; hostname?: unknown }): Promise<void> {
    this.requirePending();
    // A host name left out keeps the one the box has (from provisioning, say); '' clears it.
    await this.device.rename({ name: input.name, hostname: input.hostname });
    await this.config.update((c) => void (c.setup.step = 'finish'));
  }

  async finish(): Promise<void> {
    if (this.config.data.setup.state === 'complete') return; // finishing twice is harmless
    if (this.config.data.setup.step !== 'finish') throw conflict('Name the box first, then finish.');
    await this.config.update((c) => {
      c.setup = { state: 'complete', step: 'finish', completedAt: new Date().toISOString() };
    });
    this.log.info('setup complete');
  }

  /** `hearth setup`: the whole wizard without a browser; being on the box is the authority. */
  async headless(input: { owner: unknown; password: unknown; name?: unknown; hostname?: unknown }): Promise<SetupState> {
    if (!this.auth.claimable) throw conflict('This box already has an owner. Use `hearth reset-password` to set a new password.');
    if (!this.auth.recovering) this.requirePending();
    // Check every input before acting, so bad input changes nothing.
    const existing = this.config.data.auth.owner?.username;
    if (existing && checkUsername(input.owner) !== existing) {
      throw badRequest(`This box's owner is ${existing}; the password reset keeps that account. Run: hearth setup --owner ${existing}`, {
        field: 'owner',
      });
    }
    if (!existing) checkUsername(input.owner);
    checkPassword(input.password);
    const naming = input.name !== undefined || input.hostname !== undefined;
    if (naming) this.device.checkNames({ name: input.name, hostname: input.hostname });
    const code = await this.auth.currentSetupCode();
    const { token } = await this.auth.claim(code ?? '', 'local');
    await this.auth.createOwner(token, input.owner, input.password);
    if (this.config.data.setup.state === 'pending') {
      if (naming) await this.setName(input);
      else await this.config.update((c) => void (c.setup.step = 'finish'));
      await this.finish();
    }
    return this.state(null, null);
  }

  routes(): Router {
    const r = new Router({ prefix: '/setup' });
    const state = (ctx: Context) => this.state(ctx.state.user as string | null, claimToken(ctx));

    r.get('/state', (ctx) => {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = state(ctx);
    });

    r.post('/claim', async (ctx) => {
      const { token, expiresAt } = await this.auth.claim(bodyObject(ctx).code, ctx.ip);
      setClaimCookie(ctx, token);
      ctx.body = { claimToken: token, expiresAt, state: this.state(null, token) };
    });

    r.post('/owner', async (ctx) => {
      const body = bodyObject(ctx);
      const claim = typeof body.claimToken === 'string' ? body.claimToken : claimToken(ctx);
      const session = await this.auth.createOwner(claim, body.username, body.password);
      clearClaimCookie(ctx);
      setSessionCookie(ctx, session);
      ctx.body = this.state(this.auth.sessionUser(session), null);
    });

    r.put('/name', ownerOnly, async (ctx) => {
      const body = bodyObject(ctx);
      await this.setName({ name: body.name, hostname: body.hostname });
      ctx.body = state(ctx);
    });

    r.post('/finish', ownerOnly, async (ctx) => {
      await this.finish();
      ctx.body = state(ctx);
    });

    return r;
  }
}
