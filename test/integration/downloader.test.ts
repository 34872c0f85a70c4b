import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '../../appliance/src/log.js';
import { Problem } from '../../appliance/src/http/problem.js';
import { ModelDownloader, type DownloadStatus, type ModelDownloaderOptions } from '../../appliance/src/models/download/model-downloader.js';
import { ggufPayload, ModelServer, sha256Hex } from '../helpers/model-server.js';
import { freePort, removeDir, tempDataDir } from '../helpers/daemon.js';

// Quiet unless HEARTH_LOG_LEVEL asks for the downloader's log.
const quiet = createLogger('test', process.env.HEARTH_LOG_LEVEL ? undefined : 'error');
const MB = 1_000_000;

interface Fixture {
  dir: string;
  server: ModelServer;
  make(extra?: Partial<ModelDownloaderOptions>): Promise<ModelDownloader>;
}

/** A temp data dir, a model server, and downloaders that are stopped and cleaned up after the test. */
async function fixture(t: { after: (fn: () => Promise<void> | void) => void }): Promise<Fixture> {
  const dir = await tempDataDir('hearth-dl-');
  const server = await ModelServer.start();
  const made: ModelDownloader[] = [];
  t.after(async () => {
    for (const d of made) await d.stop();
    await server.close();
    await removeDir(dir);
  });
  return {
    dir,
    server,
    async make(extra = {}) {
      const d = new ModelDownloader({
        dataDir: dir,
        log: quiet,
        allowInsecureLoopback: true,
        retry: { tries: 5, baseDelayMs: 5, maxDelayMs: 20 },
        ...extra,
      });
      made.push(d);
      await d.start();
      return d;
    },
  };
}

/** Resolves with the first status of `id` that satisfies `pred`. */
function waitFor(d: ModelDownloader, id: string, pred: (s: DownloadStatus) => boolean, timeoutMs = 10_000): Promise<DownloadStatus> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${id}; last: ${JSON.stringify(d.get(id))}`));
    }, timeoutMs);
    const off = d.subscribe((s) => {
      if (s.id === id && pred(s)) {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    });
  });
}

/** Model files and partials in models/ (the queue file and its temp files aside). */
async function modelFiles(dir: string): Promise<string[]> {
  return (await readdir(join(dir, 'models'))).filter((n) => n.endsWith('.gguf') || n.endsWith('.partial'));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function queueFile(dir: string): Promise<{ version: number; downloads: Array<{ id: string; state: string; error: string | null }> }> {
  return JSON.parse(await readFile(join(dir, 'models', 'downloads.json'), 'utf8'));
}

test('a plain download lands in models/, verified by the given sha256, with progress and a persisted queue', async (t) => {
  const f = await fixture(t);
  const body = ggufPayload(3 * MB);
  const url = f.server.serve('/m/plain.gguf', { body });
  const d = await f.make();
  const events: DownloadStatus[] = [];
  d.subscribe((s) => events.push(s));
  const queued = await d.pull({ url, sha256: sha256Hex(body), size: body.length });
  assert.equal(queued.id, 'plain.gguf');
  assert.equal(queued.file, 'plain.gguf');
  const done = await d.settled('plain.gguf');
  assert.equal(done.state, 'done', done.error);
  assert.equal(done.receivedBytes, body.length);
  assert.equal(done.totalBytes, body.length);
  assert.equal(done.sha256, sha256Hex(body));
  assert.deepEqual(await readFile(join(f.dir, 'models', 'plain.gguf')), body);
  assert.equal(await exists(join(f.dir, 'models', 'plain.gguf.partial')), false);
  assert.deepEqual(
    [...new Set(events.map((e) => e.state))],
    ['queued', 'active', 'done'],
  );
  const received = events.map((e) => e.receivedBytes);
  assert.deepEqual(received, [...received].sort((a, b) => a - b), 'progress only goes up');
  const q = await queueFile(f.dir);
  assert.equal(q.downloads[0]?.state, 'done');
  assert.equal(f.server.bodyRequests('/m/plain.gguf').length, 1);
  assert.equal(f.server.requests[0]?.range, null);
  assert.deepEqual(d.list().map((s) => s.state), ['done']);
});

test('a connection cut at N bytes resumes with Range: bytes=N- and the result verifies', async (t) => {
  const f = await fixture(t);
  const body = ggufPayload(3 * MB);
  const url = f.server.serve('/m/cut.gguf', { body, faults: [{ cutAt: 1_200_000 }] });
  const d = await f.make();
  await d.pull({ url, sha256: sha256Hex(body) });
  const done = await d.settled('cut.gguf');
  assert.equal(done.state, 'done', done.error);
  const reqs = f.server.bodyRequests('/m/cut.gguf');
  assert.equal(reqs.length, 2);
  assert.equal(reqs[0]!.range, null);
  assert.equal(reqs[0]!.bytesSent, 1_200_000);
  // Bytes still in the socket buffer when the cut is noticed are lost, so N is at most the cut.
  const from = Number(/^bytes=(\d+)-$/.exec(reqs[1]!.range ?? '')?.[1]);
  assert.ok(from > 1_000_000 && from <= 1_200_000, `resumed from ${reqs[1]!.range}`);
  assert.equal(reqs[1]!.status, 206);
  assert.equal(reqs[1]!.bytesSent, body.length - from, 'only the rest was sent again');
  assert.equal(sha256Hex(await readFile(join(f.dir, 'models', 'cut.gguf'))), sha256Hex(body));
});

test('a daemon restart mid-download resumes from the partial file with Range', async (t) => {
  const f = await fixture(t);
  const body = ggufPayload(2 * MB);
  const url = f.server.serve('/m/restart.gguf', { body, faults: [{ trickle: 400_000 }] });
  const first = await f.make();
  await first.pull({ url, sha256: sha256Hex(body) });
  await waitFor(first, 'restart.gguf', (s) => s.receivedBytes >= 200_000);
  const t0 = Date.now();
  await first.stop();
  assert.ok(Date.now() - t0 < 1000, 'stop() aborts the request quickly');
  const partial = join(f.dir, 'models', 'restart.gguf.partial');
  const kept = (await stat(partial)).size;
  assert.ok(kept > 0 && kept < body.length, `a partial file is kept (${kept} bytes)`);
  assert.equal((await queueFile(f.dir)).downloads[0]?.state, 'active', 'the queue says it was running');

  const second = await f.make();
  const done = await second.settled('restart.gguf');
  assert.equal(done.state, 'done', done.error);
  const reqs = f.server.bodyRequests('/m/restart.gguf');
  assert.equal(reqs.length, 2);
  assert.equal(reqs[1]!.range, `bytes=${kept}-`);
  assert.equal(reqs[1]!.status, 206);
  assert.equal(sha256Hex(await readFile(join(f.dir, 'models', 'restart.gguf'))), sha256Hex(body));
  assert.equal(await exists(partial), false);
});

test('a server without Range support: the resume starts cleanly from zero', async (t) => {
  const f = await fixture(t);
  const body = ggufPayload(2 * MB);
  const url = f.server.serve('/m/norange.gguf', { body, fault: { noRange: true }, faults: [{ noRange: true, cutAt: 700_000 }] });
  const d = await f.make();
  await d.pull({ url, sha256: sha256Hex(body) });
  const done = await d.settled('norange.gguf');
  assert.equal(done.state, 'done', done.error);
  const reqs = f.server.bodyRequests('/m/norange.gguf');
  assert.equal(reqs.length, 2);
  assert.match(reqs[1]!.range ?? '', /^bytes=[1-9]\d*-$/, 'it did ask to resume');
  assert.equal(reqs[1]!.status, 200, 'but got the whole file');
  assert.deepEqual(await readFile(join(f.dir, 'models', 'norange.gguf')), body);
});

test('a wrong checksum from X-Linked-Etag: file deleted, clear error, state failed', async (t) => {
  const f = await fixture(t);
  const body = ggufPayload(1 * MB);
  const wrong = 'ab'.repeat(32);
  const url = f.server.serve('/m/badsum.gguf', { body, linked: { sha256: wrong, size: body.length } });
  const d = await f.make();
  await d.pull({ url });
  const s = await d.settled('badsum.gguf');
  assert.equal(s.state, 'failed');
  assert.match(s.error!, /failed verification: its sha256 is [0-9a-f]{64}, but abab.* was expected; the file was deleted/);
  assert.deepEqual(await modelFiles(f.dir), [], 'neither the file nor a partial is left');
  assert.equal((await queueFile(f.dir)).downloads[0]?.state, 'failed');
  assert.equal(f.server.bodyRequests('/m/badsum.gguf').length, 1, 'a checksum mismatch is not retried');
});

test('a 404 fails at once with the URL in the message', async (t) => {
  const f = await fixture(t);
  const url = f.server.serve('/m/missing.gguf', { body: ggufPayload(1000), fault: { status: 404 } });
  const d = await f.make();
  await d.pull({ url, sha256: 'cd'.repeat(32) });
  const s = await d.settled('missing.gguf');
  assert.equal(s.state, 'failed');
  assert.equal(s.error, `the server has no file at ${url} (404)`);
  assert.equal(f.server.requests.length, 1, 'not retried');
});

test('server errors are retried with back-off; an unreachable server gives up after N tries', async (t) => {
  const f = await fixture(t);
  const body = ggufPayload(500_000);
  const url = f.server.serve('/m/flaky.gguf', { body, faults: [{ status: 503 }, { status: 500 }] });
  const d = await f.make({ retry: { tries: 3, baseDelayMs: 5, maxDelayMs: 10 } });
  await d.pull({ url, sha256: sha256Hex(body) });
  assert.equal((await d.settled('flaky.gguf')).state, 'done');
  assert.equal(f.server.bodyRequests('/m/flaky.gguf').length, 3);

  const port = await freePort(); // nothing listens there
  await d.pull({ url: `http://127.0.0.1:${port}/nothing.gguf`, sha256: 'ef'.repeat(32) });
  const s = await d.settled('nothing.gguf');
  assert.equal(s.state, 'failed');
  assert.match(s.error!, new RegExp(`^could not reach 127\\.0\\.0\\.1:${port} after 3 tries: the connection was refused`));
});

test('a connection that goes silent is dropped after the idle timeout and resumed', async (t) => {
  const f = await fixture(t);
  const body = ggufPayload(1 * MB);
  const url = f.server.serve('/m/stall.gguf', { body, faults: [{ stallAt: 300_000 }] });
  const d = await f.make({ idleTimeoutMs: 300 });
  await d.pull({ url, sha256: sha256Hex(body) });
  const s = await d.settled('stall.gguf');
  assert.equal(s.state, 'done', s.error);
  assert.match(f.server.bodyRequests('/m/stall.gguf')[1]?.range ?? '', /^bytes=[1-9]\d*-$/);
});

test('a redirect chain: X-Linked-Etag/Size from the first hop verify the file', async (t) => {
  const f = await fixture(t);
  const body = ggufPayload(1 * MB);
  const url = f.server.serve('/org/repo/resolve/main/hub.gguf', { body, redirects: 3, linked: { sha256: sha256Hex(body), size: body.length } });
  const d = await f.make();
  const queued = await d.pull({ url: `${url}?download=true` });
  assert.equal(queued.file, 'hub.gguf', 'the file name comes from the URL path');
  const s = await d.settled('hub.gguf');
  assert.equal(s.state, 'done', s.error);
  assert.equal(s.sha256, sha256Hex(body));
  assert.deepEqual(
    f.server.requests.map((r) => r.kind),
    ['redirect', 'redirect', 'redirect', 'body'],
  );

  // The same hub headers with a wrong size make it fail before any byte is kept.
  f.server.serve('/org/repo/resolve/main/short.gguf', { body, redirects: 2, linked: { sha256: sha256Hex(body), size: body.length - 1 } });
  await d.pull({ url: f.server.url('/org/repo/resolve/main/short.gguf') });
  const short = await d.settled('short.gguf');
  assert.equal(short.state, 'failed');
  assert.match(short.error!, /is 1000000 bytes, but it should be 999999 bytes/);
  assert.equal(await exists(join(f.dir, 'models', 'short.gguf.partial')), false);

  // A loop is cut off.
  f.server.serve('/m/loop.gguf', { body, redirects: 12 });
  await d.pull({ url: f.server.url('/m/loop.gguf'), sha256: sha256Hex(body) });
  assert.match((await d.settled('loop.gguf')).error!, /too many redirects \(more than 10\)/);
});

test('without any known sha256 the download is refused unless allowed explicitly', async (t) => {
  const f = await fixture(t);
  const body = ggufPayload(200_000);
  const url = f.server.serve('/m/nosum.gguf', { body });
  const d = await f.make();
  await d.pull({ url });
  const s = await d.settled('nosum.gguf');
  assert.equal(s.state, 'failed');
  assert.match(s.error!, /no sha256 is known for nosum\.gguf/);
  assert.equal(await exists(join(f.dir, 'models', 'nosum.gguf.partial')), false);

  await d.pull({ url, allowUnverified: true }); // a second pull retries the failed entry
  const ok = await d.settled('nosum.gguf');
  assert.equal(ok.state, 'done', ok.error);
  assert.equal(ok.sha256, sha256Hex(body), 'the computed sha256 is reported');
});

test('a web page instead of a model fails clearly and leaves nothing behind', async (t) => {
  const f = await fixture(t);
  const d = await f.make();
  const models = join(f.dir, 'models');

  const byType = f.server.serve('/m/page.gguf', { body: ggufPayload(1000), fault: { html: true } });
  await d.pull({ url: byType, sha256: 'aa'.repeat(32) });
  const s1 = await d.settled('page.gguf');
  assert.equal(s1.state, 'failed');
  assert.match(s1.error!, /^the URL served a web page, not a GGUF file/);

  // Mislabelled as binary: the first bytes give it away.
  const html = Buffer.from('<!DOCTYPE html><html><body>Sign in to continue</body></html>');
  const byBody = f.server.serve('/m/disguised.gguf', { body: html });
  await d.pull({ url: byBody, sha256: 'aa'.repeat(32) });
  const s2 = await d.settled('disguised.gguf');
  assert.match(s2.error!, /^the URL served a web page, not a GGUF file/);

  const zip = f.server.serve('/m/other.gguf', { body: Buffer.from('PK\x03\x04 not a model at all') });
  await d.pull({ url: zip, sha256: 'aa'.repeat(32) });
  assert.match((await d.settled('other.gguf')).error!, /not a GGUF model \(it does not start with "GGUF"\)/);

  assert.deepEqual(await modelFiles(f.dir), []);
});

test('http:// is refused without the loopback option, and bad input changes nothing', async (t) => {
  const f = await fixture(t);
  const body = ggufPayload(1000);
  const url = f.server.serve('/m/plainhttp.gguf', { body });
  const strict = await f.make({ allowInsecureLoopback: false });
  await assert.rejects(strict.pull({ url, sha256: sha256Hex(body) }), (err: unknown) => {
    assert.ok(err instanceof Problem);
    assert.equal(err.status, 400);
    assert.match(err.detail, /only https:\/\/ URLs are accepted/i);
    return true;
  });
  const loose = await f.make();
  // The loopback option is for loopback only: no request is ever made to another host.
  await assert.rejects(loose.pull({ url: 'http://example.com/x.gguf', sha256: sha256Hex(body) }), /only https:\/\/ URLs are accepted/i);
  await assert.rejects(loose.pull({ url: 'ftp://127.0.0.1/x.gguf' }), /only https:\/\//i);
  await assert.rejects(loose.pull({ url, file: '../escape.gguf' }), /not a usable model file name/);
  await assert.rejects(loose.pull({ url, file: 'notes.txt' }), /not a GGUF file name/);
  await assert.rejects(loose.pull({ url, sha256: 'xyz' }), /64 hexadecimal digits/);
  await assert.rejects(loose.pull({ url, size: -1 }), /whole number of bytes/);
  assert.equal(f.server.requests.length, 0);
  assert.deepEqual(strict.list(), []);
  assert.deepEqual(loose.list(), []);
});

test('a model larger than the free disk is refused before any byte', async (t) => {
  const f = await fixture(t);
  const body = ggufPayload(3 * MB);
  const url = f.server.serve('/m/huge.gguf', { body });
  const d = await f.make({ freeBytes: async () => 2 * MB, diskMarginBytes: 0 });

  // Size known up front (catalog): not even a request.
  await d.pull({ url, sha256: sha256Hex(body), size: body.length });
  const s = await d.settled('huge.gguf');
  assert.equal(s.state, 'failed');
  assert.match(s.error!, /^not enough free disk space for huge\.gguf: it needs 3\.0 MB more \(plus 0 bytes to spare\), but only 2\.0 MB is free/);
  assert.equal(f.server.requests.length, 0, 'the server saw no request');
  await d.cancel('huge.gguf');

  // Size learnt from the response headers: refused before the body is read.
  await d.pull({ url, sha256: sha256Hex(body) });
  const s2 = await d.settled('huge.gguf');
  assert.match(s2.error!, /^not enough free disk space/);
  assert.equal(await exists(join(f.dir, 'models', 'huge.gguf.partial')), false, 'no byte was written');
});

test('a disk that fills up mid-way stops the download with a clear error and no complete file', async (t) => {
  const f = await fixture(t);
  const models = join(f.dir, 'models');
  await mkdir(models, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', models], { stdio: 'ignore' });
  } catch (err) {
    assert.fail(`this test fills a small tmpfs and needs root to mount it (mount -t tmpfs failed: ${(err as Error).message})`);
  }
  let fooled: ModelDownloader | null = null;
  try {
    const body = ggufPayload(4 * MB);
    const url = f.server.serve('/m/big.gguf', { body });

    // The real free-space check (statfs) sees the 2 MB disk and refuses up front.
    const checked = await f.make();
    await checked.pull({ url, sha256: sha256Hex(body), size: body.length });
    assert.match((await checked.settled('big.gguf')).error!, /^not enough free disk space for big\.gguf/);
    await checked.cancel('big.gguf');
    await checked.stop();

    // With the check fooled, the disk really fills: ENOSPC stops it.
    fooled = await f.make({ freeBytes: async () => 1e12 });
    await fooled.pull({ url, sha256: sha256Hex(body), size: body.length });
    const s = await fooled.settled('big.gguf');
    assert.equal(s.state, 'failed');
    assert.match(s.error!, /^the disk filled up while downloading big\.gguf; free some space/);
    assert.equal(await exists(join(models, 'big.gguf')), false, 'no complete file');
    assert.equal(await exists(join(models, 'big.gguf.partial')), false, 'the partial is deleted to give the space back');
    assert.equal((await queueFile(f.dir)).downloads[0]?.state, 'failed', 'the queue file could still be written');
    assert.equal(f.server.bodyRequests('/m/big.gguf').length, 1, 'a full disk is not retried');
  } finally {
    await fooled?.stop(); // closes the partial file, or the mount stays busy
    execFileSync('umount', ['--lazy', models]);
  }
});

test('two pulls of one model at once make one download', async (t) => {
  const f = await fixture(t);
  const body = ggufPayload(2 * MB);
  const url = f.server.serve('/m/twice.gguf', { body });
  const d = await f.make();
  const [a, b] = await Promise.all([d.pull({ url, sha256: sha256Hex(body) }), d.pull({ url, sha256: sha256Hex(body) })]);
  assert.equal(a.id, b.id);
  assert.equal(d.list().length, 1);
  assert.equal((await d.settled(a.id)).state, 'done');
  const again = await d.pull({ url }); // pulling a finished model just reports it
  assert.equal(again.state, 'done');
  const reqs = f.server.bodyRequests('/m/twice.gguf');
  assert.equal(reqs.length, 1);
  assert.equal(reqs[0]!.range, null);
  assert.equal(reqs[0]!.bytesSent, body.length);
  await assert.rejects(d.pull({ url: f.server.url('/elsewhere/twice.gguf') }), /already downloaded or queued from/);
});

test('cancel stops the download and removes the partial and the entry', async (t) => {
  const f = await fixture(t);
  const body = ggufPayload(2 * MB);
  const url = f.server.serve('/m/cancel.gguf', { body, fault: { trickle: 500_000 } });
  const d = await f.make();
  await d.pull({ url, sha256: sha256Hex(body) });
  await waitFor(d, 'cancel.gguf', (s) => s.receivedBytes > 100_000);
  const last = new Promise<DownloadStatus>((resolve) => d.subscribe((s) => s.state === 'cancelled' && resolve(s)));
  await d.cancel('cancel.gguf');
  assert.equal((await last).state, 'cancelled');
  assert.equal(d.get('cancel.gguf'), undefined);
  assert.deepEqual(await modelFiles(f.dir), []);
  assert.deepEqual((await queueFile(f.dir)).downloads, []);
});

test('pause keeps the partial; resume finishes it with Range; progress is throttled and smoothed', async (t) => {
  const f = await fixture(t);
  const body = ggufPayload(2 * MB);
  const url = f.server.serve('/m/pause.gguf', { body, faults: [{ trickle: 800_000 }] });
  const d = await f.make();
  const events: Array<{ at: number; s: DownloadStatus }> = [];
  d.subscribe((s) => events.push({ at: Date.now(), s }));
  await d.pull({ url, sha256: sha256Hex(body) });
  const moving = await waitFor(d, 'pause.gguf', (s) => s.receivedBytes > 600_000);
  assert.ok(moving.bytesPerSecond > 200_000 && moving.bytesPerSecond < 2_000_000, `a plausible rate: ${moving.bytesPerSecond}`);
  assert.ok(moving.etaSeconds !== null && moving.etaSeconds > 0);

  const paused = await d.pause('pause.gguf');
  assert.equal(paused.state, 'paused');
  assert.equal(paused.bytesPerSecond, 0);
  const partial = join(f.dir, 'models', 'pause.gguf.partial');
  const kept = (await stat(partial)).size;
  assert.equal(kept, paused.receivedBytes);
  assert.equal((await queueFile(f.dir)).downloads[0]?.state, 'paused');

  await d.resume('pause.gguf');
  const done = await d.settled('pause.gguf');
  assert.equal(done.state, 'done', done.error);
  assert.equal(f.server.bodyRequests('/m/pause.gguf')[1]?.range, `bytes=${kept}-`);
  assert.deepEqual(await readFile(join(f.dir, 'models', 'pause.gguf')), body);

  // Byte-progress events (same state, more bytes) come at most ~4 a second.
  for (let i = 1; i < events.length; i++) {
    const [a, b] = [events[i - 1]!, events[i]!];
    if (a.s.state === 'active' && b.s.state === 'active') assert.ok(b.at - a.at >= 240, `events ${b.at - a.at} ms apart`);
  }
});

test('only one download runs at a time; the next starts when it ends', async (t) => {
  const f = await fixture(t);
  const one = ggufPayload(600_000);
  const two = ggufPayload(600_000);
  const u1 = f.server.serve('/m/one.gguf', { body: one, faults: [{ trickle: 2_000_000 }] });
  const u2 = f.server.serve('/m/two.gguf', { body: two });
  const d = await f.make();
  await d.pull({ url: u1, sha256: sha256Hex(one) });
  await d.pull({ url: u2, sha256: sha256Hex(two) });
  assert.deepEqual(
    d.list().map((s) => [s.id, s.state]),
    [
      ['one.gguf', 'active'],
      ['two.gguf', 'queued'],
    ],
  );
  assert.equal((await d.settled('one.gguf')).state, 'done');
  assert.equal((await d.settled('two.gguf')).state, 'done');
  const order = f.server.requests.map((r) => r.path);
  assert.deepEqual(order, ['/m/one.gguf', '/m/two.gguf']);
});

test('a partial that is already complete after a restart is verified and renamed without a request', async (t) => {
  const f = await fixture(t);
  const body = ggufPayload(1 * MB);
  const url = f.server.serve('/m/complete.gguf', { body, faults: [{ trickle: 1_000_000 }] });
  const first = await f.make();
  await first.pull({ url, sha256: sha256Hex(body) });
  await waitFor(first, 'complete.gguf', (s) => s.receivedBytes >= 100_000);
  await first.stop();
  // As if the power went after the last byte was written but before the rename.
  const partial = join(f.dir, 'models', 'complete.gguf.partial');
  const have = (await stat(partial)).size;
  await appendFile(partial, body.subarray(have));
  const before = f.server.requests.length;

  const second = await f.make();
  const s = await second.settled('complete.gguf');
  assert.equal(s.state, 'done', s.error);
  assert.equal(f.server.requests.length, before, 'no new request');
  assert.deepEqual(await readFile(join(f.dir, 'models', 'complete.gguf')), body);
});

test('a broken downloads.json is kept aside, and partials nobody owns are removed', async (t) => {
  const f = await fixture(t);
  const models = join(f.dir, 'models');
  await mkdir(models, { recursive: true });
  await writeFile(join(models, 'downloads.json'), '{"version": 1, "downloads": [');
  await writeFile(join(models, 'orphan.gguf.partial'), 'GGUF....');
  await writeFile(join(models, 'kept.gguf'), 'GGUF a finished model stays');
  const d = await f.make();
  assert.deepEqual(d.list(), []);
  const names = await readdir(models);
  assert.ok(names.some((n) => n.startsWith('downloads.json.broken-')));
  assert.ok(!names.includes('orphan.gguf.partial'));
  assert.ok(names.includes('kept.gguf'));
  // A finished model of the same name is not overwritten by a new pull.
  await assert.rejects(d.pull({ url: f.server.url('/m/kept.gguf'), sha256: 'aa'.repeat(32) }), /already in the models folder/);
});
