// A small private LAN for the mDNS tests: network namespaces on one bridge, plus a
// Debian avahi-daemon (with its own D-Bus system bus) in one of them. Nothing here
// touches the host's interfaces: every address lives inside namespaces made here.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const LAB_PREFIX = 'hearthnet-';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion within a time bound; never rejects (a timeout gives code null). */
export function run(cmd: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: options.timeoutMs ?? 10_000, killSignal: 'SIGKILL', env: options.env ?? process.env, cwd: options.cwd, maxBuffer: 4 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Like run(), but a non-zero exit is an error that says what failed. */
export async function must(cmd: string, args: string[], timeoutMs = 10_000): Promise<string> {
  const r = await run(cmd, args, { timeoutMs });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code ?? 'timeout'}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Poll `probe` until it returns something other than undefined, for at most `timeoutMs`.
 * On timeout the error names what was awaited and the last thing seen.
 */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 300): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  let last: unknown = '(nothing yet)';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return { value: v, ms: Date.now() - t0 };
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${typeof last === 'string' ? last : JSON.stringify(last)}`);
    await sleep(everyMs);
  }
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why this machine cannot run the network tests, or [] when it can. */
export function missingPrerequisites(): string[] {
  const problems: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    problems.push('the mDNS test must run as root (it creates network namespaces, veth pairs and a bridge)');
  }
  const tools: Record<string, string> = {
    ip: 'iproute2',
    bridge: 'iproute2',
    'avahi-daemon': 'avahi-daemon',
    'avahi-browse': 'avahi-utils',
    'avahi-resolve': 'avahi-utils',
    'dbus-daemon': 'dbus',
    mount: 'mount',
  };
  for (const [cmd, pkg] of Object.entries(tools)) {
    if (!onPath(cmd)) problems.push(`"${cmd}" is not installed (Debian package ${pkg}; make test-deps installs it)`);
  }
  return problems;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Namespaces and temp dirs left by an earlier run of this test that crashed (its pid is gone). */
export async function removeStaleLabs(): Promise<string[]> {
  const removed: string[] = [];
  const list = await run('ip', ['netns', 'list']);
  for (const line of list.stdout.split('\n')) {
    const ns = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${LAB_PREFIX}(\\d+)-`).exec(ns);
    if (!m || alive(Number(m[1]))) continue;
    // Processes that earlier run started inside its namespace (hearthd, avahi, dbus) die with it.
    await deleteNamespace(ns);
    removed.push(ns);
  }
  for (const entry of readdirSync(tmpdir())) {
    const m = new RegExp(`^${LAB_PREFIX}(\\d+)-`).exec(entry);
    if (m && !alive(Number(m[1]))) {
      rmSync(join(tmpdir(), entry), { recursive: true, force: true });
      removed.push(join(tmpdir(), entry));
    }
  }
  return removed;
}

export interface AvahiEntry {
  event: '+' | '-' | '=';
  iface: string;
  name: string;
  type: string;
  host?: string;
  address?: string;
  port?: number;
  txt?: Record<string, string>;
}

/** avahi-browse -p prints names with \DDD (decimal byte) and \c escapes. */
export function unescapeAvahi(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; ) {
    if (s[i] === '\\' && /^\d{3}$/.test(s.slice(i + 1, i + 4))) {
      bytes.push(Number(s.slice(i + 1, i + 4)));
      i += 4;
    } else if (s[i] === '\\' && i + 1 < s.length) {
      bytes.push(...Buffer.from(s[i + 1]!, 'utf8'));
      i += 2;
    } else {
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function parseAvahiBrowse(stdout: string): AvahiEntry[] {
  const out: AvahiEntry[] = [];
  for (const line of stdout.split('\n')) {
    const f = line.split(';');
    if (f.length < 6 || !['+', '-', '='].includes(f[0]!)) continue;
    const entry: AvahiEntry = { event: f[0] as AvahiEntry['event'], iface: f[1]!, name: unescapeAvahi(f[3]!), type: f[4]! };
    if (f[0] === '=' && f.length >= 10) {
      entry.host = f[6];
      entry.address = f[7];
      entry.port = Number(f[8]);
      entry.txt = {};
      for (const m of f.slice(9).join(';').matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
        const kv = unescapeAvahi(m[1]!);
        const eq = kv.indexOf('=');
        if (eq > 0) entry.txt[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
    }
    out.push(entry);
  }
  return out;
}

/** Namespaces on one bridge, each with an `eth0`; avahi-daemon + dbus-daemon in the browser namespace. */
export class Lab {
  readonly run = `${LAB_PREFIX}${process.pid}`;
  readonly bridgeNs = `${this.run}-br`;
  dir = '';
  private readonly namespaces: string[] = [];
  private readonly daemons: Array<{ name: string; proc: ChildProcess; log: () => string }> = [];
  busAddress = '';

  ns(name: string): string {
    return `${this.run}-${name}`;
  }

  async create(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), `${this.run}-`));
    await this.addNamespace(this.bridgeNs);
    await must('ip', ['-n', this.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    await must('ip', ['-n', this.bridgeNs, 'link', 'set', 'br0', 'up']);
  }

  private async addNamespace(ns: string): Promise<void> {
    await must('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // No duplicate address detection: link-local IPv6 is usable at once, so AAAA answers are stable.
    await must('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0']);
  }

  /** A host on the LAN: namespace `name` with eth0 plugged into the bridge, optionally with an IPv4 address. */
  async addHost(name: string, cidr?: string): Promise<string> {
    const ns = this.ns(name);
    await this.addNamespace(ns);
    const port = `p-${name}`;
    await must('ip', ['-n', this.bridgeNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await must('ip', ['-n', this.bridgeNs, 'link', 'set', port, 'master', 'br0', 'up']);
    await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    if (cidr) await this.addAddress(name, cidr);
    return ns;
  }

  addAddress(name: string, cidr: string): Promise<string> {
    return must('ip', ['-n', this.ns(name), 'addr', 'add', cidr, 'dev', 'eth0']);
  }

  /** Bridge port isolation: isolated hosts cannot hear each other, only the non-isolated ones (the browser). */
  isolate(name: string, on: boolean): Promise<string> {
    return must('bridge', ['-n', this.bridgeNs, 'link', 'set', 'dev', `p-${name}`, 'isolated', on ? 'on' : 'off']);
  }

  delAddress(name: string, cidr: string): Promise<string> {
    return must('ip', ['-n', this.ns(name), 'addr', 'del', cidr, 'dev', 'eth0']);
  }

  async linkLocal6(name: string): Promise<string | undefined> {
    const out = await must('ip', ['-n', this.ns(name), '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'link']);
    return /inet6 (fe80::[0-9a-f:]+)\//.exec(out)?.[1];
  }

  /** A private system bus (its own socket under the temp dir) and avahi-daemon in namespace `name`. */
  async startAvahi(name: string): Promise<void> {
    const ns = this.ns(name);
    const sock = join(this.dir, 'bus.sock');
    this.busAddress = `unix:path=${sock}`;
    const busConf = join(this.dir, 'bus.conf');
    await writeFile(
      busConf,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>${this.busAddress}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`,
    );
    const avahiConf = join(this.dir, 'avahi-daemon.conf');
    await writeFile(
      avahiConf,
      `[server]
host-name=browser-${process.pid}
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
`,
    );
    this.spawnDaemon('dbus-daemon', ['ip', 'netns', 'exec', ns, 'dbus-daemon', `--config-file=${busConf}`, '--nofork', '--nopidfile']);
    await waitFor('the test D-Bus socket', 5_000, async () => {
      accessSync(sock);
      return true;
    }, 50);
    // `ip netns exec` gives the command its own mount namespace: a tmpfs on /run keeps avahi's pid
    // file and socket away from the host's /run (and from an avahi-daemon the host may run).
    const avahi = this.spawnDaemon(
      'avahi-daemon',
      ['ip', 'netns', 'exec', ns, 'sh', '-c', `mount -t tmpfs tmpfs /run && exec avahi-daemon --no-chroot --no-drop-root --no-rlimits -f '${avahiConf}'`],
      { DBUS_SYSTEM_BUS_ADDRESS: this.busAddress },
    );
    await waitFor('avahi-daemon to start', 10_000, async () => {
      if (avahi.proc.exitCode !== null) throw new Error(`avahi-daemon exited: ${avahi.log()}`);
      return /Server startup complete/.test(avahi.log()) ? true : undefined;
    }, 100);
  }

  private spawnDaemon(name: string, argv: string[], env: Record<string, string> = {}) {
    const proc = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const d = { name, proc, log: () => out };
    this.daemons.push(d);
    return d;
  }

  daemonLogs(): string {
    return this.daemons.map((d) => `--- ${d.name} ---\n${d.log()}`).join('\n');
  }

  /** avahi-browse -rptk <type> from the browser namespace (answers from avahi's cache plus a fresh query). */
  async avahiBrowse(name: string, type: string): Promise<AvahiEntry[]> {
    const r = await run('ip', ['netns', 'exec', this.ns(name), 'avahi-browse', '-rptk', type], {
      timeoutMs: 8_000,
      env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: this.busAddress },
    });
    if (r.code !== 0) throw new Error(`avahi-browse failed (${r.code ?? 'timeout'}): ${r.stderr.trim()}`);
    return parseAvahiBrowse(r.stdout);
  }

  /** avahi-resolve -n: the address avahi finds for a host name, or undefined. */
  async avahiResolve(name: string, host: string, family: '4' | '6' = '4'): Promise<string | undefined> {
    const r = await run('ip', ['netns', 'exec', this.ns(name), 'avahi-resolve', `-${family}`, '-n', host], {
      timeoutMs: 4_000,
      env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: this.busAddress },
    });
    if (r.code !== 0) throw new Error(`avahi-resolve ${host}: ${(r.stderr || r.stdout).trim() || `exit ${r.code ?? 'timeout'}`}`);
    const m = new RegExp(`^${host.replace(/\./g, '\\.')}\\s+(\\S+)`, 'mi').exec(r.stdout);
    return m?.[1];
  }

  /** Stop what we started (by pid), delete our namespaces and the temp dir; never throws. */
  async destroy(): Promise<void> {
    for (const d of this.daemons.reverse()) {
      if (d.proc.exitCode === null && d.proc.signalCode === null) {
        const exited = new Promise((r) => d.proc.once('exit', r));
        d.proc.kill('SIGTERM');
        await Promise.race([exited, sleep(2_000)]);
        if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
      }
    }
    for (const ns of this.namespaces.reverse()) {
      // Anything still inside (e.g. a hearthd a failed test left running) goes with the namespace.
      await deleteNamespace(ns);
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Kill whatever still runs inside a namespace, then delete it. */
async function deleteNamespace(ns: string): Promise<void> {
  const pids = await run('ip', ['netns', 'pids', ns]);
  for (const pid of pids.stdout.split('\n').map(Number).filter((p) => p > 1)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await run('ip', ['netns', 'del', ns]);
}
