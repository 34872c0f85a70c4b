import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExtractError, extractText } from '../../appliance/src/agents/extract/extract.js';
import { sharedExtractor, TextExtractor } from '../../appliance/src/agents/extract/extractor.js';
import { readDocument } from '../../appliance/src/agents/pipelines/librarian.js';
import { PathGuard } from '../../appliance/src/shares/path-guard.js';
import { makeDocx, makePdf } from '../helpers/documents.js';

// One extractor for the tests that leave its worker running: starting a worker under tsx costs seconds.
const shared = new TextExtractor();
after(() => shared.close());

function lines(count: number, prefix = 'Line'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix} ${i + 1}: the boiler warranty renewal for Müller café`);
}

test('pdf and docx read in the worker give what extractText gives in-process', async () => {
  const extractor = shared;
  const pdf = makePdf(lines(90));
  const docx = await makeDocx(['Dear tenant,', 'The rent is due on 1 March.', 'Zürich, naïve café']);

  assert.deepEqual(await extractor.extract('invoice.pdf', pdf), await extractText('invoice.pdf', pdf));
  assert.deepEqual(await extractor.extract('letter.docx', docx), await extractText('letter.docx', docx));
  assert.equal(extractor.running, true);
  // The caller's bytes are copied, not taken: still whole afterwards.
  assert.equal(pdf.byteLength > 0 && pdf.subarray(0, 5).toString('latin1'), '%PDF-');
});

test('a view into a larger buffer sends only its own bytes', async () => {
  const extractor = shared;
  const pdf = makePdf(['Only this document']);
  const padded = Buffer.concat([Buffer.from('garbage before'), pdf, Buffer.from('garbage after')]);
  const view = padded.subarray(14, 14 + pdf.length);
  const out = await extractor.extract('view.pdf', view);
  assert.equal(out.text, 'Only this document');
});

test('other formats are read in-process, without starting a worker', async () => {
  const extractor = new TextExtractor();
  const out = await extractor.extract('notes.md', Buffer.from('# Notes\nBuy milk'));
  assert.equal(out.text, '# Notes\nBuy milk');
  assert.equal(extractor.running, false);
});

test('jobs are read one at a time, each answered with its own text', async () => {
  const extractor = shared;
  const files = await Promise.all([
    extractor.extract('a.pdf', makePdf(['Alpha'])),
    extractor.extract('b.docx', await makeDocx(['Bravo'])),
    extractor.extract('c.pdf', makePdf(['Charlie'])),
  ]);
  assert.deepEqual(files.map((f) => f.text), ['Alpha', 'Bravo', 'Charlie']);
});

test('a file over its time ends the worker with an ExtractError; the next file gets a new worker', async (t) => {
  const extractor = new TextExtractor();
  t.after(() => extractor.close());
  await extractor.extract('warm.pdf', makePdf(['warm up'])); // the worker and pdf.js are loaded: the timeout hits the reading itself

  await assert.rejects(extractor.extract('huge.pdf', makePdf(lines(12_000)), { timeoutMs: 1 }), (error: unknown) => {
    assert.ok(error instanceof ExtractError, String(error));
    assert.match(error.message, /^Reading huge\.pdf took longer than 1 ms; .*filed by name only/);
    return true;
  });
  assert.equal(extractor.running, false);

  const out = await extractor.extract('after.pdf', makePdf(['Still reading']));
  assert.equal(out.text, 'Still reading');
  assert.equal(extractor.running, true);
});

test('garbage named .pdf or .docx rejects with the reader\'s ExtractError, and the worker lives on', async () => {
  const extractor = shared;
  const garbage = Buffer.from(Array.from({ length: 16 * 1024 }, (_, i) => (i * 7919) % 251));
  await assert.rejects(extractor.extract('x.pdf', garbage), (error: unknown) => {
    assert.ok(error instanceof ExtractError, String(error));
    assert.match(error.message, /^The PDF could not be read: .*damaged or encrypted/);
    return true;
  });
  await assert.rejects(extractor.extract('x.docx', garbage), ExtractError);
  assert.equal(extractor.running, true);
  assert.equal((await extractor.extract('ok.pdf', makePdf(['fine']))).text, 'fine');
});

test('a file that needs more memory than allowed ends the worker with an ExtractError, not the process', async (t) => {
  // 16 MB of heap cannot hold pdf.js reading 300 pages: the same path a memory bomb takes at 512 MB.
  const extractor = new TextExtractor({ maxHeapMb: 16 });
  t.after(() => extractor.close());
  await assert.rejects(extractor.extract('bomb.pdf', makePdf(lines(12_000))), (error: unknown) => {
    assert.ok(error instanceof ExtractError, String(error));
    assert.match(error.message, /^Reading bomb\.pdf needed more than 16 MB of memory/);
    return true;
  });
  assert.equal(extractor.running, false);
});

test('the event loop keeps ticking while a 300-page PDF is read', async () => {
  const extractor = shared;
  await extractor.extract('warm.pdf', makePdf(['warm up']));
  const pdf = makePdf(lines(12_000));
  let ticks = 0;
  let longestGap = 0;
  let last = performance.now();
  const interval = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    ticks++;
  }, 5);
  try {
    const started = performance.now();
    const out = await extractor.extract('long.pdf', pdf);
    const took = performance.now() - started;
    assert.equal(out.pages, 300);
    assert.ok(out.text?.includes('Line 12000:'));
    // Ticks only, not the longest gap: on a loaded test machine the scheduler alone can pause this thread.
    assert.ok(ticks >= 5, `only ${ticks} ticks in ${Math.round(took)} ms (longest gap ${Math.round(longestGap)} ms)`);
  } finally {
    clearInterval(interval);
  }
});

test('an idle worker is ended, and close() ends it at once', async () => {
  const extractor = new TextExtractor({ idleMs: 50 });
  await extractor.extract('a.pdf', makePdf(['a']));
  assert.equal(extractor.running, true);
  await sleep(200);
  assert.equal(extractor.running, false);

  await extractor.extract('b.docx', await makeDocx(['b']));
  assert.equal(extractor.running, true);
  await extractor.close();
  assert.equal(extractor.running, false);
  // Usable again after close: a new worker starts on demand.
  assert.equal((await extractor.extract('c.pdf', makePdf(['c']))).text, 'c');
  await extractor.close();
});

test('close() rejects the file being read and those waiting, with a plain Error', async () => {
  const extractor = new TextExtractor();
  const reading = extractor.extract('huge.pdf', makePdf(lines(12_000)));
  const waiting = extractor.extract('next.pdf', makePdf(['next']));
  const rejected = [reading, waiting].map((job) => assert.rejects(job, (error: unknown) => {
    assert.ok(!(error instanceof ExtractError));
    assert.match(String(error), /closed/);
    return true;
  }));
  await extractor.close();
  await Promise.all(rejected);
  assert.equal(extractor.running, false);
});

test('readDocument files a damaged PDF by its metadata, with the reason as its warning', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'hearth-extractor-'));
  t.after(async () => {
    await sharedExtractor.close();
    await rm(root, { recursive: true, force: true });
  });
  await writeFile(join(root, 'broken.pdf'), 'not a pdf at all');
  await writeFile(join(root, 'fine.pdf'), makePdf(['Readable']));
  const guard = new PathGuard({ root, access: 'read' });

  const broken = await readDocument(guard, { share: 'Inbox', path: 'broken.pdf', sha256: '', size: 16 });
  assert.ok(!('skipped' in broken));
  assert.equal(broken.text, '');
  assert.match(broken.extracted.warning ?? '', /^The PDF could not be read/);

  const fine = await readDocument(guard, { share: 'Inbox', path: 'fine.pdf', sha256: '', size: 0 });
  assert.ok(!('skipped' in fine));
  assert.equal(fine.text, 'Readable');
});
