// make bench: hearthd's idle cost, start-up time and the wizard's first-load weight.
// Prints a table and writes bench-results.json. Measures only; asserts nothing.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { controlRequest, freePort, HEARTHD, removeDir, ROOT, startDaemon, tempDataDir } from '../helpers/daemon.js';

const IDLE_SECONDS = Number(process.env.HEARTH_BENCH_IDLE_SECONDS ?? 60);
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}
const figures: Figure[] = [];

function procStat(pid: number): { cpuSeconds: number; rssBytes: number; ctxSwitches: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const num = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return {
    cpuSeconds: (utime + stime) / CLK_TCK,
    rssBytes: num('VmRSS') * 1024,
    ctxSwitches: num('voluntary_ctxt_switches') + num('nonvoluntary_ctxt_switches'),
  };
}

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

async function idleCost(): Promise<void> {
  const { ns, cleanup } = makeNamespace();
  const dir = await tempDataDir('hearth-bench-');
  try {
    const d = await startDaemon({ dataDir: dir, host: '0.0.0.0', prefix: ['ip', 'netns', 'exec', ns], env: { HEARTH_LOG_LEVEL: 'warn' } });
    const status = await controlRequest<{ pid: number }>(d.socketPath, 'GET', '/status');
    const pid = status.body.pid;
    await new Promise((r) => setTimeout(r, 3000)); // let start-up work settle
    const a = procStat(pid);
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const b = procStat(pid);
    figures.push({ name: 'idle resident memory', value: +(b.rssBytes / 2 ** 20).toFixed(1), unit: 'MiB', note: 'VmRSS, no model, unclaimed' });
    figures.push({ name: `idle CPU over ${IDLE_SECONDS} s`, value: +(b.cpuSeconds - a.cpuSeconds).toFixed(3), unit: 's', note: 'utime+stime from /proc' });
    figures.push({ name: 'idle context switches', value: +((b.ctxSwitches - a.ctxSwitches) / IDLE_SECONDS).toFixed(2), unit: '/s', note: `over the same ${IDLE_SECONDS} s` });
    await d.stop();
  } finally {
    cleanup();
    await removeDir(dir);
  }
}

async function startupTime(): Promise<void> {
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
  figures.push({ name: 'start to /api/health (median of 5)', value: Math.round(samples[2]!), unit: 'ms', note: `first boot of a fresh data dir; min ${Math.round(samples[0]!)} ms` });
}

async function wizardWeight(): Promise<void> {
  if (!existsSync('/usr/bin/chromium')) throw new Error('the UI weight needs Debian’s chromium (apt-get install chromium)');
  const d = await startDaemon({ env: { HEARTH_LOG_LEVEL: 'warn' } });
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
    figures.push({ name: 'wizard first load, transferred', value: +(encoded / 1024).toFixed(1), unit: 'KiB', note: `${requests} requests, gzip, headers included` });
  } finally {
    await browser.close();
    await d.stop();
    await removeDir(d.dataDir);
  }
}

await startupTime();
await wizardWeight();
await idleCost();

const width = Math.max(...figures.map((f) => f.name.length));
console.log(`\n${'figure'.padEnd(width)}  ${'value'.padStart(10)}  unit  note`);
console.log(`${'-'.repeat(width)}  ${'-'.repeat(10)}  ----  ----`);
for (const f of figures) console.log(`${f.name.padEnd(width)}  ${String(f.value).padStart(10)}  ${f.unit.padEnd(4)}  ${f.note ?? ''}`);
const out = join(ROOT, 'bench-results.json');
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, idleSeconds: IDLE_SECONDS, figures }, null, 2) + '\n');
console.log(`\nwritten to ${out}`);
