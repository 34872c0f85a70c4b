import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { HearthDatabase } from '../../appliance/src/store/store.js';
import { DatabaseTooNewError, migrations, type StoreMigration } from '../../appliance/src/store/migrations.js';
import { JobQueue, JobTransitionError } from '../../appliance/src/agents/job-queue.js';
import { createLogger } from '../../appliance/src/log.js';

const log = createLogger('test', 'error');

function setup(t: { after: (fn: () => void) => void }, options: { maxAttempts?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-store-'));
  const store = new HearthDatabase(dir, log);
  store.open();
  let now = 1_000_000;
  const clock = { get: () => now, advance: (ms: number) => (now += ms) };
  const queue = new JobQueue(store, { baseDelayMs: 1000, maxDelayMs: 5000, now: clock.get, ...options });
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, store, queue, clock };
}

test('hearth.db opens in WAL with foreign keys, full sync and a busy timeout', (t) => {
  const { store } = setup(t);
  assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
  assert.equal(store.db.pragma('synchronous', { simple: true }), 2);
  assert.ok((store.db.pragma('busy_timeout', { simple: true }) as number) > 0);
  assert.equal(store.db.pragma('user_version', { simple: true }), migrations.length);
});

test('a job goes queued -> running -> done, and nothing is claimed twice', (t) => {
  const { queue } = setup(t);
  const { job, created } = queue.enqueue('librarian', 'folder', { path: 'Inbox/a.txt' }, 'sha256:aa');
  assert.equal(created, true);
  assert.equal(job.state, 'queued');
  assert.deepEqual(job.input, { path: 'Inbox/a.txt' });
  const claimed = queue.claim();
  assert.equal(claimed?.id, job.id);
  assert.equal(claimed?.state, 'running');
  assert.equal(claimed?.attempts, 1);
  assert.equal(queue.claim(), null, 'a running job is not claimed again');
  const done = queue.complete(job.id);
  assert.equal(done.state, 'done');
  assert.ok(done.finishedAt);
  assert.throws(() => queue.complete(job.id), JobTransitionError);
  assert.throws(() => queue.fail(job.id, 'x'), JobTransitionError);
  assert.throws(() => queue.complete(9999), /does not exist/);
  assert.deepEqual(queue.counts(), { queued: 0, running: 0, done: 1, failed: 0, dead: 0 });
});

test('the same agent and key give the existing job back, never a duplicate; another agent gets its own', (t) => {
  const { queue } = setup(t);
  const a = queue.enqueue('librarian', 'folder', { n: 1 }, 'sha256:bb');
  const again = queue.enqueue('librarian', 'manual', { n: 2 }, 'sha256:bb');
  assert.equal(again.created, false);
  assert.equal(again.job.id, a.job.id);
  assert.deepEqual(again.job.input, { n: 1 }, 'the first input is kept');
  queue.complete(queue.claim()!.id);
  assert.equal(queue.enqueue('librarian', 'folder', { n: 3 }, 'sha256:bb').job.state, 'done', 'done work is not queued again');
  const other = queue.enqueue('briefing', 'schedule', {}, 'sha256:bb');
  assert.equal(other.created, true);
  assert.notEqual(other.job.id, a.job.id);
  assert.equal(queue.list().length, 2);
});

test('jobs are claimed oldest due first; a job not yet due waits', (t) => {
  const { queue } = setup(t);
  const first = queue.enqueue('a', 'folder', 1, 'k1').job;
  const second = queue.enqueue('a', 'folder', 2, 'k2').job;
  assert.equal(queue.claim()?.id, first.id);
  assert.equal(queue.claim()?.id, second.id);
  assert.equal(queue.claim(), null);
});

test('a failure retries after an exponential back-off, then the job is dead with its error kept', (t) => {
  const { queue, clock } = setup(t, { maxAttempts: 4 });
  const { job } = queue.enqueue('librarian', 'folder', {}, 'k');
  const delays: number[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    const claimed = queue.claim()!;
    assert.equal(claimed.attempts, attempt);
    const failed = queue.fail(job.id, new Error(`boom ${attempt}`));
    assert.equal(failed.state, 'failed');
    assert.equal(failed.lastError, `boom ${attempt}`);
    const delay = failed.nextAttemptAt - clock.get();
    delays.push(delay);
    clock.advance(delay - 1);
    assert.equal(queue.claim(), null, 'not before the back-off is over');
    clock.advance(1);
  }
  assert.deepEqual(delays, [1000, 2000, 4000]);
  assert.equal(queue.backoffMs(10), 5000, 'capped');
  queue.claim();
  const dead = queue.fail(job.id, 'gave up');
  assert.equal(dead.state, 'dead');
  assert.equal(dead.attempts, 4);
  assert.equal(dead.lastError, 'gave up');
  assert.ok(dead.finishedAt);
  clock.advance(1e9);
  assert.equal(queue.claim(), null, 'a dead job never runs again');
  assert.equal(queue.list({ state: 'dead' })[0]?.id, job.id);
});

test('a failed job that is due goes back to queued when the queue is next claimed', (t) => {
  const { queue, clock } = setup(t);
  const { job } = queue.enqueue('a', 'manual', {}, 'k');
  queue.claim();
  queue.fail(job.id, 'x');
  clock.advance(1000);
  const again = queue.claim();
  assert.equal(again?.id, job.id);
  assert.equal(again?.attempts, 2);
  assert.equal(queue.complete(job.id).state, 'done');
});

test('jobs found running at start-up are queued again; one on its last attempt is dead', (t) => {
  const { queue } = setup(t, { maxAttempts: 3 });
  const a = queue.enqueue('a', 'folder', {}, 'a').job;
  const b = queue.enqueue('a', 'folder', {}, 'b', { maxAttempts: 1 }).job;
  queue.claim();
  queue.claim();
  assert.deepEqual(queue.requeueInterrupted(), { requeued: 1, dead: 1 });
  assert.equal(queue.get(a.id)?.state, 'queued');
  assert.match(queue.get(a.id)?.lastError ?? '', /interrupted/);
  assert.equal(queue.get(b.id)?.state, 'dead');
  assert.equal(queue.claim()?.id, a.id);
  assert.deepEqual(queue.requeueInterrupted(), { requeued: 1, dead: 0 });
});

test('the queue keeps its jobs across a close and reopen of the database', (t) => {
  const { store, queue } = setup(t);
  const { job } = queue.enqueue('a', 'folder', { x: 1 }, 'k');
  store.close();
  store.open();
  assert.equal(queue.get(job.id)?.state, 'queued');
  assert.equal(queue.claim()?.id, job.id);
});

test('migrations: a fresh database gets every version; an existing one only the missing ones, each in its own transaction', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ran: number[] = [];
  const step = (version: number, sql: string): StoreMigration => ({ version, description: `v${version}`, up: (db) => (ran.push(version), db.exec(sql)) });
  const v1 = [step(1, 'CREATE TABLE a (x)')];
  const first = new HearthDatabase(dir, log, { migrations: v1 });
  first.open();
  first.db.prepare('INSERT INTO a VALUES (42)').run();
  first.close();
  assert.deepEqual(ran, [1]);

  const broken = [...v1, step(2, 'CREATE TABLE b (y)'), step(3, 'CREATE TABLE a (oops)')];
  assert.throws(() => new HearthDatabase(dir, log, { migrations: broken }).open(), /already exists/);
  const raw = new BetterSqlite3(join(dir, 'hearth.db'));
  assert.equal(raw.pragma('user_version', { simple: true }), 2, 'version 2 was kept, the failed 3 left no trace');
  raw.close();

  ran.length = 0;
  const fixed = [...v1, step(2, 'CREATE TABLE b (y)'), step(3, 'CREATE TABLE c (z)')];
  const second = new HearthDatabase(dir, log, { migrations: fixed });
  second.open();
  t.after(() => second.close());
  assert.deepEqual(ran, [3]);
  assert.deepEqual(second.db.prepare('SELECT x FROM a').get(), { x: 42 }, 'data kept');
});

test('reopening an up-to-date hearth.db runs no migration and keeps its jobs', (t) => {
  const { store, queue } = setup(t);
  queue.enqueue('a', 'folder', {}, 'k');
  store.close();
  store.open();
  assert.equal(store.db.pragma('user_version', { simple: true }), migrations.length);
  assert.equal(queue.list().length, 1);
});

test('a database from a newer Hearth is refused with a clear message and left untouched', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const raw = new BetterSqlite3(join(dir, 'hearth.db'));
  raw.pragma(`user_version = ${migrations.length + 5}`);
  raw.close();
  const store = new HearthDatabase(dir, log);
  assert.throws(() => store.open(), DatabaseTooNewError);
  assert.throws(() => store.open(), /written by a newer Hearth \(schema version \d+; this build knows up to \d+\)/);
  assert.equal(store.isOpen, false);
  const after = new BetterSqlite3(join(dir, 'hearth.db'));
  assert.equal(after.pragma('user_version', { simple: true }), migrations.length + 5);
  after.close();
});

test('paused agents are skipped in order; release hands a job back untried; retry and abandon', (t) => {
  const { queue, clock } = setup(t, { maxAttempts: 1 });
  const a = queue.enqueue('librarian', 'folder', {}, 'a').job;
  const b = queue.enqueue('briefing', 'schedule', {}, 'b').job;
  assert.equal(queue.claim(['librarian'])?.id, b.id, 'the paused agent waits; the other runs');
  assert.equal(queue.claim(['librarian']), null);
  assert.equal(queue.nextDueAt(['librarian']), null);
  assert.equal(queue.nextDueAt(), a.nextAttemptAt);
  const claimed = queue.claim()!;
  assert.equal(claimed.id, a.id);
  const released = queue.release(a.id);
  assert.equal(released.state, 'queued');
  assert.equal(released.attempts, 0, 'a hand-back is not an attempt');
  queue.claim();
  const dead = queue.fail(a.id, new Error('boom'));
  assert.equal(dead.state, 'dead');
  assert.throws(() => queue.retry(b.id), JobTransitionError, 'only failed or dead jobs are retried');
  clock.advance(10);
  const again = queue.retry(a.id);
  assert.equal(again.state, 'queued');
  assert.equal(again.attempts, 0);
  queue.enqueue('custom-x', 'folder', {}, 'c');
  assert.equal(queue.abandon('custom-x', 'the agent was removed'), 1);
  assert.equal(queue.list({ agent: 'custom-x' })[0]!.state, 'dead');
  assert.equal(queue.list({ agent: 'custom-x' })[0]!.lastError, 'the agent was removed');
});
