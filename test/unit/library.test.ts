import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HearthDatabase } from '../../appliance/src/store/store.js';
import { Library, type NewDocument } from '../../appliance/src/agents/library/library.js';
import { queryTerms, toFtsQuery } from '../../appliance/src/agents/library/fts-query.js';
import { cosineWithBlob, decodeVector, encodeVector, norm } from '../../appliance/src/agents/library/vectors.js';
import { Problem } from '../../appliance/src/http/problem.js';
import { createLogger } from '../../appliance/src/log.js';

const log = createLogger('test', 'error');

function setup(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-library-'));
  const store = new HearthDatabase(dir, log);
  store.open();
  let now = Date.parse('2026-11-27T08:00:00Z');
  const clock = { get: () => now, advance: (ms: number) => (now += ms) };
  const library = new Library(store, { now: clock.get });
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, library, clock };
}

let shaCounter = 0;
function doc(over: Partial<NewDocument> = {}): NewDocument {
  const sha = over.sha256 ?? `sha-${++shaCounter}`;
  return {
    agent: 'librarian',
    sha256: sha,
    share: 'Inbox',
    path: `${sha}.txt`,
    name: `${sha}.txt`,
    format: 'txt',
    size: 100,
    mtime: Date.parse('2026-11-01T00:00:00Z'),
    extracted: true,
    textChars: 100,
    title: 'Untitled',
    summary: '',
    docType: 'letter',
    tags: [],
    people: [],
    organisations: [],
    dates: [],
    actionItems: [],
    chunks: [],
    note: null,
    runId: null,
    ...over,
  };
}

const ids = (hits: { document: { id: number } }[]) => hits.map((h) => h.document.id);

test('upsert files a document with its chunks and action items, and get returns all of it', (t) => {
  const { library } = setup(t);
  const d = library.upsert(
    doc({
      sha256: 'aa',
      path: 'Letters/bank.pdf',
      name: 'bank.pdf',
      format: 'pdf',
      title: 'Mortgage offer',
      summary: 'The bank offers a mortgage at 3.1 %.',
      tags: ['bank', 'mortgage'],
      people: ['Anna Weber'],
      organisations: ['Sparkasse'],
      dates: [{ date: '2026-12-15', what: 'offer expires' }],
      actionItems: [{ text: 'Sign the offer', due: '2026-12-15' }, { text: '  ', due: null }],
      chunks: ['Dear customer, we offer you a mortgage.', '', 'The offer expires in December.'],
      note: { share: 'Notes', path: 'Library/bank.md' },
      textChars: 70,
    }),
  );
  assert.equal(d.title, 'Mortgage offer');
  assert.deepEqual(d.tags, ['bank', 'mortgage']);
  assert.deepEqual(d.people, ['Anna Weber']);
  assert.deepEqual(d.dates, [{ date: '2026-12-15', what: 'offer expires' }]);
  assert.deepEqual(d.note, { share: 'Notes', path: 'Library/bank.md' });
  assert.equal(d.createdAt, '2026-11-27T08:00:00.000Z');
  assert.equal(d.missing, false);
  assert.equal(d.extracted, true);
  assert.equal(d.actionItems.length, 1, 'a blank action item is dropped');
  assert.equal(d.openActionItems, 1);
  assert.deepEqual(library.get(d.id), d);
  assert.equal(library.get(9999), null);
  assert.equal(library.has('librarian', 'aa')?.id, d.id);
  assert.equal(library.has('other-agent', 'aa'), null, 'entries are per agent');
  assert.deepEqual(library.chunksWithoutEmbedding('m', 10).map((c) => c.text), ['Dear customer, we offer you a mortgage.', 'The offer expires in December.']);
});

test('upsert of the same content replaces chunks and action items; old words no longer match, done to-dos stay done', (t) => {
  const { library, clock, store } = setup(t);
  const first = library.upsert(
    doc({ sha256: 'bb', title: 'Gas bill', chunks: ['zeppelin text about gas'], actionItems: [{ text: 'Pay the bill', due: null }, { text: 'File it', due: null }] }),
  );
  library.setActionItemDone(first.actionItems[0]!.id, true);
  const [chunk] = library.chunksWithoutEmbedding('m', 10);
  library.setEmbedding(chunk!.id, [1, 0], 'm');
  clock.advance(60_000);
  const second = library.upsert(
    doc({ sha256: 'bb', title: 'Electricity bill', chunks: ['walrus text about power', 'zeppelin text about gas'], actionItems: [{ text: 'Pay the bill', due: null }] }),
  );
  assert.equal(second.id, first.id, 'same agent and sha256: same entry');
  assert.equal(second.createdAt, first.createdAt, 'created time kept');
  assert.notEqual(second.updatedAt, first.updatedAt);
  assert.equal(second.title, 'Electricity bill');
  assert.equal(second.actionItems.length, 1);
  assert.ok(second.actionItems[0]!.doneAt, 'the to-do ticked off before is still done');
  assert.equal(second.openActionItems, 0);
  assert.deepEqual(ids(library.search('gas bill')), [], 'the old title no longer matches');
  assert.deepEqual(ids(library.search('electricity')), [first.id]);
  assert.deepEqual(ids(library.search('walrus')), [first.id]);
  assert.equal((store.db.prepare('SELECT count(*) AS n FROM chunks').get() as { n: number }).n, 2);
  assert.deepEqual(library.chunksWithoutEmbedding('m', 10).map((c) => c.text), ['walrus text about power'], 'an unchanged chunk keeps its embedding');
  library.upsert(doc({ sha256: 'bb', title: 'Electricity bill', chunks: ['only walrus now'] }));
  assert.deepEqual(ids(library.search('zeppelin')), [], 'a chunk that went is out of the index');
  // FTS5's own check throws if an index disagrees with its table.
  store.db.prepare(`INSERT INTO chunks_fts (chunks_fts) VALUES ('integrity-check')`).run();
  store.db.prepare(`INSERT INTO documents_fts (documents_fts) VALUES ('integrity-check')`).run();
});

test('relocate follows a moved file without a new entry; markMissing flags it; a new version at the same path supersedes', (t) => {
  const { library } = setup(t);
  const d = library.upsert(doc({ sha256: 'cc', path: 'scan-001.pdf', name: 'scan-001.pdf', title: 'Tax notice' }));
  assert.equal(library.relocate('librarian', 'cc', 'Archive', 'Tax/2026/notice.pdf'), true);
  assert.equal(library.relocate('librarian', 'nope', 'Archive', 'x.pdf'), false);
  let now = library.get(d.id)!;
  assert.equal(now.share, 'Archive');
  assert.equal(now.path, 'Tax/2026/notice.pdf');
  assert.equal(now.name, 'notice.pdf');
  assert.deepEqual(ids(library.search('notice')), [d.id], 'the new name is searchable');
  assert.deepEqual(ids(library.search('scan')), [], 'the old name is not');

  assert.equal(library.markMissing('Archive', 'Tax/2026/notice.pdf'), 1);
  assert.equal(library.markMissing('Archive', 'Tax/2026/notice.pdf'), 0, 'already missing');
  now = library.get(d.id)!;
  assert.equal(now.missing, true);
  assert.ok(now.missingSince);
  library.relocate('librarian', 'cc', 'Archive', 'Tax/notice.pdf');
  assert.equal(library.get(d.id)!.missing, false, 'found again');

  const edited = library.upsert(doc({ sha256: 'cc2', share: 'Archive', path: 'Tax/notice.pdf', name: 'notice.pdf', title: 'Tax notice, corrected' }));
  assert.equal(library.get(d.id)!.missing, true, 'the old content is no longer at that path');
  assert.equal(edited.missing, false);
});

test('list pages newest first with a total, per agent', (t) => {
  const { library, clock } = setup(t);
  const made: number[] = [];
  for (let i = 0; i < 7; i++) {
    made.push(library.upsert(doc({ title: `Doc ${i}`, agent: i % 2 === 0 ? 'librarian' : 'custom-1' })).id);
    clock.advance(1000);
  }
  const page1 = library.list({ limit: 3 });
  assert.equal(page1.total, 7);
  assert.deepEqual(page1.documents.map((d) => d.id), made.slice().reverse().slice(0, 3));
  const page3 = library.list({ limit: 3, offset: 6 });
  assert.deepEqual(page3.documents.map((d) => d.id), [made[0]]);
  const mine = library.list({ agent: 'custom-1' });
  assert.equal(mine.total, 3);
  assert.ok(mine.documents.every((d) => d.agent === 'custom-1'));
  assert.equal(library.list({ limit: -5 }).documents.length, 1, 'a silly limit is clamped');
});

test('search ranks title matches above body mentions, prefix-matches the last word, snippets mark the words', (t) => {
  const { library } = setup(t);
  const invoice = library.upsert(
    doc({ title: 'Invoice from the plumber', summary: 'Repair of the kitchen sink.', tags: ['invoice', 'house'], chunks: ['Invoice number 42. The plumber repaired the kitchen sink.'] }),
  );
  const letter = library.upsert(doc({ title: 'Letter from aunt Olga', chunks: ['She mentions an invoice once, among many other things about the garden and the weather.'] }));
  library.upsert(doc({ title: 'Holiday photos', chunks: ['Beach and mountains.'] }));

  const hits = library.search('invoice');
  assert.deepEqual(ids(hits), [invoice.id, letter.id]);
  assert.ok(hits[0]!.score > hits[1]!.score, 'scores fall with rank');
  assert.ok(hits.every((h) => h.via === 'text'));
  assert.match(hits[0]!.snippet, /\[\[Invoice\]\]/);
  assert.doesNotMatch(hits[0]!.snippet, /<[a-z]/i, 'plain text, no HTML');
  assert.deepEqual(ids(library.search('invo')), [invoice.id, letter.id], 'the last word is a prefix');
  assert.deepEqual(ids(library.search('plumber sink')), [invoice.id], 'every word must occur');
  assert.deepEqual(ids(library.search('KITCHEN')), [invoice.id], 'case does not matter');
  assert.deepEqual(ids(library.search('invoice', { limit: 1 })), [invoice.id]);
  assert.deepEqual(ids(library.search('olga')), [letter.id], 'title words find a document');
});

test('one long document cannot crowd the others out of search or passages', (t) => {
  const { library } = setup(t);
  const big = library.upsert(doc({ title: 'Big manual', chunks: Array.from({ length: 40 }, (_, i) => `Lantern part ${i}: lantern lantern.`) }));
  const small = library.upsert(doc({ title: 'Camping list', chunks: [`Pack a lantern. ${'Tent, stove, socks and many other things to remember. '.repeat(20)}`] }));
  assert.deepEqual(ids(library.search('lantern', { limit: 2 })), [big.id, small.id]);
  const passages = library.passages('lantern', 4);
  assert.equal(passages.filter((p) => p.documentId === big.id).length, 3);
  assert.equal(passages.filter((p) => p.documentId === small.id).length, 1);
});

test('search treats any text as words: FTS syntax, quotes, unicode and long input never fail', (t) => {
  const { library } = setup(t);
  const d = library.upsert(doc({ title: 'Café receipt', chunks: ['Crème brûlée and coffee at the Café Zürich. foo bar x-ray'] }));
  const hostile = ['"', '""', "'", 'AND', 'OR NOT', 'foo*', '*', 'NEAR(', 'NEAR(foo bar)', '-x', '^foo', 'title:foo', '{title}: x', '(', ')', ':', '+', 'foo"bar', '\\', '\u0000', '🔥', '💡 idea', 'a'.repeat(500), 'x '.repeat(250), '∑∫', '   ', ''];
  for (const q of hostile) {
    assert.doesNotThrow(() => library.search(q), `query ${JSON.stringify(q.slice(0, 20))}`);
    assert.doesNotThrow(() => library.passages(q, 5));
  }
  assert.deepEqual(library.search('"'), []);
  assert.deepEqual(library.search('🔥'), [], 'no word characters: nothing, not an error');
  assert.deepEqual(ids(library.search('foo*')), [d.id], 'an asterisk is punctuation');
  assert.deepEqual(ids(library.search('NEAR(foo')), [], 'NEAR is a word here, and it does not occur');
  assert.deepEqual(ids(library.search('-x')), [d.id], 'a minus is not NOT');
  assert.deepEqual(ids(library.search('creme brulee')), [d.id], 'diacritics are folded');
  assert.deepEqual(ids(library.search('zürich')), [d.id]);
  assert.deepEqual(ids(library.search('Café')), [d.id]);
  assert.deepEqual(ids(library.search(`${'coffee '.repeat(80)}`)), [d.id], 'repeated words count once');
});

test('fts queries are quoted terms; stopwords go from questions only', () => {
  assert.equal(toFtsQuery('hello world'), '"hello" AND "world"');
  assert.equal(toFtsQuery('hello wor', { prefixLast: true }), '"hello" AND "wor"*');
  assert.equal(toFtsQuery('what did the bank say', { mode: 'or', dropStopwords: true }), '"bank"');
  assert.equal(toFtsQuery('the', { mode: 'or', dropStopwords: true }), '"the"', 'only stopwords: kept');
  assert.equal(toFtsQuery('AND OR NEAR'), '"and" AND "or" AND "near"');
  assert.equal(toFtsQuery('!!! ??? "'), null);
  assert.equal(queryTerms('w '.repeat(40) + Array.from({ length: 30 }, (_, i) => `t${i}`).join(' ')).length, 16, 'terms are capped');
  assert.deepEqual(queryTerms('x'.repeat(65) + ' ok'), ['ok'], 'an over-long token is dropped');
});

test('semantic search ranks by cosine, per document, only the same model and dimension', (t) => {
  const { library } = setup(t);
  const a = library.upsert(doc({ title: 'A', chunks: ['a1', 'a2'] }));
  const b = library.upsert(doc({ title: 'B', chunks: ['b1'] }));
  const c = library.upsert(doc({ title: 'C', chunks: ['c1'] }));
  const chunk = new Map(library.chunksWithoutEmbedding('m1', 100).map((x) => [x.text, x.id]));
  library.setEmbedding(chunk.get('a1')!, [0, 1, 0], 'm1');
  library.setEmbedding(chunk.get('a2')!, new Float32Array([1, 0.1, 0]), 'm1');
  library.setEmbedding(chunk.get('b1')!, [0.7, 0.7, 0], 'm1');
  library.setEmbedding(chunk.get('c1')!, [1, 0, 0, 0], 'm1'); // another dimension: skipped
  assert.equal(library.hasEmbeddings('m1'), true);
  assert.equal(library.hasEmbeddings('m2'), false);
  assert.deepEqual(library.chunksWithoutEmbedding('m1', 10), []);
  assert.equal(library.chunksWithoutEmbedding('m2', 10).length, 4, 'another model needs its own embeddings');

  const hits = library.semanticSearch([1, 0, 0], 'm1');
  assert.deepEqual(ids(hits), [a.id, b.id]);
  assert.ok(!ids(hits).includes(c.id), 'C has a vector of another dimension');
  assert.equal(hits[0]!.snippet, 'a2', "the document's best chunk");
  assert.ok(Math.abs(hits[0]!.score - 1 / Math.sqrt(1.01)) < 1e-6);
  assert.ok(hits.every((h) => h.via === 'semantic'));
  assert.deepEqual(ids(library.semanticSearch([0, 1, 0], 'm1', { limit: 1 })), [a.id]);
  assert.deepEqual(library.semanticSearch([1, 0, 0], 'm2'), [], 'other models are not compared');
  assert.deepEqual(library.semanticSearch([0, 0, 0], 'm1'), [], 'a zero vector finds nothing');
  const passages = library.semanticPassages([0.7, 0.7, 0], 'm1', 2);
  assert.deepEqual(passages.map((p) => p.text), ['b1', 'a2']);
  assert.ok(passages.every((p) => p.documentId === a.id || p.documentId === b.id));
});

test('vectors are float32 little-endian; cosine skips other dimensions', () => {
  const blob = encodeVector([1, -2.5, 3]);
  assert.equal(blob.length, 12);
  assert.equal(blob.readFloatLE(4), -2.5);
  assert.deepEqual([...decodeVector(blob)], [1, -2.5, 3]);
  const q = [1, -2.5, 3];
  assert.ok(Math.abs(cosineWithBlob(q, norm(q), blob)! - 1) < 1e-6);
  assert.equal(cosineWithBlob([1, 2], norm([1, 2]), blob), null);
  const unaligned = Buffer.concat([Buffer.from([9]), blob]).subarray(1);
  assert.ok(Math.abs(cosineWithBlob(q, norm(q), unaligned)! - 1) < 1e-6, 'a BLOB at an odd offset reads the same');
});

test('passages for ask: any of the words, best chunks first, a summary for a title-only match, capped per document', (t) => {
  const { library } = setup(t);
  const insurance = library.upsert(
    doc({ title: 'Car insurance renewal', summary: 'The car insurance renews in March.', share: 'Inbox', path: 'ins.pdf', chunks: ['Your premium rises to 480 euros.'] }),
  );
  const long = library.upsert(doc({ title: 'Manual', chunks: Array.from({ length: 6 }, (_, i) => `Chapter ${i}: the premium settings of the coffee machine.`) }));
  const passages = library.passages('How much is my car insurance premium?', 10);
  assert.ok(passages.length > 0);
  assert.equal(passages[0]!.documentId, insurance.id, 'title and body both match: first');
  assert.equal(passages.filter((p) => p.documentId === long.id).length, 3, 'at most three passages per document');
  const titleOnly = library.passages('renewal', 5);
  assert.deepEqual(
    titleOnly.map((p) => [p.documentId, p.chunkId, p.text]),
    [[insurance.id, null, 'The car insurance renews in March.']],
  );
  assert.equal(passages[0]!.share, 'Inbox');
  assert.equal(passages[0]!.path, 'ins.pdf');
  assert.deepEqual(library.passages('zebra', 5), []);
});

test('action items: open ones by due date, done and undone, a missing one is a 404', (t) => {
  const { library } = setup(t);
  const d1 = library.upsert(doc({ title: 'Bill', actionItems: [{ text: 'Pay', due: '2026-12-20' }, { text: 'Call', due: null }] }));
  const d2 = library.upsert(doc({ title: 'Form', actionItems: [{ text: 'Sign', due: '2026-12-01' }] }));
  let open = library.openActionItems();
  assert.deepEqual(open.map((i) => i.text), ['Sign', 'Pay', 'Call'], 'earliest due first, undated last');
  assert.deepEqual(open[0]!.document, { id: d2.id, title: 'Form' });
  const pay = d1.actionItems.find((i) => i.text === 'Pay')!;
  const done = library.setActionItemDone(pay.id, true);
  assert.ok(done.doneAt);
  assert.equal(library.setActionItemDone(pay.id, true).doneAt, done.doneAt, 'done twice keeps the first time');
  open = library.openActionItems();
  assert.deepEqual(open.map((i) => i.text), ['Sign', 'Call']);
  assert.equal(library.get(d1.id)!.openActionItems, 1);
  assert.equal(library.setActionItemDone(pay.id, false).doneAt, null);
  assert.equal(library.openActionItems(1).length, 1);
  assert.throws(
    () => library.setActionItemDone(9999, true),
    (e: unknown) => e instanceof Problem && e.status === 404,
  );
});

test('createdSince gives what arrived after a time, newest first', (t) => {
  const { library, clock } = setup(t);
  library.upsert(doc({ title: 'old' }));
  clock.advance(3600_000);
  const since = clock.get();
  const a = library.upsert(doc({ title: 'new 1' }));
  clock.advance(1000);
  const b = library.upsert(doc({ title: 'new 2' }));
  assert.deepEqual(library.createdSince(since).map((d) => d.id), [b.id, a.id]);
  assert.deepEqual(library.createdSince(clock.get() + 1), []);
});

test('remove takes the chunks, action items and index entries with it', (t) => {
  const { library, store } = setup(t);
  const d = library.upsert(doc({ title: 'Quokka facts', chunks: ['The quokka lives on Rottnest.'], actionItems: [{ text: 'Visit', due: null }] }));
  const keep = library.upsert(doc({ title: 'Other', chunks: ['Something else.'] }));
  assert.equal(library.remove(d.id), true);
  assert.equal(library.remove(d.id), false);
  assert.equal(library.get(d.id), null);
  assert.deepEqual(library.search('quokka'), []);
  assert.deepEqual(library.search('rottnest'), []);
  assert.deepEqual(library.openActionItems(), []);
  const count = (sql: string) => (store.db.prepare(sql).get() as { n: number }).n;
  assert.equal(count('SELECT count(*) AS n FROM chunks WHERE document_id = ' + d.id), 0);
  assert.equal(count('SELECT count(*) AS n FROM action_items'), 0);
  assert.deepEqual(ids(library.search('something')), [keep.id]);
  store.db.prepare(`INSERT INTO chunks_fts (chunks_fts) VALUES ('integrity-check')`).run();
});

test('the library keeps working after the store is reopened (statements prepared again)', (t) => {
  const { library, store } = setup(t);
  const d = library.upsert(doc({ title: 'Persistent' }));
  store.close();
  store.open();
  assert.equal(library.get(d.id)?.title, 'Persistent');
});
