import { test } from 'node:test';
import assert from 'node:assert/strict';
import JSZip from 'jszip';
import { ExtractError, extractText, formatOf } from '../../appliance/src/agents/extract/extract.js';
import { chunkText } from '../../appliance/src/agents/extract/chunk.js';
import { HTML_SCRIPT_MARKER, HTML_STYLE_MARKER, makeDocx, makeHtml, makePdf } from '../helpers/documents.js';

/** Asserts every needle occurs in haystack, each after the one before. */
function assertInOrder(haystack: string, needles: string[]): void {
  let at = 0;
  for (const needle of needles) {
    const found = haystack.indexOf(needle, at);
    assert.ok(found >= 0, `"${needle}" missing (or out of order) after offset ${at} in:\n${haystack.slice(0, 500)}`);
    at = found + needle.length;
  }
}

/** A small deterministic generator, so "random" inputs are the same on every run. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  }
}

const VOCABULARY = 'invoice tenant boiler warranty the of a receipt Zürich meeting deadline insurance Müller café naïve renewal payment appointment'.split(' ');

function prose(seed: number, paragraphs: number): string {
  const random = lcg(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const out: string[] = [];
  for (let p = 0; p < paragraphs; p++) {
    const sentences: string[] = [];
    for (let s = 0, n = 1 + pick(6); s < n; s++) {
      const words = Array.from({ length: 4 + pick(14) }, () => VOCABULARY[pick(VOCABULARY.length)]!);
      words[0] = words[0]!.charAt(0).toUpperCase() + words[0]!.slice(1);
      sentences.push(`${words.join(' ')}${'.!?'[pick(3)]}`);
    }
    out.push(sentences.join(' '));
  }
  return out.join('\n\n');
}

const words = (text: string) => text.split(/\s+/).filter((w) => w !== '');

test('formatOf reads the extension, case-insensitively', () => {
  assert.equal(formatOf('notes.txt'), 'txt');
  assert.equal(formatOf('README.MD'), 'md');
  assert.equal(formatOf('dir.v2/page.HTM'), 'html');
  assert.equal(formatOf('Scan 2024.PDF'), 'pdf');
  assert.equal(formatOf('letter.docx'), 'docx');
  assert.equal(formatOf('bank.csv'), 'csv');
  assert.equal(formatOf('photo.jpg'), 'other');
  assert.equal(formatOf('old.doc'), 'other');
  assert.equal(formatOf('Makefile'), 'other');
  assert.equal(formatOf('.pdf'), 'other', 'a dot file has no extension');
});

test('plain text and markdown come out as written', async () => {
  const txt = await extractText('a.txt', Buffer.from('Dear tenant,\n\nThe boiler will be serviced on 3 March.\nRegards'));
  assert.deepEqual(txt, { format: 'txt', text: 'Dear tenant,\n\nThe boiler will be serviced on 3 March.\nRegards', truncated: false });
  const md = '# Plan\n\n- **buy** milk\n- call [Anna](https://example.org)\n\n```\ncode\n```';
  const out = await extractText('plan.md', Buffer.from(md));
  assert.equal(out.format, 'md');
  assert.equal(out.text, md);
});

test('csv rows stay lines; a UTF-8 BOM is dropped', async () => {
  const csv = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('date,amount,payee\r\n2024-01-02,12.50,Bäckerei\r\n2024-01-03,99.00,Stadtwerke\r\n')]);
  const out = await extractText('bank.CSV', csv);
  assert.equal(out.format, 'csv');
  assert.equal(out.text, 'date,amount,payee\n2024-01-02,12.50,Bäckerei\n2024-01-03,99.00,Stadtwerke');
});

test('text that is not UTF-8 is read as Windows-1252 (Latin-1)', async () => {
  const bytes = Buffer.concat([
    Buffer.from('Caf', 'latin1'), Buffer.from([0xe9]), Buffer.from(' costs 5 ', 'latin1'), Buffer.from([0x80]),
    Buffer.from(', ', 'latin1'), Buffer.from([0x93]), Buffer.from('na', 'latin1'), Buffer.from([0xef]), Buffer.from('ve', 'latin1'), Buffer.from([0x94]),
  ]);
  const out = await extractText('old.txt', bytes);
  assert.equal(out.text, 'Café costs 5 €, “naïve”');
});

test('UTF-16 with a BOM is decoded', async () => {
  const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Grüße aus Köln', 'utf16le')]);
  assert.equal((await extractText('notepad.txt', bytes)).text, 'Grüße aus Köln');
});

test('text is normalised: NFC, line ends, control characters, spaces, blank lines', async () => {
  const raw = '\ufeff  Cafe\u0301  au\u00a0\u00a0lait \r\n\r\n\r\n\r\nnext\u0000 line\u0007\rthird  \t  column\n\n\n';
  const out = await extractText('n.txt', Buffer.from(raw));
  assert.equal(out.text, 'Café au lait\n\nnext line\nthird\tcolumn');
  assert.equal(out.text!.normalize('NFC'), out.text);
});

test('html: script, style and head noise are dropped, entities decoded, blocks kept as lines', async () => {
  const page = makeHtml('Rental contract <2024>', ['The rent is 950 € & due on the 1st.', 'Call "Anna" if the boiler fails.']);
  const out = await extractText('contract.html', Buffer.from(page));
  assert.equal(out.format, 'html');
  const text = out.text!;
  assertInOrder(text, ['Rental contract <2024>', 'The rent is 950 € & due on the 1st.', 'Call "Anna" if the boiler fails.']);
  for (const noise of [HTML_SCRIPT_MARKER, HTML_STYLE_MARKER, 'color', 'console', 'not a paragraph', 'styleText', 'charset']) {
    assert.ok(!text.includes(noise), `"${noise}" leaked into ${JSON.stringify(text)}`);
  }
  assert.ok(text.split('\n').includes('The rent is 950 € & due on the 1st.'), 'a paragraph is its own line');
});

test('html entities, inline and block elements, comments, pre and tables', async () => {
  const html =
    '<div>Caf&eacute; &amp; cr&#232;me &#x263A; &hellip; &mdash;&#150; a&nbsp;b &copy 2024 &unknown; &lt;tag&gt;</div>' +
    '<p>one <b>bold</b><i>italic</i> word<br>next line</p><!-- <p>hidden comment</p> --><p>para\n   two</p>' +
    '<pre>keep\nlines</pre><table><tr><th>Item</th><th>Price</th></tr><tr><td>Tea</td><td>3</td></tr></table>' +
    '<p title="a > b">attr</p><noscript>enable js</noscript><svg><text>vector</text></svg>';
  const out = await extractText('x.htm', Buffer.from(html));
  assert.equal(
    out.text,
    'Café & crème ☺ … —– a b © 2024 &unknown; <tag>\n\none bolditalic word\nnext line\n\npara two\n\nkeep\nlines\n\nItem\tPrice\nTea\t3\n\nattr',
  );
});

test('html that is not UTF-8 falls back to Latin-1 too', async () => {
  const bytes = Buffer.concat([Buffer.from('<p>Gr', 'latin1'), Buffer.from([0xfc]), Buffer.from('n</p>', 'latin1')]);
  assert.equal((await extractText('old.html', bytes)).text, 'Grün');
});

test('pdf: the text layer of every page comes out, line by line, in order', async () => {
  const lines = Array.from({ length: 95 }, (_, i) => `Line ${i + 1}: invoice (ref ${i}) for café back\\slash`);
  const out = await extractText('invoice.pdf', makePdf(lines));
  assert.equal(out.format, 'pdf');
  assert.equal(out.pages, 3);
  assert.equal(out.truncated, false);
  assert.equal(out.warning, undefined);
  const outLines = out.text!.split('\n').filter((l) => l !== '');
  assert.deepEqual(outLines, lines);
});

test('pdf without a text layer: text null and a warning', async () => {
  const out = await extractText('scan.pdf', makePdf([]));
  assert.equal(out.text, null);
  assert.equal(out.pages, 1);
  assert.match(out.warning ?? '', /no text layer/);
});

test('pdf longer than maxChars is cut and flagged', async () => {
  const lines = Array.from({ length: 200 }, (_, i) => `Sentence number ${i} of a long report.`);
  const out = await extractText('long.pdf', makePdf(lines), { maxChars: 300 });
  assert.equal(out.truncated, true);
  assert.ok(out.text!.length <= 300);
  assert.ok(out.text!.startsWith('Sentence number 0 of a long report.\nSentence number 1'));
  assert.equal(out.pages, 5);
});

test('a pdf that takes too long is given up with an ExtractError', async () => {
  const lines = Array.from({ length: 4000 }, (_, i) => `Line ${i} of a very long document.`);
  await assert.rejects(extractText('slow.pdf', makePdf(lines), { timeoutMs: 1 }), (error: unknown) => {
    assert.ok(error instanceof ExtractError);
    assert.match(error.message, /took longer than 1 s/);
    return true;
  });
  // The abandoned reading must not surface later as an unhandled rejection (node --test would report it).
  await new Promise((resolve) => setTimeout(resolve, 200));
});

test('docx: paragraphs come out in order, XML-special characters intact', async () => {
  const paragraphs = ['Dear Mr Müller,', 'Your policy <No. 42> & renewal are due on 2025-01-31.', '', '"Quoted" text stays.'];
  const out = await extractText('letter.docx', await makeDocx(paragraphs));
  assert.equal(out.format, 'docx');
  assert.equal(out.text, 'Dear Mr Müller,\n\nYour policy <No. 42> & renewal are due on 2025-01-31.\n\n"Quoted" text stays.');
  assert.equal(out.truncated, false);
});

test('truncation: text over maxChars is cut there and flagged; text under it is not', async () => {
  const text = prose(7, 30);
  const cut = await extractText('long.txt', Buffer.from(text), { maxChars: 100 });
  assert.equal(cut.truncated, true);
  assert.ok(cut.text!.length <= 100);
  assert.ok(text.startsWith(cut.text!));
  const whole = await extractText('long.txt', Buffer.from(text), { maxChars: text.length });
  assert.equal(whole.truncated, false);
  assert.equal(whole.text, text);
  const emoji = await extractText('e.txt', Buffer.from('ab😀cd'), { maxChars: 3 });
  assert.equal(emoji.text, 'ab', 'never half a surrogate pair');
  const docx = await extractText('d.docx', await makeDocx([text]), { maxChars: 50 });
  assert.equal(docx.truncated, true);
  assert.ok(docx.text!.length <= 50);
});

test('a huge text file is read only as far as needed', async () => {
  const huge = Buffer.alloc(64 * 1024 * 1024, 'ab cd\n');
  const started = Date.now();
  const out = await extractText('huge.log', huge, { maxChars: 1000 });
  assert.equal(out.truncated, true);
  assert.ok(out.text!.length <= 1000 && out.text!.startsWith('ab cd\nab cd'));
  assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
  assert.equal((await extractText('a.txt', Buffer.alloc(0))).text, '');
  await assert.rejects(extractText('a.txt', Buffer.from('x'), { maxChars: 0 }), RangeError);
});

test("'other' formats are filed by metadata only", async () => {
  assert.deepEqual(await extractText('photo.JPG', Buffer.from([0xff, 0xd8, 0xff, 0xe0])), { format: 'other', text: null, truncated: false });
  assert.deepEqual(await extractText('old.doc', Buffer.from('whatever')), { format: 'other', text: null, truncated: false });
});

test('damaged pdf and docx reject with an ExtractError quickly, with a message a person can act on', async () => {
  const random = lcg(42);
  const garbage = Buffer.from(Array.from({ length: 64 * 1024 }, () => Math.floor(random() * 256)));
  const halfPdf = makePdf(['Only', 'half']).subarray(0, 40);
  const cases: [string, Uint8Array, RegExp][] = [
    ['x.pdf', garbage, /^The PDF could not be read: .*damaged or encrypted/],
    ['x.docx', garbage, /^The Word document could not be read: .*damaged/],
    ['empty.pdf', Buffer.alloc(0), /^The PDF could not be read/],
    ['empty.docx', Buffer.alloc(0), /^The Word document could not be read/],
    ['half.pdf', halfPdf, /^The PDF could not be read/],
    ['fake.pdf', Buffer.from('%PDF-1.4\nnot really\n%%EOF'), /^The PDF could not be read/],
  ];
  for (const [name, bytes, message] of cases) {
    const started = Date.now();
    await assert.rejects(extractText(name, bytes), (error: unknown) => {
      assert.ok(error instanceof ExtractError, `${name}: ${String(error)}`);
      assert.match(error.message, message);
      return true;
    });
    assert.ok(Date.now() - started < 5000, `${name} took ${Date.now() - started} ms`);
  }
});

test('a zip that is not a Word document, and one that claims to unpack huge, are refused', async () => {
  const zip = new JSZip();
  zip.file('notes.txt', 'hello');
  const notDocx = await zip.generateAsync({ type: 'nodebuffer' });
  await assert.rejects(extractText('notes.docx', notDocx), (error: unknown) => error instanceof ExtractError && /could not be read/.test(error.message));

  // Make the central directory say word/document.xml unpacks to 2 GB.
  const bomb = Buffer.from(await makeDocx(['small']));
  const name = Buffer.from('word/document.xml');
  let patched = false;
  for (let at = bomb.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at >= 0; at = bomb.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)) {
    const nameLength = bomb.readUInt16LE(at + 28);
    if (bomb.subarray(at + 46, at + 46 + nameLength).equals(name)) {
      bomb.writeUInt32LE(0x80000000, at + 24);
      patched = true;
    }
  }
  assert.ok(patched);
  await assert.rejects(extractText('bomb.docx', bomb), (error: unknown) => error instanceof ExtractError && /too large/.test(error.message));
});

// --- chunkText ---

/** The properties every chunking must have: bounded, non-empty, trimmed slices of the text, in order, covering it all. */
function assertChunking(text: string, chunks: string[], maxChars: number): void {
  let at = 0;
  for (const chunk of chunks) {
    assert.ok(chunk.length > 0 && chunk.length <= maxChars, `chunk of ${chunk.length} > ${maxChars}`);
    assert.equal(chunk, chunk.trim());
    const found = text.indexOf(chunk, at);
    assert.ok(found >= at, `chunk not found in order: ${JSON.stringify(chunk)}`);
    assert.equal(text.slice(at, found).trim(), '', 'text skipped between chunks');
    at = found + chunk.length;
  }
  assert.equal(text.slice(at).trim(), '', 'text left after the last chunk');
}

const CHUNK_INPUTS: [string, string][] = [
  ['prose', prose(1, 12)],
  ['one long paragraph', prose(2, 1).repeat(8)],
  ['no punctuation', words(prose(3, 6)).join(' ').replace(/[.!?]/g, '')],
  ['csv lines', Array.from({ length: 60 }, (_, i) => `2024-01-${String(i % 28 + 1).padStart(2, '0')},${i * 3}.50,Payee ${i}`).join('\n')],
  ['one huge word', 'x'.repeat(1234)],
  ['cjk', '今日は晴れです。明日は雨が降るでしょう！会議は午後三時からです？'.repeat(20)],
  ['emoji', '😀'.repeat(300) + ' tail'],
  ['messy whitespace', '  a  b\n\n\n\n c.   D!\t\te  \n'],
];

test('chunkText: bounded, ordered, non-empty slices covering every word, for many inputs and sizes', () => {
  for (const [label, text] of CHUNK_INPUTS) {
    for (const maxChars of [1, 2, 7, 20, 57, 200, 1000, 100_000]) {
      const chunks = chunkText(text, maxChars);
      try {
        assertChunking(text, chunks, maxChars);
      } catch (error) {
        assert.fail(`${label}, maxChars ${maxChars}: ${(error as Error).message}`);
      }
      if (maxChars >= 2) {
        for (const chunk of chunks) assert.ok(!/^[\udc00-\udfff]/.test(chunk), `${label}: a chunk starts inside a surrogate pair`);
      }
      assert.deepEqual(chunkText(text, maxChars), chunks, 'deterministic');
    }
  }
});

test('chunkText prefers paragraph, then sentence, then word boundaries', () => {
  const paragraphs = ['A'.repeat(40) + ' first.', 'B'.repeat(40) + ' second.', 'C'.repeat(40) + ' third.'];
  assert.deepEqual(chunkText(paragraphs.join('\n\n'), 60), paragraphs);
  assert.deepEqual(chunkText(paragraphs.join('\n\n'), 110), [paragraphs.slice(0, 2).join('\n\n'), paragraphs[2]]);

  const text = prose(5, 1);
  for (const chunk of chunkText(text, 150)) assert.match(chunk, /[.!?]$/, 'each chunk ends a sentence');

  const plain = words(prose(6, 3)).join(' ').replace(/[.!?]/g, '');
  const vocabulary = new Set(words(plain));
  for (const chunk of chunkText(plain, 30)) for (const word of words(chunk)) assert.ok(vocabulary.has(word), `a word was cut: ${word}`);

  assert.deepEqual(chunkText('', 10), []);
  assert.deepEqual(chunkText(' \n\n \t', 10), []);
  assert.deepEqual(chunkText('short text', 10), ['short text']);
  assert.deepEqual(chunkText('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
  assert.throws(() => chunkText('x', 0), RangeError);
});

test('chunkText overlap: each chunk starts with the tail of the one before, from a word start', () => {
  for (const [label, text] of CHUNK_INPUTS.slice(0, 4)) {
    for (const [maxChars, overlap] of [[200, 40], [120, 30], [1000, 150], [60, 500]] as const) {
      const effective = Math.min(overlap, Math.floor(maxChars / 2));
      const base = chunkText(text, maxChars - effective);
      const chunks = chunkText(text, maxChars, overlap);
      assert.equal(chunks.length, base.length, label);
      chunks.forEach((chunk, i) => {
        assert.ok(chunk.length > 0 && chunk.length <= maxChars, `${label}: chunk of ${chunk.length}`);
        assert.ok(chunk.endsWith(base[i]!), `${label}: chunk ${i} ends with its own text`);
        if (i === 0) return assert.equal(chunk, base[0]);
        const tail = chunk.slice(0, chunk.length - base[i]!.length).trimEnd();
        assert.ok(tail.length > 0 && tail.length <= effective, `${label}: overlap of ${tail.length} chars`);
        const previous = base[i - 1]!;
        assert.ok(previous.endsWith(tail), `${label}: overlap is the previous chunk's tail`);
        const before = previous.charAt(previous.length - tail.length - 1);
        assert.ok(tail.length === previous.length || /\s/.test(before), `${label}: overlap starts at a word`);
      });
    }
  }
});

test('pathological input stays linear: long runs of blanks, quotes and unclosed markup', async () => {
  const inputs = [
    'a' + ' \t'.repeat(500_000) + 'b',
    '"'.repeat(500_000) + ' x',
    '<a x="'.repeat(100_000),
    '<a '.repeat(300_000),
    ('\n' + ' '.repeat(1000)).repeat(500),
  ];
  for (const input of inputs) {
    const started = Date.now();
    const html = await extractText('x.html', Buffer.from(input));
    const txt = await extractText('x.txt', Buffer.from(input));
    chunkText(input, 500, 50);
    chunkText(txt.text!, 500, 50);
    assert.ok(html.text !== null && txt.text !== null);
    assert.ok(Date.now() - started < 3000, `${JSON.stringify(input.slice(0, 12))}… took ${Date.now() - started} ms`);
  }
});
