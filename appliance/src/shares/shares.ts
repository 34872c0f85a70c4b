import { EventEmitter } from 'node:events';
import { mkdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import type { Router } from '@koa/router';
import type { ConfigStore } from '../config/config-store.js';
import type { Config, Share, ShareAgentAccess } from '../config/schema.js';
import { SHARE_AGENT_ACCESS } from '../config/schema.js';
import type { Device } from '../device/device.js';
import type { Logger } from '../log.js';
import type { Module } from '../module.js';
import { Problem, badRequest, conflict } from '../http/problem.js';
import { checkShareDescription, checkShareName } from './share-names.js';
import { ShareLocationError, checkExistingFolder, managedSharesDir } from './share-locations.js';
import { INSTALL_HINT, SambaServer, type SmbMode, type SmbState } from './samba-server.js';
import type { SambaShareEntry } from './samba-config.js';
import { ShareWatcher, type ShareFileEvent } from './share-watcher.js';
import { ShareUsageCache, type ShareUsage } from './share-usage.js';
import { shareRoutes } from './routes.js';

export interface ShareConnect {
  macos: string;
  windows: string | null;
  windowsByIp: string | null;
  linux: string;
  smbclient: string;
}

export interface ShareView {
  name: string;
  description: string;
  path: string;
  managed: boolean;
  network: boolean;
  readOnly: boolean;
  agents: ShareAgentAccess;
  watchedBy: string[];
  status: 'ok' | 'missing' | 'error';
  problem: string | null;
  usage: ShareUsage | null;
  connect: ShareConnect;
}

export interface SmbView {
  state: SmbState;
  problem: string | null;
  port: number;
  username: string;
  passwordSet: boolean;
  mode: SmbMode;
}

export interface ProposedShare {
  name: 'Inbox' | 'Notes';
  description: string;
  network: boolean;
  readOnly: boolean;
  agents: ShareAgentAccess;
}

export const PROPOSED_SHARES: ProposedShare[] = [
  { name: 'Inbox', description: 'Drop documents here for the agents to read.', network: true, readOnly: false, agents: 'read' },
  { name: 'Notes', description: 'Where the agents write their outputs.', network: true, readOnly: false, agents: 'read-write' },
];

export interface ShareManagerOptions {
  config: ConfigStore;
  device: Device;
  log: Logger;
  smbMode: SmbMode;
  smbPort: number;
  /** The HTTP host; smbd binds to it too unless it is a wildcard. */
  host: string;
  /** LAN IPv4 addresses, for the connect-by-IP strings. */
  lanAddresses: () => string[];
  /** Look for the Samba programs only here (HEARTH_SAMBA_DIR; tests). */
  sambaProgramDir?: string;
  /** How often to look for folders that vanished or came back (USB disks). */
  healthCheckMs?: number;
}

const DEFAULT_HEALTH_CHECK_MS = 3_000;
const MIN_SMB_PASSWORD = 8;
const MAX_SMB_PASSWORD = 128;

const isLoopbackHost = (h: string) => /^(127\.|::1$|localhost$)/u.test(h);
const isWildcardHost = (h: string) => h === '' || h === '0.0.0.0' || h === '::' || h === '[::]';

/**
 * Folder shares: the list in config.json, their folders, Samba's configuration and smbd, a
 * watcher that tells of new files, and usage figures. Every change is validated first (bad
 * input changes nothing), then written to config.json, then to smb.conf (checked by testparm),
 * then smbd reloads without a restart. Emits 'file' (ShareFileEvent) and 'shares' (list changed).
 */
export class ShareManager extends EventEmitter implements Module {
  readonly name = 'shares';
  readonly samba: SambaServer;
  readonly watcher: ShareWatcher;
  readonly usage: ShareUsageCache;
  private readonly log: Logger;
  private readonly missing = new Map<string, string>();
  private healthTimer: NodeJS.Timeout | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private identityKey = '';
  private folderCheck: Promise<void> | null = null;
  private started = false;

  constructor(private readonly options: ShareManagerOptions) {
    super();
    this.log = options.log;
    this.samba = new SambaServer({ mode: options.smbMode, dataDir: options.config.dataDir, port: options.smbPort, host: options.host, log: options.log.child('smbd'), programDir: options.sambaProgramDir });
    this.watcher = new ShareWatcher(options.log.child('watch'));
    this.usage = new ShareUsageCache(() => this.emitShares());
    this.watcher.on('file', (e: ShareFileEvent) => {
      this.usage.changed(e.share);
      this.log.debug(`file ${e.kind}: ${e.share}/${e.path}`);
      this.emit('file', e);
    });
    this.samba.on('state', () => {
      this.emitShares();
      this.emit('smb-state');
    });
  }

  private get config(): ConfigStore {
    return this.options.config;
  }
  private get dataDir(): string {
    return this.config.dataDir;
  }

  async start(): Promise<void> {
    this.started = true;
    await mkdir(managedSharesDir(this.dataDir), { recursive: true, mode: 0o755 });
    await this.samba.init();
    await this.checkFolders();
    try {
      await this.samba.apply(this.identity(), this.sambaShares(this.config.data.shares));
      this.identityKey = this.identityKeyOf(this.config.data);
      await this.samba.setWanted(this.smbWanted(this.config.data.shares));
    } catch (err) {
      this.log.error(`Samba could not be set up: ${(err as Error).message}`); // the web UI and agents go on without SMB
    }
    for (const s of this.config.data.shares) await this.watchShare(s);
    this.config.on('change', this.onConfigChange);
    const every = this.options.healthCheckMs ?? DEFAULT_HEALTH_CHECK_MS;
    this.healthTimer = setInterval(() => void this.checkFolders().catch(() => undefined), every);
    this.healthTimer.unref();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.config.off('change', this.onConfigChange);
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = null;
    await this.lock.catch(() => undefined);
    this.usage.close();
    await this.watcher.close();
    await this.samba.stop();
  }

  /** The owner's name or the box's name changed: Samba's user map and server string follow. */
  private readonly onConfigChange = (next: Config): void => {
    if (this.identityKeyOf(next) === this.identityKey) return;
    void this.serialized(async () => {
      this.identityKey = this.identityKeyOf(this.config.data);
      await this.samba.apply(this.identity(), this.sambaShares(this.config.data.shares));
    }).catch((err) => this.log.warn(`Samba configuration not updated: ${(err as Error).message}`));
  };

  private identityKeyOf(c: Config): string {
    return JSON.stringify([c.auth.owner?.username ?? '', c.device.suffix, c.device.name]);
  }

  private identity() {
    const c = this.config.data;
    return { netbiosName: `HEARTH-${c.device.suffix.toUpperCase()}`, serverString: c.device.name, smbUser: this.smbUsername() };
  }

  /** The SMB login is the owner's login name. */
  smbUsername(): string {
    return this.config.data.auth.owner?.username ?? this.config.data.smb.username;
  }

  private sambaShares(shares: readonly Share[]): SambaShareEntry[] {
    return shares.filter((s) => s.network).map((s) => ({ name: s.name, description: s.description, path: s.path, readOnly: s.readOnly }));
  }

  private smbWanted(shares: readonly Share[]): boolean {
    return shares.some((s) => s.network);
  }

  /** The SMB port to announce on mDNS, or null when nothing is shared on the network. */
  announcedSmbPort(): number | null {
    if (!this.started || this.samba.mode === 'off') return null;
    if (this.samba.mode === 'private' && this.samba.state !== 'running') return null;
    if (this.samba.mode === 'system' && !this.samba.installed) return null;
    return this.smbWanted(this.config.data.shares) ? this.samba.port : null;
  }

  /** Changes run one at a time, so two requests never both pass the same uniqueness check. */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private find(name: string): Share | undefined {
    return this.config.data.shares.find((s) => s.name === name) ?? this.config.data.shares.find((s) => s.name.toLowerCase() === String(name).toLowerCase());
  }

  get(name: string): Share {
    const s = this.find(name);
    if (!s) throw new Problem(404, 'Not found', `There is no share named ${JSON.stringify(name)}.`);
    return s;
  }

  /** The folder of a share, for the file browser; null when there is no such share. */
  resolveShare(name: string): { root: string } | null {
    const s = this.find(name);
    return s ? { root: s.path } : null;
  }

  list(): ShareView[] {
    return this.config.data.shares.map((s) => this.view(s));
  }

  view(s: Share): ShareView {
    const problem = this.missing.get(s.name) ?? null;
    return {
      name: s.name,
      description: s.description,
      path: s.path,
      managed: s.managed,
      network: s.network,
      readOnly: s.readOnly,
      agents: s.agents,
      watchedBy: [...s.watchedBy],
      status: problem ? 'missing' : 'ok',
      problem,
      usage: this.usage.get(s.name),
      connect: this.connectStrings(s.name),
    };
  }

  smbView(): SmbView {
    const shares = this.config.data.shares;
    let state = this.samba.state;
    let problem = this.samba.problem;
    if (this.samba.mode === 'system' && this.samba.installed) state = 'running'; // the system's smbd; systemd supervises it
    if (state === 'stopped' && !this.smbWanted(shares) && this.samba.mode === 'private') problem = 'No share is on the network yet; Samba starts with the first one.';
    if (state === 'not-installed') problem = INSTALL_HINT;
    if (state === 'off') problem = 'SMB is turned off on this box (HEARTH_SMB=off); shares are reachable only through the web UI and the agents.';
    return {
      state,
      problem,
      port: this.samba.port,
      username: this.smbUsername(),
      passwordSet: this.config.data.smb.passwordSetAt !== null,
      mode: this.samba.mode,
    };
  }

  proposed(): ProposedShare[] {
    const taken = new Set(this.config.data.shares.map((s) => s.name.toLowerCase()));
    return PROPOSED_SHARES.filter((p) => !taken.has(p.name.toLowerCase())).map((p) => ({ ...p }));
  }

  overview() {
    return { shares: this.list(), smb: this.smbView(), proposed: this.proposed() };
  }

  recentFileEvents(): ShareFileEvent[] {
    return this.watcher.recent();
  }

  connectStrings(name: string): ShareConnect {
    const host = this.options.device.localNames()[0]!;
    const port = this.samba.port;
    const portPart = port === 445 ? '' : `:${port}`;
    const url = `smb://${host}${portPart}/${encodeURIComponent(name)}`;
    const h = this.options.host;
    const ips = isWildcardHost(h) ? this.options.lanAddresses() : isLoopbackHost(h) ? [] : [h];
    const user = this.smbUsername() || 'owner';
    const quoted = /[^\w./-]/u.test(name) ? `'//${host}/${name.replace(/'/gu, `'\\''`)}'` : `//${host}/${name}`;
    return {
      macos: url,
      // Windows speaks SMB on port 445 only; .local works where NetBIOS (turned off here) would not.
      windows: port === 445 ? `\\\\${host}\\${name}` : null,
      windowsByIp: port === 445 && ips[0] ? `\\\\${ips[0]}\\${name}` : null,
      linux: url,
      smbclient: `smbclient ${quoted}${port === 445 ? '' : ` -p ${port}`} -U ${user}`,
    };
  }

  // ---- changes ----

  async create(input: Record<string, unknown>): Promise<ShareView> {
    return this.serialized(async () => {
      const shares = this.config.data.shares;
      const name = checkShareName(input.name, shares.map((s) => s.name));
      if (!name.ok) throw badRequest(name.error, { field: 'name' });
      const description = checkShareDescription(input.description);
      if (!description.ok) throw badRequest(description.error, { field: 'description' });
      const network = optionalBoolean(input.network, 'network', true);
      const readOnly = optionalBoolean(input.readOnly, 'readOnly', false);
      const agents = agentAccess(input.agents, 'none');
      let path: string;
      let managed: boolean;
      let madeFolder = false;
      if (input.path !== undefined && input.path !== null && input.path !== '') {
        path = await this.checkFolder(input.path);
        managed = false;
        const same = shares.find((s) => s.path === path);
        if (same) throw conflict(`The share "${same.name}" already shares ${path}.`);
      } else {
        path = join(managedSharesDir(this.dataDir), name.value);
        managed = true;
        const same = shares.find((s) => s.path === path);
        if (same) throw conflict(`The share "${same.name}" already uses the folder ${path}.`);
        // A folder left by a removed share of the same name is taken up again, files and all.
        madeFolder = !(await isDirectory(path));
        if (madeFolder) await mkdir(path, { mode: 0o775 });
      }
      const share: Share = {
        name: name.value,
        description: description.value,
        path,
        managed,
        network,
        readOnly,
        agents,
        watchedBy: [],
        createdAt: new Date().toISOString(),
      };
      try {
        await this.commit([...shares, share]);
      } catch (err) {
        if (madeFolder) await rmdir(path).catch(() => undefined);
        throw err;
      }
      this.log.info(`share "${share.name}" created at ${share.path}${share.network ? '' : ' (not on the network)'}`);
      await this.watchShare(share);
      return this.view(share);
    });
  }

  async update(currentName: string, input: Record<string, unknown>): Promise<ShareView> {
    return this.serialized(async () => {
      const share = this.get(currentName);
      const shares = this.config.data.shares;
      const next: Share = { ...share };
      if (input.name !== undefined && input.name !== share.name) {
        const name = checkShareName(input.name, shares.map((s) => s.name), share.name);
        if (!name.ok) throw badRequest(name.error, { field: 'name' });
        next.name = name.value;
      }
      if (input.description !== undefined) {
        const d = checkShareDescription(input.description);
        if (!d.ok) throw badRequest(d.error, { field: 'description' });
        next.description = d.value;
      }
      next.network = optionalBoolean(input.network, 'network', share.network);
      next.readOnly = optionalBoolean(input.readOnly, 'readOnly', share.readOnly);
      next.agents = agentAccess(input.agents, share.agents);
      if (input.path !== undefined && input.path !== share.path) throw badRequest('A share’s folder cannot be changed; make a new share for the other folder.', { field: 'path' });

      const renamed = next.name !== share.name;
      let movedFrom: string | null = null;
      if (renamed && share.managed) {
        next.path = join(managedSharesDir(this.dataDir), next.name);
        const caseOnly = next.path.toLowerCase() === share.path.toLowerCase();
        if (!caseOnly && (await exists(next.path))) {
          throw conflict(`A folder named "${next.name}" is already in ${managedSharesDir(this.dataDir)}; move it away or pick another name.`);
        }
      }
      const list = shares.map((s) => (s.name === share.name ? next : s));
      const install = await this.samba.prepare(this.identity(), this.sambaShares(list));
      if (renamed && share.managed && (await exists(share.path))) {
        await this.watcher.remove(share.name);
        await rename(share.path, next.path); // one rename: the files move with the folder, atomically
        movedFrom = share.path;
      }
      try {
        await this.config.update((c) => {
          c.shares = list;
        });
      } catch (err) {
        if (movedFrom) await rename(next.path, movedFrom).catch(() => undefined);
        throw err;
      }
      await this.installSamba(install, list);
      if (renamed) {
        this.missing.delete(share.name);
        this.usage.forget(share.name);
        await this.watcher.remove(share.name);
        this.log.info(`share "${share.name}" renamed to "${next.name}"${movedFrom ? ` (folder now ${next.path})` : ''}`);
      }
      await this.watchShare(next);
      this.emitShares();
      return this.view(next);
    });
  }

  async remove(name: string, input: Record<string, unknown>): Promise<void> {
    return this.serialized(async () => {
      const share = this.get(name);
      const deleteFiles = optionalBoolean(input.deleteFiles, 'deleteFiles', false);
      if (deleteFiles) {
        if (!share.managed) {
          throw badRequest(`Hearth did not create the folder ${share.path}, so it never deletes its files. Remove the share without deleting files.`, { field: 'deleteFiles' });
        }
        if (input.confirm !== share.name) {
          throw badRequest(`To delete the files too, type the share's name exactly ("${share.name}") as confirmation.`, { field: 'confirm' });
        }
      }
      const list = this.config.data.shares.filter((s) => s.name !== share.name);
      await this.commit(list);
      await this.watcher.remove(share.name);
      this.usage.forget(share.name);
      this.missing.delete(share.name);
      if (deleteFiles && this.isManagedFolder(share.path)) {
        await rm(share.path, { recursive: true, force: true });
        this.log.info(`share "${share.name}" removed and its folder ${share.path} deleted`);
      } else {
        this.log.info(`share "${share.name}" removed; its files stay in ${share.path}`);
      }
      this.emitShares();
    });
  }

  /** Set the SMB password of the owner's SMB login (stdin to pdbedit, or smbpasswd for the system passdb; never stored by Hearth). */
  async setSmbPassword(password: unknown): Promise<void> {
    if (typeof password !== 'string') throw badRequest('Give the new SMB password.', { field: 'password' });
    if (password.length < MIN_SMB_PASSWORD || password.length > MAX_SMB_PASSWORD) {
      throw badRequest(`The SMB password must be ${MIN_SMB_PASSWORD} to ${MAX_SMB_PASSWORD} characters long.`, { field: 'password' });
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/u.test(password)) throw badRequest('The SMB password cannot contain line breaks or other control characters.', { field: 'password' });
    const owner = this.config.data.auth.owner;
    if (!owner) throw conflict('Set up the owner account first; the SMB login is the owner’s name.');
    if (this.samba.mode === 'off') throw conflict('SMB is turned off on this box (HEARTH_SMB=off), so there is no SMB password to set.');
    if (!this.samba.installed) throw new Problem(503, 'Samba is not installed', INSTALL_HINT);
    await this.serialized(async () => {
      try {
        await this.samba.setPassword(password);
      } catch (err) {
        throw new Problem(500, 'SMB password not set', (err as Error).message);
      }
      await this.config.update((c) => {
        c.smb = { username: owner.username, passwordSetAt: new Date().toISOString() };
      });
      this.log.info(`SMB password set for ${owner.username}`);
    });
    this.emitShares();
  }

  // ---- helpers ----

  private async checkFolder(input: unknown): Promise<string> {
    try {
      return await checkExistingFolder(input, this.dataDir);
    } catch (err) {
      if (err instanceof ShareLocationError) throw badRequest(err.message, { field: err.field });
      throw err;
    }
  }

  /** testparm the new conf, then write config.json, then install the conf and reload smbd. */
  private async commit(list: Share[]): Promise<void> {
    const install = await this.samba.prepare(this.identity(), this.sambaShares(list));
    await this.config.update((c) => {
      c.shares = list;
    });
    await this.installSamba(install, list);
    this.emitShares();
  }

  private async installSamba(install: () => Promise<void>, list: Share[]): Promise<void> {
    try {
      await install();
      await this.samba.setWanted(this.smbWanted(list));
    } catch (err) {
      // config.json already holds the change; smb.conf catches up at the next change or restart.
      this.log.error(`Samba did not take the new configuration: ${(err as Error).message}`);
    }
  }

  private isManagedFolder(path: string): boolean {
    const rel = relative(managedSharesDir(this.dataDir), path);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.includes('/');
  }

  private async watchShare(share: Share): Promise<void> {
    if (!this.started || this.missing.has(share.name)) return;
    try {
      await this.watcher.add(share.name, share.path);
      void this.usage.measure(share.name, share.path).catch(() => undefined);
    } catch (err) {
      this.log.warn(`cannot watch share "${share.name}": ${(err as Error).message}`);
    }
  }

  /** Folders that vanished (a USB disk pulled) are reported, and taken up again when they return. */
  checkFolders(): Promise<void> {
    // The timer and a request may ask at once: one look at the disks serves both.
    this.folderCheck ??= this.lookAtFolders().finally(() => {
      this.folderCheck = null;
    });
    return this.folderCheck;
  }

  private async lookAtFolders(): Promise<void> {
    let changed = false;
    for (const s of this.config.data.shares) {
      const present = await isDirectory(s.path);
      const wasMissing = this.missing.has(s.name);
      if (!present && !wasMissing) {
        const problem = `The folder ${s.path} is not there any more${s.managed ? '' : ' (was a disk unplugged?)'}. Put it back, or remove the share.`;
        this.missing.set(s.name, problem);
        this.log.warn(`share "${s.name}": ${problem}`);
        await this.watcher.remove(s.name);
        changed = true;
      } else if (present && wasMissing) {
        this.missing.delete(s.name);
        this.log.info(`share "${s.name}": the folder ${s.path} is back`);
        await this.watchShare(s);
        changed = true;
      }
    }
    if (changed) this.emitShares();
  }

  private emitShares(): void {
    if (this.listenerCount('shares') > 0) this.emit('shares', { shares: this.list(), smb: this.smbView() });
    this.emit('changed');
  }

  routes(): Router {
    return shareRoutes(this);
  }
}

function optionalBoolean(v: unknown, field: string, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw badRequest(`${field} must be true or false.`, { field });
  return v;
}

function agentAccess(v: unknown, fallback: ShareAgentAccess): ShareAgentAccess {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string' || !(SHARE_AGENT_ACCESS as readonly string[]).includes(v)) {
    throw badRequest(`agents must be one of ${SHARE_AGENT_ACCESS.join(', ')}.`, { field: 'agents' });
  }
  return v as ShareAgentAccess;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
