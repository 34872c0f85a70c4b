import { uptime } from 'node:os';
import { Router } from '@koa/router';
import type { ConfigStore } from '../config/config-store.js';
import type { Module } from '../module.js';
import { badRequest, unauthorized } from '../http/problem.js';
import { bodyObject } from '../http/middleware.js';
import { checkDeviceName, checkHostname, factoryHostname } from './names.js';
import { VERSION } from '../version.js';
import type { Logger } from '../log.js';
import { requestFactoryReset } from './factory-reset.js';

export interface DeviceView {
  id: string;
  name: string;
  factoryHostname: string;
  hostname: string;
  localNames: string[];
  version: string;
  setup: 'pending' | 'complete';
  /** Seconds since the box booted, like a router's status page. */
  uptimeSeconds: number;
  /** Seconds since hearthd started. */
  hearthdUptimeSeconds: number;
}

/** The box's identity (made once, in config) and its names: display name and host names. */
export interface DeviceOptions {
  /** Running on the box (HEARTH_APPLIANCE=1): a factory reset request makes it reboot into the reset at once. */
  appliance?: boolean;
  log?: Logger;
}

export interface FactoryResetAnswer {
  requested: true;
  message: string;
}

export class Device implements Module {
  readonly name = 'device';
  constructor(
    private readonly config: ConfigStore,
    private readonly options: DeviceOptions = {},
  ) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  /** Every .local name the box answers to: the factory one always, the custom one if set. */
  localNames(): string[] {
    const d = this.config.data.device;
    const names = [`${factoryHostname(d.suffix)}.local`];
    if (d.hostname) names.push(`${d.hostname}.local`);
    return names;
  }

  view(): DeviceView {
    const d = this.config.data.device;
    return {
      id: d.id,
      name: d.name,
      factoryHostname: factoryHostname(d.suffix),
      hostname: d.hostname,
      localNames: this.localNames(),
      version: VERSION,
      setup: this.config.data.setup.state,
      uptimeSeconds: Math.round(uptime()),
      hearthdUptimeSeconds: Math.round(process.uptime()),
    };
  }

  /** Validate both names first, so a bad one changes nothing. */
  async rename(input: { name?: unknown; hostname?: unknown }): Promise<DeviceView> {
    const patch = this.checkNames(input);
    await this.config.update((c) => void Object.assign(c.device, patch));
    return this.view();
  }

  /** The checked form of a rename, or a 400 naming the field at fault. */
  checkNames(input: { name?: unknown; hostname?: unknown }): { name?: string; hostname?: string } {
    const patch: { name?: string; hostname?: string } = {};
    if (input.name !== undefined) {
      const name = checkDeviceName(input.name);
      if (!name.ok) throw badRequest(name.error, { field: 'name' });
      patch.name = name.value;
    }
    if (input.hostname !== undefined) {
      const hostname = checkHostname(input.hostname);
      if (!hostname.ok) throw badRequest(hostname.error, { field: 'hostname' });
      patch.hostname = hostname.value;
    }
    if (patch.name === undefined && patch.hostname === undefined) throw badRequest('Give a name or a host name to change.');
    return patch;
  }

  /**
   * Erase the box: `confirm` must be its factory host name, typed exactly. Only writes the request;
   * on the box a root path unit reboots into the reset, elsewhere it happens when hearthd next starts.
   */
  async requestFactoryReset(confirm: unknown): Promise<FactoryResetAnswer> {
    const expected = factoryHostname(this.config.data.device.suffix);
    if (confirm !== expected) {
      throw badRequest(
        typeof confirm === 'string' && confirm.trim() !== ''
          ? `That is not this box's name. To erase it, type ${expected} exactly.`
          : `To erase the box, type its name, ${expected}.`,
        { field: 'confirm', expected },
      );
    }
    await requestFactoryReset(this.config.dataDir, 'ui');
    this.options.log?.warn('factory reset requested from the web page');
    const after = `It comes back unclaimed at http://${expected}.local with a new setup code, shown on its screen or console.`;
    return {
      requested: true,
      message: this.options.appliance
        ? `The box is restarting to erase everything. ${after}`
        : `The reset happens when hearthd next starts (this is not the box itself, so nothing restarts now). ${after}`,
    };
  }

  routes(): Router {
    const r = new Router();
    r.get('/health', (ctx) => {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok', version: VERSION, setup: this.config.data.setup.state };
    });
    // Before setup the box is anybody's to look at (its name is on the network anyway); after, the owner's.
    r.get('/device', (ctx) => {
      if (this.config.data.setup.state === 'complete' && !ctx.state.user) throw unauthorized();
      ctx.body = this.view();
    });
    r.put('/device', async (ctx) => {
      if (!ctx.state.user) throw unauthorized();
      const body = bodyObject(ctx);
      ctx.body = await this.rename({ name: body.name, hostname: body.hostname });
    });
    r.post('/device/factory-reset', async (ctx) => {
      if (!ctx.state.user) throw unauthorized();
      const body = bodyObject(ctx);
      ctx.body = await this.requestFactoryReset(body.confirm);
      ctx.status = 202;
    });
    return r;
  }
}
