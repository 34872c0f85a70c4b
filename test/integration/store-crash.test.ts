import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { HearthDatabase } from '../../appliance/src/store/store.js';
import { JobQueue } from '../../appliance/src/agents/job-queue.js';
import { createLogger } from '../../appliance/src/log.js';
import { ROOT, removeDir, tempDataDir } from '../helpers/daemon.js';

const WORKER = join(ROOT, 'test/helpers/store-worker.ts');
const ROUNDS = 20;

interface Round {
  lines: string[];
  exited: Promise<void>;
  kill(): void;
}

function startWorker(dataDir: string): Promise<Round> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', WORKER, dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buffer = '';
    let stderr = '';
    const exited = new Promise<void>((r) => proc.on('exit', () => r()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!; // a line cut off by the kill is not an acknowledgement
      for (const line of parts) {
        if (line === 'ready') resolve({ lines, exited, kill: () => proc.kill('SIGKILL') });
        else lines.push(line);
      }
    });
    proc.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`store worker exited (${code ?? signal}): ${stderr}`));
    });
  });
}

// kill -9 of a process working the real hearth.db, at random moments, 20 times:
// the database is always whole, acknowledged work is never lost or duplicated, cut-off jobs run again.
test('kill -9 while jobs are enqueued, claimed and completed, 20 times: hearth.db stays whole and exact', async (t) => {
  const dir = await tempDataDir();
  t.after(() => removeDir(dir));
  const log = createLogger('test', 'error');
  const acknowledgedDone = new Set<number>();
  const acknowledgedJobs = new Map<number, string>();
  let interrupted = 0;

  for (let round = 0; round < ROUNDS; round++) {
    const worker = await startWorker(dir);
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 200));
    worker.kill();
    await worker.exited;
    for (const line of worker.lines) {
      const [what, id, agent, key] = line.split(' ');
      if (what === 'done') acknowledgedDone.add(Number(id));
      if (what === 'enq') acknowledgedJobs.set(Number(id), `${agent} ${key}`);
    }

    const store = new HearthDatabase(dir, log);
    store.open();
    try {
      const db = store.db;
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', `round ${round}: integrity`);
      assert.deepEqual(db.pragma('foreign_key_check'), []);
      const rows = db.prepare('SELECT id, agent, idempotency_key AS key, state, finished_at AS finishedAt FROM jobs').all() as {
        id: number;
        agent: string;
        key: string;
        state: string;
        finishedAt: number | null;
      }[];
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const id of acknowledgedDone) assert.equal(byId.get(id)?.state, 'done', `round ${round}: completed job ${id} kept as done`);
      for (const [id, agentKey] of acknowledgedJobs) {
        const row = byId.get(id);
        assert.equal(row && `${row.agent} ${row.key}`, agentKey, `round ${round}: enqueued job ${id} kept`);
      }
      const keys = rows.map((r) => `${r.agent} ${r.key}`);
      assert.equal(new Set(keys).size, keys.length, `round ${round}: one job per agent and key (none both done and queued)`);
      assert.deepEqual(rows.filter((r) => r.state === 'done' && r.finishedAt === null), [], `round ${round}: done jobs have a finish time`);

      const running = rows.filter((r) => r.state === 'running').map((r) => r.id);
      const queue = new JobQueue(store, { maxAttempts: 1000 });
      assert.deepEqual(queue.requeueInterrupted(), { requeued: running.length, dead: 0 }, `round ${round}: requeue`);
      assert.equal(queue.counts().running, 0);
      for (const id of running) assert.equal(queue.get(id)?.state, 'queued', `round ${round}: job ${id} queued again`);
      interrupted += running.length;
    } finally {
      store.close();
    }
  }
  assert.ok(acknowledgedDone.size > 0, 'the worker completed jobs between the kills');
  t.diagnostic(`${acknowledgedJobs.size} jobs enqueued, ${acknowledgedDone.size} completed, ${interrupted} cut off mid-run and requeued`);
});
