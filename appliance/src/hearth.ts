import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { networkInterfaces } from 'node:os';
import { statfsSync } from 'node:fs';
import type { Context } from 'koa';
import { createLogger, type Logger } from './log.js';
import type { Module } from './module.js';
import { ConfigStore } from './config/config-store.js';
import { Auth, type AuthOptions } from './auth/auth.js';
import { authRoutes } from './auth/routes.js';
import { sessionToken } from './auth/cookies.js';
import { Device } from './device/device.js';
import { FactoryReset } from './device/factory-reset.js';
import { SetupWizard } from './setup/setup-wizard.js';
import { HttpServer } from './http/http-server.js';
import { ControlSocket } from './control/control-socket.js';
import { controlRoutes, type StatusView } from './control/routes.js';
import { Discovery } from './discovery/discovery.js';
import { ModelManager } from './models/models.js';
import { checkGgufFile } from './models/gguf/header.js';
import { loadCatalog } from './models/catalog/catalog.js';
import { ShareManager } from './shares/shares.js';
import type { SmbMode } from './shares/samba-server.js';
import { shareFileRoutes } from './shares/file-routes.js';
import { Agents } from './agents/agents.js';
import { JobQueue } from './agents/job-queue.js';
import { HearthDatabase } from './store/store.js';
import { Telemetry } from './telemetry/telemetry.js';
import { VERSION } from './version.js';

export interface HearthOptions {
  dataDir: string;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  uiRoot?: string;
  log?: Logger;
  auth?: AuthOptions;
  discovery?: { enabled?: boolean; interfaceCheckMs?: number };
  /** A model catalog other than the built-in one (a local mirror). */
  catalogPath?: string;
  /** Plain http to 127.0.0.1 for model downloads: a local mirror or a test server, never the internet. */
  allowLoopbackHttp?: boolean;
  /** SMB for the shares: hearthd's own smbd ('private', default), the system's ('system') or none ('off'). */
  smb?: { mode?: SmbMode; port?: number; programDir?: string };
  /** How long a file must be still before agents read it (ms). */
  agents?: { settleMs?: number };
  /** Fixture /sys and /proc trees for the sensors (tests). */
  telemetry?: { sysRoot?: string; procRoot?: string; sampling?: boolean };
  /** Running on the box itself (HEARTH_APPLIANCE=1), where a factory reset request reboots it. */
  appliance?: boolean;
}

export const DEFAULT_UI_ROOT = fileURLToPath(new URL('../../ui/dist', import.meta.url));

/** The composition root: builds every module, starts them in order, stops them in reverse. */
export class Hearth {
  readonly log: Logger;
  readonly factoryReset: FactoryReset;
  readonly config: ConfigStore;
  readonly store: HearthDatabase;
  readonly jobs: JobQueue;
  readonly auth: Auth;
  readonly device: Device;
  readonly setup: SetupWizard;
  readonly models: ModelManager;
  readonly shares: ShareManager;
  readonly agents: Agents;
  readonly telemetry: Telemetry;
  readonly http: HttpServer;
  readonly control: ControlSocket;
  readonly discovery: Discovery | null;
  private readonly modules: Module[];
  private started: Module[] = [];
  private readonly startedAt = Date.now();

  constructor(readonly options: HearthOptions) {
    const log = (this.log = options.log ?? createLogger());
    const dataDir = resolve(options.dataDir);
    this.factoryReset = new FactoryReset(dataDir, log.child('factory-reset'));
    this.config = new ConfigStore(dataDir, log.child('config'));
    this.store = new HearthDatabase(dataDir, log.child('store'));
    this.jobs = new JobQueue(this.store);
    this.auth = new Auth(this.config, log.child('auth'), options.auth);
    this.device = new Device(this.config, { appliance: options.appliance, log: log.child('device') });
    this.setup = new SetupWizard(this.config, this.auth, this.device, log.child('setup'));
    const models = (this.models = new ModelManager({
      config: this.config,
      log: log.child('models'),
      checkGguf: checkGgufFile,
      catalog: options.catalogPath ? loadCatalog(options.catalogPath) : undefined,
      allowLoopbackHttp: options.allowLoopbackHttp,
    }));
    const shares = (this.shares = new ShareManager({
      config: this.config,
      device: this.device,
      log: log.child('shares'),
      smbMode: options.smb?.mode ?? 'private',
      smbPort: options.smb?.port ?? 1445,
      sambaProgramDir: options.smb?.programDir,
      host: options.host,
      lanAddresses,
    }));
    const agents = (this.agents = new Agents({
      config: this.config,
      store: this.store,
      queue: this.jobs,
      shares,
      model: models.agentModel(),
      log: log.child('agents'),
      health: () => this.healthLine(),
      settleMs: options.agents?.settleMs,
    }));
    const telemetry = (this.telemetry = new Telemetry({
      config: this.config,
      store: this.store,
      models,
      agents,
      queue: this.jobs,
      log: log.child('telemetry'),
      sysRoot: options.telemetry?.sysRoot,
      procRoot: options.telemetry?.procRoot,
      sampling: options.telemetry?.sampling,
    }));
    this.http = new HttpServer({
      host: options.host,
      port: options.port,
      uiRoot: options.uiRoot ?? DEFAULT_UI_ROOT,
      log: log.child('http'),
      identify: (ctx: Context) => this.auth.sessionUser(sessionToken(ctx)),
      routers: [this.device.routes(), this.setup.routes(), authRoutes(this.auth), models.routes(), shares.routes(), agents.routes(), ...telemetry.routes()],
      rootRouters: [models.openAiRouter(), models.ollamaRouter(), telemetry.metrics()],
      // The shares file browser reads raw upload bodies itself, so it mounts before the JSON-only rule.
      rawBodyRouters: [shareFileRoutes({ resolveShare: (name) => shares.resolveShare(name), onChange: (share) => shares.usage.changed(share) })],
    });
    this.control = new ControlSocket(
      join(dataDir, 'hearthd.sock'),
      controlRoutes({ auth: this.auth, device: this.device, setup: this.setup, models, shares, agents, telemetry: telemetry.api, status: () => this.status() }),
      log.child('control'),
    );
    this.discovery =
      options.discovery?.enabled === false
        ? null
        : new Discovery({
            config: this.config,
            device: this.device,
            port: () => this.http.port,
            host: options.host,
            log: log.child('discovery'),
            interfaceCheckMs: options.discovery?.interfaceCheckMs,
            smbPort: () => shares.announcedSmbPort(),
          });
    // _smb._tcp follows the shares: announced with the first network share, withdrawn with the last.
    const discovery = this.discovery;
    if (discovery) {
      let announced: number | null = null;
      shares.on('changed', () => {
        const now = shares.announcedSmbPort();
        if (now !== announced) {
          announced = now;
          discovery.refresh();
        }
      });
    }
    // Order matters: state first, then the parts that use it, then the doors to the outside.
    this.modules = [
      this.factoryReset, // before anything reads the data dir
      this.config,
      this.store,
      this.auth,
      this.device,
      this.setup,
      models,
      shares,
      agents,
      telemetry,
      this.http,
      this.control,
      ...(this.discovery ? [this.discovery] : []),
    ];
  }

  async start(): Promise<void> {
    for (const m of this.modules) {
      try {
        await m.start();
      } catch (err) {
        this.log.error(`could not start ${m.name}: ${(err as Error).message}`);
        await this.stop();
        throw err;
      }
      this.started.push(m);
    }
  }

  /** Reverse order: goodbye on mDNS first, in-flight requests finish, config is flushed last. */
  async stop(): Promise<void> {
    const started = this.started;
    this.started = [];
    for (const m of started.reverse()) {
      try {
        await m.stop();
      } catch (err) {
        this.log.error(`could not stop ${m.name} cleanly: ${(err as Error).message}`);
      }
    }
  }

  /** The box's health in one line, for the morning briefing. */
  healthLine(): string {
    const parts: string[] = [];
    const active = this.models.active();
    const worker = this.models.worker;
    parts.push(active ? `model ${active.name}${worker.crashes > 0 ? ` (worker restarted ${worker.crashes}× since start)` : ''}` : 'no model chosen');
    const shares = this.shares.list();
    const bad = shares.filter((s) => s.status !== 'ok');
    parts.push(bad.length ? `${bad.length} of ${shares.length} shares need attention (${bad.map((s) => s.name).join(', ')})` : `${shares.length} share${shares.length === 1 ? '' : 's'} ok`);
    try {
      const fs = statfsSync(this.config.dataDir);
      const free = fs.bavail * fs.bsize;
      const used = 1 - fs.bavail / fs.blocks;
      parts.push(`${(free / 1e9).toFixed(1)} GB free${used > 0.9 ? ' (disk nearly full)' : ''}`);
    } catch {
      // no figure rather than a wrong one
    }
    const dead = this.jobs.counts().dead;
    if (dead > 0) parts.push(`${dead} job${dead === 1 ? '' : 's'} gave up (Agents page)`);
    return parts.join('; ') + '.';
  }

  status(): StatusView {
    const port = this.http.port;
    const portPart = port === 80 ? '' : `:${port}`;
    const localNames = this.device.localNames();
    return {
      version: VERSION,
      pid: process.pid,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      setup: this.config.data.setup.state,
      name: this.config.data.device.name,
      announcedName: this.discovery?.announcedName ?? null,
      localNames,
      port,
      urls: reachableUrls(this.options.host, localNames, portPart),
      dataDir: this.config.dataDir,
    };
  }
}

/** Where a person can open the box, given the address the web server listens on. */
function reachableUrls(host: string, localNames: string[], portPart: string): string[] {
  if (/^(127\.|::1$|localhost$)/.test(host)) return [`http://localhost${portPart}/`]; // not on the network at all
  const wildcard = host === '0.0.0.0' || host === '::';
  // On the wildcard address a browser on the box itself can use localhost too.
  const addresses = wildcard ? [...lanAddresses(), 'localhost'] : [host];
  return [...localNames, ...addresses].map((h) => `http://${h}${portPart}/`);
}

/** Non-internal IPv4 addresses: what a person can type when .local does not resolve. */
export function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a): a is NonNullable<typeof a> => !!a && a.family === 'IPv4' && !a.internal)
    .map((a) => a.address);
}
