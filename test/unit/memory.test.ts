import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HearthDatabase } from '../../appliance/src/store/store.js';
import { AgentMemory, MAX_FACT_CHARS, normaliseFact } from '../../appliance/src/agents/memory/agent-memory.js';
import { createLogger } from '../../appliance/src/log.js';

const log = createLogger('test', 'error');

function setup(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-memory-'));
  const store = new HearthDatabase(dir, log);
  store.open();
  let now = Date.parse('2026-11-27T08:00:00Z');
  const clock = { get: () => now, advance: (ms: number) => (now += ms) };
  const memory = new AgentMemory(store, { now: clock.get });
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, memory, clock };
}

test('remember keeps a fact once per agent, whatever its whitespace', (t) => {
  const { memory, clock } = setup(t);
  assert.equal(memory.remember('librarian', 'Anna is the owner’s sister.', 'Letter from Anna'), true);
  clock.advance(1000);
  assert.equal(memory.remember('librarian', '  Anna is the owner’s\n  sister. '), false, 'the same fact with other whitespace');
  assert.equal(memory.remember('custom-1', 'Anna is the owner’s sister.'), true, 'another agent has its own memory');
  assert.equal(memory.remember('librarian', '   '), false, 'an empty fact is not kept');
  const facts = memory.list('librarian');
  assert.equal(facts.length, 1);
  assert.deepEqual(
    { agent: facts[0]!.agent, fact: facts[0]!.fact, source: facts[0]!.source, createdAt: facts[0]!.createdAt },
    { agent: 'librarian', fact: 'Anna is the owner’s sister.', source: 'Letter from Anna', createdAt: '2026-11-27T08:00:00.000Z' },
  );
  assert.equal(facts[0]!.usedAt, '2026-11-27T08:00:01.000Z', 'remembered again: counts as used');
  assert.equal(memory.list().length, 2);
});

test('a long fact is cut to 500 characters with an ellipsis, and the cut form dedupes', (t) => {
  const { memory } = setup(t);
  const long = 'word '.repeat(200);
  assert.equal(memory.remember('a', long), true);
  const [fact] = memory.list('a');
  assert.equal(fact!.fact.length <= MAX_FACT_CHARS, true);
  assert.ok(fact!.fact.endsWith('…'));
  assert.equal(memory.remember('a', long + ' more words after the cut'), false, 'same first 500 characters: the same fact');
  assert.equal(normaliseFact('a\t\tb\n c'), 'a b c');
});

test('list is newest first; forget deletes one fact', (t) => {
  const { memory, clock } = setup(t);
  memory.remember('a', 'first');
  clock.advance(1000);
  memory.remember('a', 'second');
  clock.advance(1000);
  memory.remember('a', 'third');
  const facts = memory.list('a');
  assert.deepEqual(facts.map((f) => f.fact), ['third', 'second', 'first']);
  assert.equal(memory.forget(facts[1]!.id), true);
  assert.equal(memory.forget(facts[1]!.id), false);
  assert.deepEqual(memory.list('a').map((f) => f.fact), ['third', 'first']);
});

test('forContext gives the most recently used or learned facts within the budget and marks them used', (t) => {
  const { memory, clock } = setup(t);
  memory.remember('a', 'old fact one'); // 12 chars
  clock.advance(1000);
  memory.remember('a', 'old fact two'); // 12
  clock.advance(1000);
  memory.remember('a', 'a rather longer fact in the middle'); // 34
  clock.advance(1000);
  memory.remember('a', 'newest fact'); // 11
  memory.remember('b', 'not for agent a');
  clock.advance(1000);

  assert.deepEqual(memory.forContext('a', 30), ['newest fact', 'old fact two'], 'the long one does not fit, a smaller older one does');
  assert.deepEqual(memory.forContext('a', 0), []);
  clock.advance(1000);
  // Used just now, so these two lead even though another fact is newer than one of them.
  memory.forContext('a', 12); // uses 'newest fact' only
  clock.advance(1000);
  memory.remember('a', 'old fact one'); // known: touched, now the most recent
  assert.deepEqual(memory.forContext('a', 24), ['old fact one', 'newest fact']);
  const used = memory.list('a').find((f) => f.fact === 'newest fact')!;
  assert.equal(used.usedAt, new Date(clock.get()).toISOString());
  assert.deepEqual(memory.forContext('a', 1000).length, 4);
  assert.deepEqual(memory.forContext('nobody', 1000), []);
});
