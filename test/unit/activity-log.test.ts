import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HearthDatabase } from '../../appliance/src/store/store.js';
import { ActivityLog, type ActivityEntry } from '../../appliance/src/activity/activity-log.js';
import { createLogger } from '../../appliance/src/log.js';

const log = createLogger('test', 'error');

function setup(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-activity-'));
  const store = new HearthDatabase(dir, log);
  store.open();
  let now = Date.parse('2026-11-27T08:00:00Z');
  const clock = { get: () => now, advance: (ms: number) => (now += ms) };
  const activity = new ActivityLog(store, { now: clock.get });
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, activity, clock };
}

test('add stores an entry with its data and emits it', (t) => {
  const { activity } = setup(t);
  const seen: ActivityEntry[] = [];
  activity.on('entry', (e: ActivityEntry) => seen.push(e));
  const e = activity.add('file.filed', 'Filed "Mortgage offer"', { agent: 'librarian', data: { documentId: 3, tags: ['bank'] } });
  assert.deepEqual(e, {
    id: e.id,
    at: '2026-11-27T08:00:00.000Z',
    kind: 'file.filed',
    agent: 'librarian',
    message: 'Filed "Mortgage offer"',
    data: { documentId: 3, tags: ['bank'] },
  });
  assert.deepEqual(seen, [e]);
  const plain = activity.add('governor.pause', 'Agents paused: the box is hot');
  assert.equal(plain.agent, null);
  assert.equal(plain.data, null);
  assert.deepEqual(activity.list(), [plain, e], 'what is stored is what was emitted');
});

test('data that is not JSON is noted, never thrown; a long message is cut', (t) => {
  const { activity } = setup(t);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const e = activity.add('agent.failed', 'x'.repeat(5000), { data: cyclic });
  assert.deepEqual(e.data, { unserialisable: '[object Object]' });
  assert.ok(e.message.length <= 2000 && e.message.endsWith('…'));
  assert.deepEqual(activity.add('agent.run', 'n', { data: 10n }).data, { unserialisable: '10' });
});

test('list pages back newest first with before, and filters by agent', (t) => {
  const { activity, clock } = setup(t);
  const made: ActivityEntry[] = [];
  for (let i = 0; i < 12; i++) {
    made.push(activity.add('agent.run', `run ${i}`, { agent: i % 3 === 0 ? 'briefing' : 'librarian' }));
    clock.advance(1000);
  }
  const page1 = activity.list({ limit: 5 });
  assert.deepEqual(page1.map((e) => e.message), ['run 11', 'run 10', 'run 9', 'run 8', 'run 7']);
  const page2 = activity.list({ limit: 5, before: page1.at(-1)!.id });
  assert.deepEqual(page2.map((e) => e.message), ['run 6', 'run 5', 'run 4', 'run 3', 'run 2']);
  const page3 = activity.list({ limit: 5, before: page2.at(-1)!.id });
  assert.deepEqual(page3.map((e) => e.message), ['run 1', 'run 0']);
  assert.deepEqual(activity.list({ agent: 'briefing' }).map((e) => e.message), ['run 9', 'run 6', 'run 3', 'run 0']);
  assert.equal(activity.list().length, 12);
});

test('prune deletes entries older than an age', (t) => {
  const { activity, clock } = setup(t);
  activity.add('agent.run', 'old');
  clock.advance(10 * 86400_000);
  activity.add('agent.run', 'recent');
  clock.advance(86400_000);
  assert.equal(activity.prune(5 * 86400_000), 1);
  assert.deepEqual(activity.list().map((e) => e.message), ['recent']);
  assert.equal(activity.prune(5 * 86400_000), 0);
});
