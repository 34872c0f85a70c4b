import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { access, constants, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { userInfo } from 'node:os';
import { writeFileAtomic } from '../config/atomic-file.js';
import type { Logger } from '../log.js';
import { MAC_VFS_MODULES, generateSambaConfig, generateUsernameMap, sambaPaths, type SambaConfigInput, type SambaPaths, type SambaShareEntry } from './samba-config.js';

export type SmbMode = 'private' | 'system' | 'off';
export type SmbState = 'running' | 'stopped' | 'not-installed' | 'error' | 'off';

export interface SambaServerOptions {
  mode: SmbMode;
  dataDir: string;
  port: number;
  /** The HTTP host: smbd binds to it too unless it is a wildcard. */
  host: string;
  log: Logger;
  /** Look for the Samba programs in this folder only (tests use an empty one to see 'not-installed'). */
  programDir?: string;
}

export interface SambaIdentity {
  netbiosName: string;
  serverString: string;
  smbUser: string;
}

export const INSTALL_HINT = 'Samba is not installed on this box, so shares are not on the network. Install it with `apt-get install samba` and restart hearthd.';

const BINARY_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];
const RESTART_BACKOFF_MS = [1_000, 2_000, 5_000, 10_000, 30_000];
/** A run this long counts as healthy: the next crash restarts quickly again. */
const HEALTHY_RUN_MS = 60_000;
const LISTEN_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;
const SAMBA_LOG_LEVEL = 1;

const isWildcard = (host: string): boolean => host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';

/** The full path of a Samba program, looked up in PATH and the usual system folders, or null. */
export async function findProgram(name: string, only?: string): Promise<string | null> {
  const dirs = only ? [only] : [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...BINARY_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a program without a shell; `input` goes to stdin (how passwords reach smbpasswd, never argv). */
export function runProgram(file: string, args: string[], input = '', timeoutMs = 15_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + err.message });
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    p.stdin.on('error', () => undefined); // a program that exits early must not crash hearthd with EPIPE
    p.stdin.end(input);
  });
}

/** Is something accepting TCP connections on host:port? */
function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1_000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Samba for Hearth's shares. In 'private' mode it runs its own smbd in the foreground with every
 * state directory under <data>/samba, supervises it (restart with back-off) and relays its log;
 * in 'system' mode it writes the shares' conf for the system smbd to include and asks that smbd to
 * reload. Every new conf is checked with `testparm -s` before it replaces the old one; reloads
 * never restart smbd, so open connections stay. Missing Samba is a state, never a crash.
 * Emits 'state' when the state changes.
 */
export class SambaServer extends EventEmitter {
  readonly paths: SambaPaths;
  readonly unixUser = userInfo().username;
  private programs: { smbd: string | null; testparm: string | null; smbcontrol: string | null; smbpasswd: string | null; pdbedit: string | null } = {
    smbd: null,
    testparm: null,
    smbcontrol: null,
    smbpasswd: null,
    pdbedit: null,
  };
  private vfsObjects: string[] = [];
  private child: ChildProcess | null = null;
  private childStartedAt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private restarts = 0;
  private stopping = false;
  private wanted = false;
  private _state: SmbState = 'stopped';
  private _problem: string | null = null;
  private recentLog: string[] = [];
  private work: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SambaServerOptions) {
    super();
    this.paths = sambaPaths(options.dataDir);
    if (options.mode === 'off') this._state = 'off';
  }

  get mode(): SmbMode {
    return this.options.mode;
  }
  get port(): number {
    return this.options.port;
  }
  get state(): SmbState {
    return this._state;
  }
  get problem(): string | null {
    return this._problem;
  }
  get pid(): number | null {
    return this.child?.pid ?? null;
  }
  get installed(): boolean {
    return this.programs.smbd !== null && this.programs.testparm !== null && this.passwordProgram !== null;
  }
  /** pdbedit for the private passdb, smbpasswd for the system's (see setPassword). */
  private get passwordProgram(): string | null {
    return this.options.mode === 'private' ? this.programs.pdbedit : this.programs.smbpasswd;
  }

  /** Find the programs and modules; make the state folders. Never throws over Samba itself. */
  async init(): Promise<void> {
    if (this.options.mode === 'off') return;
    const [smbd, testparm, smbcontrol, smbpasswd, pdbedit] = await Promise.all(['smbd', 'testparm', 'smbcontrol', 'smbpasswd', 'pdbedit'].map((p) => findProgram(p, this.options.programDir)));
    this.programs = { smbd: smbd ?? null, testparm: testparm ?? null, smbcontrol: smbcontrol ?? null, smbpasswd: smbpasswd ?? null, pdbedit: pdbedit ?? null };
    const p = this.paths;
    await mkdir(p.root, { recursive: true, mode: 0o700 });
    for (const dir of [p.state, p.cache, p.lock, p.pid, p.ncalrpc, p.log]) await mkdir(dir, { recursive: true, mode: 0o755 });
    await mkdir(p.private, { recursive: true, mode: 0o700 });
    if (!this.installed) {
      this.setState('not-installed', INSTALL_HINT);
      this.options.log.warn(INSTALL_HINT);
      return;
    }
    this.vfsObjects = await this.availableVfsModules();
    if (this.vfsObjects.length < MAC_VFS_MODULES.length) {
      this.options.log.info(`Samba's macOS modules are not all installed (found: ${this.vfsObjects.join(', ') || 'none'}); Macs still connect, without Finder metadata. Install samba-vfs-modules for them.`);
    }
  }

  /** catia, fruit and streams_xattr, where this Samba has them (Debian ships them in samba-vfs-modules). */
  private async availableVfsModules(): Promise<string[]> {
    const r = await runProgram(this.programs.smbd!, ['-b']);
    const dir = /MODULESDIR:\s*(\S+)/u.exec(r.stdout)?.[1];
    if (!dir) return [];
    const found: string[] = [];
    for (const m of MAC_VFS_MODULES) {
      if (await access(join(dir, 'vfs', `${m}.so`)).then(() => true, () => false)) found.push(m);
    }
    // fruit needs streams_xattr to keep Mac metadata; catia alone is harmless.
    return found.includes('fruit') && !found.includes('streams_xattr') ? found.filter((m) => m !== 'fruit') : found;
  }

  configFor(identity: SambaIdentity, shares: SambaShareEntry[]): SambaConfigInput {
    const bind = isWildcard(this.options.host) ? null : this.options.host === 'localhost' ? '127.0.0.1' : this.options.host;
    return {
      mode: this.options.mode === 'system' ? 'system' : 'private',
      paths: this.paths,
      netbiosName: identity.netbiosName,
      serverString: identity.serverString,
      port: this.options.port,
      bindAddress: bind,
      smbUser: identity.smbUser,
      unixUser: this.unixUser,
      vfsObjects: this.vfsObjects,
      logLevel: SAMBA_LOG_LEVEL,
      shares,
    };
  }

  /**
   * Check a conf without installing it: written to a temp file and run through `testparm -s`.
   * Returns a function that installs it (rename over smb.conf, then reload), or throws with testparm's complaint.
   */
  async prepare(identity: SambaIdentity, shares: SambaShareEntry[]): Promise<() => Promise<void>> {
    if (this.options.mode === 'off' || !this.installed) return async () => undefined;
    const input = this.configFor(identity, shares);
    const text = generateSambaConfig(input);
    const tmp = `${this.paths.conf}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    await writeFile(tmp, text, { mode: 0o644 });
    try {
      const r = await runProgram(this.programs.testparm!, ['-s', tmp]);
      const complaints = r.stderr.split('\n').filter((l) => /unknown parameter|error|invalid|failed/iu.test(l) && !/weak crypto/iu.test(l));
      if (r.code !== 0 || complaints.length > 0) {
        throw new Error(`testparm refused the generated Samba configuration: ${(complaints.join('; ') || r.stderr.trim() || `exit ${r.code}`).slice(0, 500)}`);
      }
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    return async () => {
      await writeFileAtomic(this.paths.usernameMap, generateUsernameMap(this.unixUser, identity.smbUser), { mode: 0o644 });
      await rename(tmp, this.paths.conf);
      await this.reload();
    };
  }

  /** Write and install the conf in one go (start-up, identity changes). */
  async apply(identity: SambaIdentity, shares: SambaShareEntry[]): Promise<void> {
    const install = await this.prepare(identity, shares);
    await install();
  }

  /** smbd should run (private mode) while at least one share is on the network; started or stopped to match. */
  async setWanted(wanted: boolean): Promise<void> {
    if (this.options.mode !== 'private' || !this.installed) return;
    this.wanted = wanted;
    const run = this.work.then(() => (wanted ? this.ensureRunning() : this.stopChild()));
    this.work = run.catch(() => undefined);
    await run;
  }

  /** Tell smbd about the new conf without restarting it: smbcontrol reload-config, else SIGHUP. */
  async reload(): Promise<void> {
    if (this.options.mode === 'system') {
      if (!this.programs.smbcontrol) return;
      const r = await runProgram(this.programs.smbcontrol, ['smbd', 'reload-config']);
      if (r.code !== 0) this.options.log.warn(`the system smbd did not take the new configuration: ${r.stderr.trim() || r.stdout.trim()}`);
      return;
    }
    if (!this.child || this._state !== 'running') return; // it reads the new conf when it starts
    if (this.programs.smbcontrol) {
      // `all` reaches smbd and the RPC helpers it started (they serve the share list), all on this conf's lock dir.
      const r = await runProgram(this.programs.smbcontrol, ['-s', this.paths.conf, 'all', 'reload-config']);
      if (r.code === 0) return;
      this.options.log.debug(`smbcontrol reload-config failed (${r.stderr.trim()}); sending SIGHUP`);
    }
    this.child.kill('SIGHUP');
  }

  /** Set the SMB password of the daemon's user in Samba's passdb; the password goes through stdin only. */
  async setPassword(password: string): Promise<void> {
    if (this.options.mode === 'off') throw new Error('SMB is turned off on this box (HEARTH_SMB=off).');
    const program = this.passwordProgram;
    if (!program) throw new Error(INSTALL_HINT);
    // Private passdb: pdbedit, because smbpasswd refuses -a and -c to anyone but root, and hearthd is
    // not root on the box; pdbedit -a adds the user or sets the password of an existing one.
    // The system's passdb is root's to write, through smbpasswd.
    const args = this.options.mode === 'private' ? ['-s', this.paths.conf, '-t', '-a', '-u', this.unixUser] : ['-s', '-a', this.unixUser];
    const r = await runProgram(program, args, `${password}\n${password}\n`);
    if (r.code !== 0) throw new Error(`Samba did not accept the password: ${(r.stderr.trim() || r.stdout.trim()).split('\n').pop()}`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.work;
    await this.stopChild();
  }

  private setState(state: SmbState, problem: string | null): void {
    if (state === this._state && problem === this._problem) return;
    this._state = state;
    this._problem = problem;
    this.emit('state', state);
  }

  private async ensureRunning(): Promise<void> {
    if (this.stopping || this.child) return;
    await this.stopLeftovers();
    const smbd = this.programs.smbd!;
    // A group of its own: smbd signals its whole process group when it exits, which must not reach hearthd.
    const child = spawn(smbd, ['-F', '--no-process-group', '--debug-stdout', '-s', this.paths.conf], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.childStartedAt = Date.now();
    this.recentLog = [];
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        const text = line.trim();
        if (!text) continue;
        this.recentLog = [...this.recentLog.slice(-19), text];
        if (/error|fail|denied|refused/iu.test(text)) this.options.log.info(`smbd: ${text}`);
        else this.options.log.debug(`smbd: ${text}`);
      }
    };
    child.stdout!.on('data', relay);
    child.stderr!.on('data', relay);
    child.once('error', (err) => this.options.log.warn(`smbd could not start: ${err.message}`));
    child.once('exit', (code, signal) => this.onChildExit(child, code, signal));
    this.options.log.info(`starting smbd on port ${this.options.port} (pid ${child.pid})`);
    const deadline = Date.now() + LISTEN_TIMEOUT_MS;
    const probeHost = isWildcard(this.options.host) || this.options.host === 'localhost' ? '127.0.0.1' : this.options.host;
    while (this.child === child && Date.now() < deadline) {
      if (await portAnswers(probeHost, this.options.port)) {
        this.setState('running', null);
        return;
      }
      await sleep(100);
    }
    if (this.child === child) {
      this.setState('error', `smbd started but does not answer on port ${this.options.port}. ${this.recentLog.slice(-3).join(' ')}`);
    }
  }

  private onChildExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = null;
    if (this.stopping || !this.wanted) {
      this.setState('stopped', null);
      return;
    }
    const ranMs = Date.now() - this.childStartedAt;
    if (ranMs > HEALTHY_RUN_MS) this.restarts = 0;
    const delay = RESTART_BACKOFF_MS[Math.min(this.restarts, RESTART_BACKOFF_MS.length - 1)]!;
    this.restarts++;
    const why = this.recentLog.slice(-2).join(' ');
    const message = `smbd stopped (${signal ?? `exit ${code}`}); restarting in ${delay / 1000} s.${why ? ` Its last words: ${why}` : ''}`;
    this.options.log.warn(message);
    this.setState('error', message);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping || !this.wanted) return;
      this.work = this.work.then(() => this.ensureRunning()).catch((err) => this.options.log.warn(`smbd restart failed: ${(err as Error).message}`));
    }, delay);
  }

  private async stopChild(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (child) {
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(killer);
      this.options.log.info('smbd stopped');
    }
    await this.stopLeftovers();
    if (this._state !== 'not-installed' && this._state !== 'off') this.setState('stopped', null);
  }

  /**
   * smbd starts samba-dcerpcd in a session of its own, which outlives smbd; and a hearthd that was
   * killed leaves its smbd behind. Both are found by the pid files in our pid dir and ended,
   * but only when their command line names our conf.
   */
  private async stopLeftovers(): Promise<void> {
    for (const name of ['samba-dcerpcd', 'smbd']) {
      const pid = Number((await readFile(join(this.paths.pid, `${name}.pid`), 'utf8').catch(() => '')).trim());
      if (!Number.isInteger(pid) || pid <= 1 || pid === this.child?.pid) continue;
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (!cmdline.includes(this.paths.conf)) continue;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        continue;
      }
      for (let i = 0; i < 30; i++) {
        if (!(await readFile(`/proc/${pid}/cmdline`, 'utf8').then((c) => c.length > 0, () => false))) break;
        await sleep(100);
      }
    }
  }
}
