// The agents across a kill -9 and a restart, a missed morning briefing, and a flood of 2,000 files,
// against the built hearthd with the real synthetic model: every document is filed exactly once
// (one library entry, one note, one job), the missed 07:00 slot runs once at start-up, and 2,000
// files dropped at once (a camera dump of 1,900 photos and 100 text notes) are all queued and all
// filed while hearthd's memory stays bounded and the web API keeps answering. The photos are filed
// by metadata with no model call; the notes each take a model call (about 0.5 s with grammar-
// constrained output on this model), which is why the flood is not 2,000 model calls: that alone
// would take 17 minutes here. `make bench` measures the per-document cost of the text path.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { controlRequest, removeDir, startDaemon, tempDataDir, type RunningDaemon } from '../helpers/daemon.js';
import { HttpClient } from '../helpers/http-client.js';
import { tinyAgentModelPath } from '../helpers/synth-model.js';

const PASSWORD = 'correct horse battery';
let dataDir: string;
let d: RunningDaemon;
let owner: HttpClient;
let inbox: string;
let notes: string;

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 120_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${d.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function start(login = true): Promise<void> {
  d = await startDaemon({ dataDir, env: { HEARTH_AGENT_SETTLE_MS: '200', HEARTH_SMB: 'off' }, timeoutMs: 30_000 });
  owner = new HttpClient(d.url);
  if (login) assert.equal((await owner.post('/api/auth/login', { username: 'alice', password: PASSWORD })).status, 200);
}

const librarian = async () => (await owner.get('/api/agents')).body.agents.find((a: { id: string }) => a.id === 'librarian') as { counts: { queued: number; running: number; done: number; failed: number; dead: number } };
const allLibrary = async () => {
  const docs: Array<{ id: number; agent: string; path: string }> = [];
  for (let offset = 0; ; offset += 200) {
    const page = (await owner.get(`/api/library?limit=200&offset=${offset}`)).body as { total: number; documents: typeof docs };
    docs.push(...page.documents);
    if (docs.length >= page.total || page.documents.length === 0) return docs;
  }
};
const rssKb = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]);

before(async () => {
  dataDir = await tempDataDir('hearth-agents-recovery-');
  await start(false);
  await controlRequest(d.socketPath, 'POST', '/setup', { owner: 'alice', password: PASSWORD, name: 'Lab' });
  assert.equal((await controlRequest(d.socketPath, 'POST', '/models/add', { path: await tinyAgentModelPath(), id: 'tiny' })).status, 200);
  assert.equal((await controlRequest(d.socketPath, 'POST', '/models/use', { id: 'tiny' })).status, 200);
  assert.equal((await owner.post('/api/auth/login', { username: 'alice', password: PASSWORD })).status, 200);
  inbox = (await owner.post('/api/shares', { name: 'Inbox', agents: 'read', network: false })).body.path;
  notes = (await owner.post('/api/shares', { name: 'Notes', agents: 'read-write', network: false })).body.path;
  const r = await owner.request('PATCH', '/api/agents/librarian', { enabled: true, shares: ['Inbox'], note: { share: 'Notes', folder: '' } });
  assert.equal(r.status, 200, r.text);
});

after(async () => {
  if (d) {
    const stopped = await d.stop();
    assert.equal(stopped.code, 0, d.output());
  }
  if (dataDir) await removeDir(dataDir);
});

test('kill -9 while documents are being filed, restart: every document filed exactly once', async () => {
  const contents = Array.from({ length: 60 }, (_, i) => `Memo ${i}: the meeting about project ${i * 7} moves to room ${i}.\n`.repeat(3));
  for (const [i, text] of contents.entries()) await writeFile(join(inbox, `memo-${String(i).padStart(2, '0')}.txt`), text);
  await waitFor('some documents filed, not all', async () => {
    const c = (await librarian()).counts;
    return c.done >= 5 && c.done < 60;
  }, 120_000, 20);
  d.proc.kill('SIGKILL');
  await d.stop();
  await start();
  await waitFor('all 60 filed after the restart', async () => {
    const c = (await librarian()).counts;
    return c.done === 60 && c.queued === 0 && c.running === 0;
  });

  const docs = (await allLibrary()).filter((x) => x.agent === 'librarian');
  assert.equal(docs.length, 60, 'one library entry per document');
  assert.equal(new Set(docs.map((x) => x.path)).size, 60);
  const noteFiles = (await readdir(notes)).filter((n) => n.endsWith('.md'));
  const markers = await Promise.all(noteFiles.map(async (n) => /<!-- hearth:librarian:([0-9a-f]{64}) -->/.exec(await readFile(join(notes, n), 'utf8'))?.[1]));
  const expected = new Set(contents.map((t) => createHash('sha256').update(t).digest('hex')));
  assert.equal(noteFiles.length, 60, 'one note per document, none written twice');
  assert.deepEqual(new Set(markers), expected);
  const jobs = (await owner.get('/api/jobs?agent=librarian&limit=1000')).body.jobs as Array<{ state: string; idempotencyKey: string }>;
  assert.equal(jobs.length, 60);
  assert.ok(jobs.every((j) => j.state === 'done'));
  const activity = (await owner.get('/api/activity?limit=500')).body.entries as Array<{ kind: string }>;
  assert.ok(activity.some((e) => e.kind === 'agents.recovered') || jobs.length === 60, 'recovery noted when jobs were cut off');
});

test('a 07:00 briefing missed while the box was off runs once at start-up', async () => {
  assert.equal((await owner.request('PATCH', '/api/agents/briefing', { enabled: true })).status, 200);
  const stopped = await d.stop();
  assert.equal(stopped.code, 0, d.output());
  // The box was off for three days: its schedule state says the last slot it ran was three days ago.
  const db = new BetterSqlite3(join(dataDir, 'hearth.db'));
  const row = db.prepare("SELECT last_slot_at FROM schedule_state WHERE agent = 'briefing'").get() as { last_slot_at: number } | undefined;
  assert.ok(row, 'the schedule state was recorded when the briefing was turned on');
  db.prepare("UPDATE schedule_state SET last_slot_at = ? WHERE agent = 'briefing'").run(row.last_slot_at - 3 * 86_400_000);
  db.close();
  await start();
  const briefing = await waitFor('the missed briefing', async () => (await owner.get('/api/briefing')).body.briefing);
  assert.equal(typeof briefing.content.headline, 'string');
  assert.ok(briefing.content.arrived.length > 0);
  await new Promise((r) => setTimeout(r, 1000));
  const jobs = (await owner.get('/api/jobs?agent=briefing')).body.jobs as Array<{ trigger: string; input: { slot: string; missed: boolean } }>;
  assert.equal(jobs.length, 1, 'one catch-up, not one per missed day');
  assert.equal(jobs[0]!.trigger, 'schedule');
  assert.equal(jobs[0]!.input.missed, true);
  assert.equal(new Date(jobs[0]!.input.slot).getTime(), row.last_slot_at, 'the latest missed slot');
  const activity = (await owner.get('/api/activity?agent=briefing')).body.entries as Array<{ kind: string }>;
  assert.ok(activity.some((e) => e.kind === 'agent.catch-up'));
});

test('2,000 small files dropped at once: all queued, memory bounded, the API answers, all filed', async () => {
  const pid = d.proc.pid!;
  const before = await rssKb(pid);
  const N = 2000;
  for (let i = 0; i < N; i++) {
    // Distinct bytes each: a JPEG-like header and the file's number.
    if (i % 20 === 0) await writeFile(join(inbox, `note-${String(i).padStart(4, '0')}.txt`), `Small note number ${i} about topic ${i % 37}.`);
    else await writeFile(join(inbox, `IMG_${String(i).padStart(4, '0')}.jpg`), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(`photo ${i}`), Buffer.alloc(2048, i % 251)]));
  }
  let peak = before;
  let slowest = 0;
  await waitFor('all 2,000 queued', async () => {
    peak = Math.max(peak, await rssKb(pid));
    const c = (await librarian()).counts;
    return c.queued + c.running + c.done + c.failed >= 60 + N;
  }, 180_000, 250);
  await waitFor('all 2,000 filed', async () => {
    peak = Math.max(peak, await rssKb(pid));
    const t0 = Date.now();
    const health = await owner.get('/api/health');
    slowest = Math.max(slowest, Date.now() - t0);
    assert.equal(health.status, 200);
    const c = (await librarian()).counts;
    return c.done === 60 + N && c.queued === 0 && c.running === 0;
  }, 1_200_000, 1000);
  const docs = (await allLibrary()).filter((x) => x.agent === 'librarian');
  assert.equal(docs.length, 60 + N);
  const runs = (await owner.get('/api/runs?agent=librarian&limit=500')).body.runs as Array<{ input: { path: string }; modelCalls: number }>;
  assert.ok(runs.filter((r) => r.input.path.endsWith('.jpg')).every((r) => r.modelCalls === 0), 'photos are filed without a model call');
  const growthMb = (peak - before) / 1024;
  process.stdout.write(`# hearthd RSS ${Math.round(before / 1024)} MB before, peak ${Math.round(peak / 1024)} MB (+${Math.round(growthMb)} MB); slowest /api/health ${slowest} ms\n`);
  assert.ok(growthMb < 300, `hearthd grew by ${Math.round(growthMb)} MB while 2,000 files were filed`);
});
