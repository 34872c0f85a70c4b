import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Problem } from '../../appliance/src/http/problem.js';
import { classifyHead, isWebPage, parseByteCount, parseContentRange, parseLinkedSha256, strongEtag } from '../../appliance/src/models/download/headers.js';
import {
  checkModelFileName,
  checkPullUrl,
  checkSha256,
  fileNameFromUrl,
  urlRefusal,
} from '../../appliance/src/models/download/download-url.js';
import { backoffDelay } from '../../appliance/src/models/download/backoff.js';
import { etaSeconds, formatBytes, RateMeter } from '../../appliance/src/models/download/progress.js';
import { DownloadError, toDownloadError } from '../../appliance/src/models/download/download-error.js';

const HEX = 'a'.repeat(64);

test('Content-Range: ranges, unknown totals, unsatisfied ranges and junk', () => {
  assert.deepEqual(parseContentRange('bytes 100-199/200'), { kind: 'range', start: 100, end: 199, total: 200 });
  assert.deepEqual(parseContentRange('bytes 0-0/1'), { kind: 'range', start: 0, end: 0, total: 1 });
  assert.deepEqual(parseContentRange('Bytes 5-9/*'), { kind: 'range', start: 5, end: 9, total: null });
  assert.deepEqual(parseContentRange('bytes */4096'), { kind: 'unsatisfied', total: 4096 });
  assert.equal(parseContentRange('bytes 10-5/100'), null, 'end before start');
  assert.equal(parseContentRange('bytes 0-100/100'), null, 'end past the total');
  assert.equal(parseContentRange('items 0-1/2'), null);
  assert.equal(parseContentRange(''), null);
  assert.equal(parseContentRange(undefined), null);
});

test('byte counts: whole, non-negative, safe', () => {
  assert.equal(parseByteCount('0'), 0);
  assert.equal(parseByteCount(' 4920734208 '), 4920734208);
  assert.equal(parseByteCount('-1'), null);
  assert.equal(parseByteCount('1.5'), null);
  assert.equal(parseByteCount('12abc'), null);
  assert.equal(parseByteCount('99999999999999999'), null);
  assert.equal(parseByteCount(undefined), null);
});

test('X-Linked-Etag: a quoted sha256 (any case, weak or not); a git sha1 is no sha256', () => {
  assert.equal(parseLinkedSha256(`"${HEX}"`), HEX);
  assert.equal(parseLinkedSha256(`W/"${HEX.toUpperCase()}"`), HEX);
  assert.equal(parseLinkedSha256(HEX), HEX);
  assert.equal(parseLinkedSha256('"' + 'b'.repeat(40) + '"'), null);
  assert.equal(parseLinkedSha256('"xyz"'), null);
  assert.equal(parseLinkedSha256(null), null);
});

test('only strong ETags are used for If-Range', () => {
  assert.equal(strongEtag('"abc"'), '"abc"');
  assert.equal(strongEtag('W/"abc"'), null);
  assert.equal(strongEtag('abc'), null);
  assert.equal(strongEtag(undefined), null);
});

test('web pages are recognised by type and by their first bytes', () => {
  assert.equal(isWebPage('text/html; charset=utf-8'), true);
  assert.equal(isWebPage('TEXT/HTML'), true);
  assert.equal(isWebPage('application/octet-stream'), false);
  assert.equal(isWebPage(undefined), false);
  assert.equal(classifyHead(Buffer.from('GGUF\x03\x00\x00\x00')), 'gguf');
  assert.equal(classifyHead(Buffer.from('\n  <!DOCTYPE html><html>')), 'web-page');
  assert.equal(classifyHead(Buffer.from('<html lang="en">')), 'web-page');
  assert.equal(classifyHead(Buffer.from('PK\x03\x04')), 'other');
  assert.equal(classifyHead(Buffer.from('GGU')), 'other');
});

test('URL policy: https always, http only for loopback with the opt-in', () => {
  assert.equal(urlRefusal(new URL('https://huggingface.co/a/b/resolve/main/x.gguf'), false), null);
  assert.match(urlRefusal(new URL('http://huggingface.co/x.gguf'), false)!, /only https:\/\//);
  assert.match(urlRefusal(new URL('http://huggingface.co/x.gguf'), true)!, /only https:\/\//, 'the opt-in is for loopback only');
  assert.match(urlRefusal(new URL('http://127.0.0.1:9/x.gguf'), false)!, /only https:\/\//);
  assert.equal(urlRefusal(new URL('http://127.0.0.1:9/x.gguf'), true), null);
  assert.equal(urlRefusal(new URL('http://localhost:9/x.gguf'), true), null);
  assert.equal(urlRefusal(new URL('http://[::1]:9/x.gguf'), true), null);
  assert.match(urlRefusal(new URL('http://127.0.0.2/x.gguf'), true)!, /only https/);
  assert.match(urlRefusal(new URL('file:///etc/passwd'), true)!, /not file:/);

  assert.throws(() => checkPullUrl('not a url', false), (e: unknown) => e instanceof Problem && e.status === 400);
  assert.throws(() => checkPullUrl('https://user:pw@example.com/x.gguf', false), /no user name or password/);
  assert.equal(checkPullUrl('https://example.com/x.gguf#frag', false).href, 'https://example.com/x.gguf');
});

test('file names: from the URL path, one plain .gguf name', () => {
  assert.equal(fileNameFromUrl(new URL('https://huggingface.co/o/r/resolve/main/Qwen3-8B-Q4_K_M.gguf?download=true')), 'Qwen3-8B-Q4_K_M.gguf');
  assert.equal(fileNameFromUrl(new URL('https://h/x/a%2Bb.gguf')), 'a+b.gguf');
  assert.equal(checkModelFileName('model-00001-of-00002.gguf'), 'model-00001-of-00002.gguf');
  for (const bad of ['../x.gguf', 'a/b.gguf', '.hidden.gguf', 'x..gguf', '', 'x.bin', 'a b.gguf']) {
    assert.throws(() => checkModelFileName(bad), Problem, bad);
  }
  assert.equal(checkSha256(HEX.toUpperCase()), HEX);
  assert.equal(checkSha256(undefined), null);
  assert.throws(() => checkSha256('abc'), /64 hexadecimal digits/);
});

test('back-off doubles, is capped, and jitters within the upper half', () => {
  const policy = { tries: 5, baseDelayMs: 1000, maxDelayMs: 8000 };
  assert.equal(backoffDelay(1, policy, () => 0), 500);
  assert.equal(backoffDelay(1, policy, () => 1), 1000);
  assert.equal(backoffDelay(2, policy, () => 1), 2000);
  assert.equal(backoffDelay(3, policy, () => 0.5), 3000);
  assert.equal(backoffDelay(10, policy, () => 1), 8000, 'capped');
  for (let i = 0; i < 50; i++) {
    const d = backoffDelay(2, policy);
    assert.ok(d >= 1000 && d <= 2000);
  }
});

test('the rate is smoothed, ignores bytes already on disk, and decays when nothing arrives', () => {
  const m = new RateMeter(3000, 200);
  m.reset(5_000_000, 0); // resumed at 5 MB: not part of the speed
  assert.equal(m.rate(0), 0);
  m.sample(5_100_000, 100); // too soon to count
  assert.equal(m.rate(100), 0);
  m.sample(5_200_000, 200); // 200 kB in 200 ms
  assert.equal(Math.round(m.rate(200)), 1_000_000);
  // A burst at 10x only moves the average part of the way.
  m.sample(7_200_000, 400);
  const after = m.rate(400);
  assert.ok(after > 1_000_000 && after < 3_000_000, `smoothed: ${after}`);
  // Steady 1 MB/s converges.
  let bytes = 7_200_000;
  for (let t = 600; t <= 20_000; t += 200) m.sample((bytes += 200_000), t);
  assert.ok(Math.abs(m.rate(20_000) - 1_000_000) < 20_000);
  // A stall: the rate falls away rather than staying frozen.
  assert.ok(m.rate(30_000) < 100_000);
  // Going backwards (restart from zero) starts over.
  m.sample(0, 30_000);
  assert.equal(m.rate(30_000), 0);
});

test('ETA and byte formatting', () => {
  assert.equal(etaSeconds(10_000_000, 1_000_000), 10);
  assert.equal(etaSeconds(1, 1_000_000), 1);
  assert.equal(etaSeconds(0, 0), 0);
  assert.equal(etaSeconds(100, 0), null);
  assert.equal(etaSeconds(null, 1000), null);
  assert.equal(formatBytes(999), '999 bytes');
  assert.equal(formatBytes(1500), '1.5 kB');
  assert.equal(formatBytes(4_920_734_208), '4.9 GB');
  assert.equal(formatBytes(512 * 1024 * 1024), '537 MB');
});

test('errors from sockets and disks become retryable or not, with plain words', () => {
  const err = (code: string, message = code) => Object.assign(new Error(message), { code });
  assert.equal(toDownloadError(err('ECONNREFUSED'), 'x.gguf').kind, 'network');
  assert.equal(toDownloadError(err('ECONNRESET', 'aborted'), 'x.gguf').message, 'the connection was cut (ECONNRESET)');
  const full = toDownloadError(err('ENOSPC'), 'x.gguf');
  assert.equal(full.retryable, false);
  assert.equal(full.removePartial, true);
  assert.match(full.message, /disk filled up while downloading x\.gguf/);
  assert.match(toDownloadError(err('CERT_HAS_EXPIRED'), 'x.gguf').message, /clock/);
  assert.equal(toDownloadError(new TypeError('a bug'), 'x.gguf').retryable, false, 'our own bugs are not retried');
  const own = new DownloadError('kept', 'server');
  assert.equal(toDownloadError(own, 'x.gguf'), own);
});
