// Run by test/integration/store-crash.test.ts: works the real hearth.db as fast as it can until it is killed.
// Every line it prints is written after the transaction it reports has committed.
import { writeSync } from 'node:fs';
import { HearthDatabase } from '../../appliance/src/store/store.js';
import { JobQueue } from '../../appliance/src/agents/job-queue.js';
import { createLogger } from '../../appliance/src/log.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: store-worker.ts <data dir>');
const store = new HearthDatabase(dataDir, createLogger('store-worker', 'error'));
store.open();
const queue = new JobQueue(store, { baseDelayMs: 1, maxDelayMs: 4, maxAttempts: 1000 });
const say = (line: string) => writeSync(1, line + '\n');
const agents = ['librarian', 'briefing', 'custom'];
say('ready');
for (let i = 0; ; i++) {
  // Keys repeat often, so enqueueing the same work again is exercised all the time.
  const key = `sha256:${Math.floor(Math.random() * (i + 40))}`;
  const agent = agents[i % agents.length]!;
  const { job } = queue.enqueue(agent, 'folder', { path: `Inbox/${key}.txt`, i }, key);
  say(`enq ${job.id} ${agent} ${key}`);
  if (Math.random() < 0.3) continue; // leave some queued
  const claimed = queue.claim();
  if (!claimed) continue;
  if (Math.random() < 0.15) {
    queue.fail(claimed.id, `attempt ${claimed.attempts} failed`);
    say(`fail ${claimed.id}`);
  } else {
    queue.complete(claimed.id);
    say(`done ${claimed.id}`);
  }
}
