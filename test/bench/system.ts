// hearthd's own cost: idle CPU and memory, start-up time, the wizard's first-load weight.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { controlRequest, freePort, HEARTHD, removeDir, startDaemon, tempDataDir, type RunningDaemon } from '../helpers/daemon.js';
import { childPids, killOnExit, procStat, progress, threadCtxSwitches, type Figures, type ProcReading } from './figures.js';

/** A private network namespace with a veth, so the idle daemon runs its mDNS like on a LAN without touching this machine's network. */
function makeNamespace(): { ns: string; cleanup: () => void } {
  if (process.getuid?.() !== 0) throw new Error('make bench needs root: the idle daemon runs in its own network namespace (ip netns)');
  const ns = `hbench${process.pid}`;
  const peer = `hbenchp${process.pid}`;
  const run = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  run('netns', 'add', ns);
  run('netns', 'add', peer);
  run('link', 'add', `hb${process.pid}a`, 'type', 'veth', 'peer', 'name', `hb${process.pid}b`);
  run('link', 'set', `hb${process.pid}a`, 'netns', ns);
  run('link', 'set', `hb${process.pid}b`, 'netns', peer);
  run('-n', ns, 'addr', 'add', '10.99.0.1/24', 'dev', `hb${process.pid}a`);
  run('-n', peer, 'addr', 'add', '10.99.0.2/24', 'dev', `hb${process.pid}b`);
  for (const [n, dev] of [[ns, `hb${process.pid}a`], [peer, `hb${process.pid}b`]] as const) {
    run('-n', n, 'link', 'set', 'lo', 'up');
    run('-n', n, 'link', 'set', dev, 'up');
    run('-n', n, 'route', 'add', '224.0.0.0/4', 'dev', dev);
  }
  return {
    ns,
    cleanup: () => {
      for (const n of [ns, peer]) {
        try {
          run('netns', 'del', n);
        } catch {
          /* already gone */
        }
      }
    },
  };
}

export interface IdleWatch {
  /** hearthd's pid (from the control socket's /status) and its child processes when the window began. */
  pid: number;
  children: number[];
  /** /proc readings of hearthd at the start and the end of the window (ctxSwitches: the main thread's). */
  before: ProcReading;
  after: ProcReading;
  /** Context switches of all of hearthd's threads over the window. */
  threadCtxSwitches: number;
}

/**
 * hearthd left idle, the way the idle figures measure it: in its own network namespace (mDNS as on a LAN), `prepare`
 * run once it answers (e.g. claiming it), `settleSeconds` for start-up work, then /proc read before and after
 * `idleSeconds`. Stops hearthd and removes its data dir and the namespaces.
 */
export async function watchIdle(options: { idleSeconds: number; settleSeconds: number; env?: Record<string, string>; prepare?: (d: RunningDaemon) => Promise<void> }): Promise<IdleWatch> {
  const { ns, cleanup } = makeNamespace();
  process.once('exit', cleanup); // interrupted: no namespaces left behind
  const dir = await tempDataDir('hearth-bench-');
  try {
    const d = await startDaemon({ dataDir: dir, host: '0.0.0.0', prefix: ['ip', 'netns', 'exec', ns], env: { HEARTH_LOG_LEVEL: 'warn', ...options.env } });
    const forget = killOnExit(d.proc);
    try {
      const status = await controlRequest<{ pid: number }>(d.socketPath, 'GET', '/status');
      const pid = status.body.pid;
      await options.prepare?.(d);
      await new Promise((r) => setTimeout(r, options.settleSeconds * 1000)); // let start-up work settle
      const children = childPids(pid);
      const before = procStat(pid);
      const threadsBefore = threadCtxSwitches(pid);
      await new Promise((r) => setTimeout(r, options.idleSeconds * 1000));
      const after = procStat(pid);
      const threadsAfter = threadCtxSwitches(pid);
      return { pid, children, before, after, threadCtxSwitches: threadsAfter - threadsBefore };
    } finally {
      await d.stop();
      forget();
    }
  } finally {
    process.off('exit', cleanup);
    cleanup();
    await removeDir(dir);
  }
}

export async function idleCost(figures: Figures, idleSeconds: number): Promise<void> {
  progress(`idle cost: hearthd in its own network namespace, watched for ${idleSeconds} s`);
  const { before: a, after: b } = await watchIdle({ idleSeconds, settleSeconds: 3 });
  figures.add('idle resident memory', +(b.rssBytes / 2 ** 20).toFixed(1), 'MiB', 'VmRSS, no model, unclaimed');
  figures.add(`idle CPU over ${idleSeconds} s`, +(b.cpuSeconds - a.cpuSeconds).toFixed(3), 's', 'utime+stime from /proc');
  figures.add('idle context switches', +((b.ctxSwitches - a.ctxSwitches) / idleSeconds).toFixed(2), '/s', `over the same ${idleSeconds} s`);
}

export async function startupTime(figures: Figures): Promise<void> {
  progress('start-up time: 5 fresh starts');
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const dir = await tempDataDir('hearth-bench-');
    const port = await freePort();
    const t0 = performance.now();
    const p = spawn(process.execPath, [HEARTHD], {
      env: { ...process.env, HEARTH_DATA_DIR: dir, HEARTH_PORT: String(port), HEARTH_HOST: '127.0.0.1', HEARTH_LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/api/health`);
        if (r.ok) break;
      } catch {
        /* not yet */
      }
      if (performance.now() - t0 > 20_000) throw new Error('hearthd did not answer /api/health within 20 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    samples.push(performance.now() - t0);
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
    await removeDir(dir);
  }
  samples.sort((a, b) => a - b);
  figures.add('start to /api/health (median of 5)', Math.round(samples[2]!), 'ms', `first boot of a fresh data dir; min ${Math.round(samples[0]!)} ms`);
}

export async function wizardWeight(figures: Figures): Promise<void> {
  progress('wizard weight: first load in headless chromium');
  if (!existsSync('/usr/bin/chromium')) throw new Error('the UI weight needs Debian’s chromium (apt-get install chromium)');
  const d = await startDaemon({ env: { HEARTH_LOG_LEVEL: 'warn' } });
  const forget = killOnExit(d.proc);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    let encoded = 0;
    let requests = 0;
    cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => {
      encoded += e.encodedDataLength;
      requests++;
    });
    await page.goto(`${d.url}/`, { waitUntil: 'networkidle' });
    figures.add('wizard first load, transferred', +(encoded / 1024).toFixed(1), 'KiB', `${requests} requests, gzip, headers included`);
  } finally {
    await browser.close();
    await d.stop();
    forget();
    await removeDir(d.dataDir);
  }
}
