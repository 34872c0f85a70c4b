// Agents figures, against the built hearthd with the demo synthetic model and the librarian watching Inbox:
// the pipeline's own cost per document (a run's time outside model calls) over 1,000 small text documents,
// the time from a file's last write to its job starting on an idle queue (the product's settle time
// included), and what 2,000 queued jobs cost hearthd while the agents are paused (memory, CPU, wake-ups).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { controlRequest, removeDir, startDaemon, tempDataDir } from '../helpers/daemon.js';
import { HttpClient } from '../helpers/http-client.js';
import { tinyAgentModelPath } from '../helpers/synth-model.js';
import { childPids, killOnExit, median, MiB, percentile, procStat, progress, round, sleep, threadCtxSwitches, type Figures, type ProcReading } from './figures.js';

const PASSWORD = 'bench-password-1';
/** The product's settle time (DEFAULT_SETTLE_MS in appliance/src/agents/triggers/folder-trigger.ts): hearthd runs with it. */
const SETTLE_MS = 2000;
const DOCUMENTS = 1000;
const LATENCY_FILES = 10;
const QUEUED = 2000;
const QUEUE_SETTLE_SECONDS = 5;
const QUEUE_WINDOW_SECONDS = 30;

interface Counts {
  queued: number;
  running: number;
  done: number;
  failed: number;
  dead: number;
}
interface Run {
  id: number;
  outcome: string;
  modelCalls: number;
  modelMs: number;
  durationMs: number | null;
  startedAt: string;
  finishedAt: string | null;
  input: { share: string; path: string; sha256: string };
}

const TOPICS = ['invoice', 'school trip', 'boiler service', 'insurance renewal', 'dentist', 'council tax', 'book club', 'car repair', 'garden plan', 'holiday'];
const PEOPLE = ['Alice Brown', 'Bob Smith', 'Carol Jones', 'Dan Evans', 'Erin Clarke', 'Frank Hall', 'Grace Lee'];
const ORGS = ['Acme Ltd', 'Green Energy', 'City Council', 'Northside Garage', 'Hill School', 'Bright Dental'];

/** A small letter, a few hundred bytes, distinct for every `i`. */
function letter(i: number): string {
  const topic = TOPICS[i % TOPICS.length]!;
  const person = PEOPLE[(i * 3) % PEOPLE.length]!;
  const org = ORGS[(i * 7) % ORGS.length]!;
  const day = String((i % 28) + 1).padStart(2, '0');
  const month = String((i % 12) + 1).padStart(2, '0');
  return [
    `Dear ${person},`,
    `this is about your ${topic} (reference ${org.slice(0, 3).toUpperCase()}-${10000 + i}).`,
    `The amount of ${(12.5 + i * 1.37).toFixed(2)} EUR is due on 2027-${month}-${day}. Please reply to ${org} before then,`,
    `or call us on 0${1000000 + i * 17} if anything is unclear. Document ${i} of the ${topic} file.`,
    `Kind regards, ${org}`,
    '',
  ].join('\n');
}

export async function agentFigures(figures: Figures): Promise<void> {
  progress('agents: hearthd with the demo model, the librarian watching Inbox (product settle time, no SMB)');
  const dataDir = await tempDataDir('hearth-bench-agents-');
  // '' = the product default, even if HEARTH_AGENT_SETTLE_MS is set in this environment.
  const d = await startDaemon({ dataDir, env: { HEARTH_LOG_LEVEL: 'warn', HEARTH_SMB: 'off', HEARTH_AGENT_SETTLE_MS: '' }, timeoutMs: 30_000 });
  const forget = killOnExit(d.proc, dataDir);
  try {
    const setup = await controlRequest(d.socketPath, 'POST', '/setup', { owner: 'bench', password: PASSWORD, name: 'Bench' });
    if (setup.status !== 200) throw new Error(`setting up the owner failed: ${JSON.stringify(setup.body)}`);
    for (const [path, body] of [
      ['/models/add', { path: await tinyAgentModelPath(), id: 'demo' }],
      ['/models/use', { id: 'demo' }],
    ] as const) {
      const r = await controlRequest(d.socketPath, 'POST', path, body);
      if (r.status !== 200) throw new Error(`${path} failed: ${JSON.stringify(r.body)}`);
    }
    const owner = new HttpClient(d.url);
    const login = await owner.post('/api/auth/login', { username: 'bench', password: PASSWORD });
    if (login.status !== 200) throw new Error(`signing in failed: ${login.status}`);
    const share = await owner.post('/api/shares', { name: 'Inbox', agents: 'read', network: false });
    if (share.status !== 201) throw new Error(`creating Inbox failed: ${share.text}`);
    const inbox = share.body.path as string;
    const on = await owner.request('PATCH', '/api/agents/librarian', { enabled: true, shares: ['Inbox'] });
    if (on.status !== 200) throw new Error(`turning the librarian on failed: ${on.text}`);

    const overview = async () => {
      const r = await owner.get('/api/agents');
      if (r.status !== 200) throw new Error(`/api/agents answered ${r.status}`);
      return r.body as { concurrency: number; agents: Array<{ id: string; counts: Counts }> };
    };
    const counts = async () => (await overview()).agents.find((a) => a.id === 'librarian')!.counts;
    /** Every run of the librarian, newest first, paged with before=<id>. */
    const allRuns = async () => {
      const runs: Run[] = [];
      for (let before: number | null = null; ; ) {
        const page = (await owner.get(`/api/runs?agent=librarian&limit=500${before ? `&before=${before}` : ''}`)).body.runs as Run[];
        runs.push(...page);
        if (page.length < 500) return runs;
        before = page[page.length - 1]!.id;
      }
    };
    const waitUntil = async (what: string, fn: () => Promise<boolean>, timeoutMs: number, everyMs: number, report?: () => Promise<string>) => {
      const deadline = Date.now() + timeoutMs;
      let nextReport = Date.now() + 10_000;
      while (!(await fn())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${d.output().slice(-3000)}`);
        if (report && Date.now() >= nextReport) {
          progress(await report());
          nextReport += 10_000;
        }
        await sleep(everyMs);
      }
    };

    // 1. Throughput and the pipeline's own cost: 1,000 small text documents at once, concurrency 1.
    const concurrency = (await overview()).concurrency;
    progress(`agents: ${DOCUMENTS} small text documents into Inbox (concurrency ${concurrency}; about 0.5 s of model time each, ~9 min)`);
    const names = Array.from({ length: DOCUMENTS }, (_, i) => `letter-${String(i).padStart(4, '0')}.txt`);
    let bytes = 0;
    const dropped = Date.now();
    for (const [i, name] of names.entries()) {
      const text = letter(i);
      bytes += Buffer.byteLength(text);
      await writeFile(join(inbox, name), text);
    }
    await waitUntil(
      `all ${DOCUMENTS} documents filed`,
      async () => {
        const c = await counts();
        if (c.failed + c.dead > 0) throw new Error(`librarian jobs failed: ${JSON.stringify(c)}\n${d.output().slice(-3000)}`);
        return c.done >= DOCUMENTS && c.queued === 0 && c.running === 0;
      },
      3_600_000,
      500,
      async () => {
        const c = await counts();
        return `agents: ${c.done}/${DOCUMENTS} done, ${c.queued} queued, ${c.running} running`;
      },
    );
    const wanted = new Set(names);
    const runs = (await allRuns()).filter((r) => wanted.has(r.input.path) && r.outcome === 'done');
    if (runs.length !== DOCUMENTS) throw new Error(`expected ${DOCUMENTS} finished runs, found ${runs.length}`);
    const overhead = runs.map((r) => r.durationMs! - r.modelMs);
    const modelMs = runs.map((r) => r.modelMs);
    const mean = overhead.reduce((a, b) => a + b, 0) / overhead.length;
    const lastFinished = Math.max(...runs.map((r) => Date.parse(r.finishedAt!)));
    const wallSeconds = (lastFinished - dropped) / 1000;
    const calls = runs.reduce((a, r) => a + r.modelCalls, 0);
    figures.add(
      'agents: pipeline overhead per document (excl. model)',
      round(median(overhead), 1),
      'ms',
      `median of ${DOCUMENTS} small text documents (${Math.round(bytes / DOCUMENTS)} B avg): run duration minus model time; mean ${round(mean, 1)} ms, p95 ${round(percentile(overhead, 95), 1)} ms`,
    );
    figures.add('agents: model time per document', round(median(modelMs), 0), 'ms', `median of ${DOCUMENTS}, demo synthetic model, grammar-constrained; ${round(calls / DOCUMENTS, 2)} model calls per document; p95 ${round(percentile(modelMs, 95), 0)} ms`);
    figures.add(
      `agents: ${DOCUMENTS.toLocaleString('en')} documents filed, wall time`,
      round(wallSeconds, 1),
      's',
      `${round((DOCUMENTS / wallSeconds) * 60, 0)} documents per minute; concurrency ${concurrency} (the default); from the first write to the last run finished`,
    );

    // 2. Last write -> job start, one file at a time on an idle queue.
    progress(`agents: ${LATENCY_FILES} files one at a time, last write to job start (settle time ${SETTLE_MS} ms)`);
    const latency: number[] = [];
    for (let i = 0; i < LATENCY_FILES; i++) {
      const name = `latency-${i}.txt`;
      await writeFile(join(inbox, name), letter(DOCUMENTS + i));
      const written = Date.now();
      let run: Run | undefined;
      await waitUntil(`the run for ${name}`, async () => {
        run = ((await owner.get('/api/runs?agent=librarian&limit=5')).body.runs as Run[]).find((r) => r.input.path === name);
        return run !== undefined;
      }, 60_000, 20);
      latency.push(Date.parse(run!.startedAt) - written);
      // Idle again before the next file: its job must not wait behind this one.
      await waitUntil(`${name} filed`, async () => {
        const c = await counts();
        return c.queued === 0 && c.running === 0;
      }, 60_000, 50);
    }
    const fmt = (v: number) => `${Math.round(v)} ms`;
    figures.add(
      'agents: last write to job start',
      round(median(latency), 0),
      'ms',
      `median of ${LATENCY_FILES} on an idle queue; settle time ${SETTLE_MS} ms included (the product default); goal <= 1 s plus settle; min ${fmt(Math.min(...latency))}, max ${fmt(Math.max(...latency))}`,
    );
    figures.add('agents: last write to job start, less settle time', round(median(latency) - SETTLE_MS, 0), 'ms', `the same median minus the ${SETTLE_MS} ms settle time: hearthd's own delay (goal <= 1 s)`);

    // 3. 2,000 jobs queued while paused: memory, CPU, wake-ups.
    const paused = await owner.put('/api/agents/settings', { paused: true });
    if (paused.status !== 200) throw new Error(`pausing the agents failed: ${paused.text}`);
    const pid = d.proc.pid!;
    const pids = () => [pid, ...childPids(pid)];
    await sleep(2000);
    const rssBefore = pids().map((p) => procStat(p).rssBytes);
    progress(`agents: paused; ${QUEUED} small files (${QUEUED / 20} text notes, the rest JPEG-like) into Inbox`);
    for (let i = 0; i < QUEUED; i++) {
      if (i % 20 === 0) await writeFile(join(inbox, `note-${String(i).padStart(4, '0')}.txt`), `Small note number ${i} about topic ${i % 37}.`);
      else await writeFile(join(inbox, `IMG_${String(i).padStart(4, '0')}.jpg`), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(`photo ${i}`), Buffer.alloc(2048, i % 251)]));
    }
    await waitUntil(`${QUEUED} jobs queued`, async () => (await counts()).queued >= QUEUED, 600_000, 250, async () => `agents: ${(await counts()).queued}/${QUEUED} queued`);
    progress(`agents: ${QUEUED} queued; settling ${QUEUE_SETTLE_SECONDS} s, then watching hearthd for ${QUEUE_WINDOW_SECONDS} s`);
    await sleep(QUEUE_SETTLE_SECONDS * 1000);
    const watched = pids();
    const a = watched.map((p) => procStat(p));
    const aThreads = watched.map((p) => threadCtxSwitches(p));
    await sleep(QUEUE_WINDOW_SECONDS * 1000);
    const b = watched.map((p) => procStat(p));
    const bThreads = watched.map((p) => threadCtxSwitches(p));
    const stillQueued = (await counts()).queued;
    const sum = (xs: ProcReading[], key: keyof ProcReading) => xs.reduce((s, x) => s + x[key], 0);
    const split = (values: number[], unit: string) => `hearthd ${values[0]}${unit}${values.length > 1 ? `, model worker ${values.slice(1).join(' + ')}${unit}` : ''}`;
    const cpu = b.map((x, i) => (x.cpuSeconds - a[i]!.cpuSeconds) / QUEUE_WINDOW_SECONDS * 100);
    const wakes = b.map((x, i) => (x.ctxSwitches - a[i]!.ctxSwitches) / QUEUE_WINDOW_SECONDS);
    const threadWakes = bThreads.reduce((s, x, i) => s + (x - aThreads[i]!), 0) / QUEUE_WINDOW_SECONDS;
    const workerNote = watched.length > 1 ? 'hearthd and its model worker (demo model loaded)' : 'hearthd (no child process found)';
    figures.add(
      `agents: hearthd RSS with ${QUEUED.toLocaleString('en')} jobs queued`,
      MiB(sum(b, 'rssBytes')),
      'MB',
      `VmRSS of ${workerNote}: ${split(b.map((x) => MiB(x.rssBytes)), ' MB')}; ${MiB(rssBefore.reduce((s, x) => s + x, 0))} MB before the files; agents paused`,
    );
    figures.add(
      `agents: hearthd CPU with ${QUEUED.toLocaleString('en')} jobs queued, idle`,
      round(cpu.reduce((s, x) => s + x, 0), 2),
      '%',
      `of one core, utime+stime over ${QUEUE_WINDOW_SECONDS} s, ${QUEUE_SETTLE_SECONDS} s after the last was queued; ${split(cpu.map((x) => round(x, 2)), '%')}`,
    );
    figures.add(
      `agents: hearthd wake-ups with ${QUEUED.toLocaleString('en')} jobs queued, idle`,
      round(wakes.reduce((s, x) => s + x, 0), 2),
      '/s',
      `voluntary + involuntary context switches of the main threads (as the idle figure) over the same ${QUEUE_WINDOW_SECONDS} s; ${split(wakes.map((x) => round(x, 2)), '/s')}; all threads ${round(threadWakes, 1)}/s${stillQueued < QUEUED ? `; only ${stillQueued} still queued at the end` : ''}`,
    );
  } finally {
    await d.stop();
    forget();
    await removeDir(dataDir);
  }
}
