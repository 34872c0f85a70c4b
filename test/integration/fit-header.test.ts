import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog } from '../../appliance/src/models/catalog/catalog.js';
import { assertDownloadAllowed } from '../../appliance/src/models/catalog/fit.js';
import { FitChecker } from '../../appliance/src/models/catalog/fit-checker.js';
import { fixedMemory, type MachineMemory } from '../../appliance/src/models/catalog/machine-memory.js';
import { writeSyntheticModel } from '../../appliance/src/models/gguf/synth.js';
import { Problem } from '../../appliance/src/http/problem.js';

const GiB = 1024 ** 3;
const MINI_PC: MachineMemory = { totalRam: 8 * GiB, freeRam: 6.5 * GiB, vram: { total: 0, free: 0 }, unified: false };
/** 1.5 GiB headroom leaves a few hundred KiB: not even the tiny model fits. */
const NEARLY_FULL: MachineMemory = { totalRam: 4 * GiB, freeRam: 1.5 * GiB + 300 * 1024, vram: { total: 0, free: 0 }, unified: false };

let dir: string;
let modelPath: string;
let model: Buffer;
let server: Server;
let base: string;
const requests: Array<{ path: string; range: string | undefined }> = [];

/**
 * A loopback server that serves the model the way the hub does, with Range support (bytes=a-b and
 * bytes=a-), plus the ways an address can be wrong: a web page, nothing, and no range support.
 */
async function startServer(): Promise<void> {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push({ path, range: req.headers.range });
    if (path === '/page') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><html><body>A model card, not a model</body></html>');
      return;
    }
    if (path === '/whole/model.gguf') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': model.length }).end(model);
      return;
    }
    if (path !== '/org/repo/resolve/main/demo-tiny.gguf') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
      return;
    }
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': model.length, 'accept-ranges': 'bytes' }).end(model);
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(m[2] ? Number(m[2]) : model.length - 1, model.length - 1);
    if (start >= model.length) {
      res.writeHead(416, { 'content-range': `bytes */${model.length}` }).end();
      return;
    }
    const body = model.subarray(start, end + 1);
    res
      .writeHead(206, {
        'content-type': 'application/octet-stream',
        'content-length': body.length,
        'content-range': `bytes ${start}-${end}/${model.length}`,
        'accept-ranges': 'bytes',
      })
      .end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-fit-'));
  modelPath = join(dir, 'demo-tiny.gguf');
  await writeSyntheticModel({ out: modelPath, shape: 'tiny', type: 'f32' });
  model = await readFile(modelPath);
  await startServer();
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

const catalog = loadCatalog();
const checker = (memory: MachineMemory, extra: Partial<ConstructorParameters<typeof FitChecker>[0]> = {}) =>
  new FitChecker({ catalog, memory: fixedMemory(memory), allowLoopbackHttp: true, headerTimeoutMs: 5000, ...extra });

test('a local GGUF file gets a verdict from its own header', async () => {
  const v = await checker(MINI_PC).verdictForFile(modelPath);
  assert.equal(v.basis, 'gguf-header');
  assert.equal(v.verdict, 'fits');
  assert.equal(v.source, 'custom');
  assert.match(v.name, /^Hearth synthetic/, 'named from general.name');
  assert.equal(v.modelId, 'custom-demo-tiny');
  assert.equal(v.requestedContextSize, 1024, 'capped at the context the header declares');
  assert.ok(v.need.weightsBytes > 0.9 * model.length && v.need.weightsBytes <= model.length, `${v.need.weightsBytes} vs ${model.length}`);
  assert.ok(v.need.kvCacheBytes > 0 && v.need.overheadBytes > 0);
  assert.equal(v.parameters, catalog.models.find((m) => m.id === 'demo')!.parameters, 'header and catalog agree on the demo');
});

test('the demo entry uses its generated file’s header when there is one, the catalog otherwise', async () => {
  const demo = catalog.models.find((m) => m.id === 'demo')!;
  const fromFile = await checker(MINI_PC, { localFile: (e) => (e.id === 'demo' ? modelPath : null) }).verdictFor(demo);
  assert.equal(fromFile.basis, 'gguf-header');
  assert.equal(fromFile.verdict, 'fits');
  const fallbacks: string[] = [];
  const missing = await checker(MINI_PC, { localFile: () => join(dir, 'not-there.gguf'), onFallback: (e, why) => fallbacks.push(`${e.id}: ${why}`) }).verdictFor(demo);
  assert.equal(missing.basis, 'catalog');
  assert.equal(missing.verdict, 'fits');
  assert.equal(fallbacks.length, 1);
  assert.match(fallbacks[0]!, /^demo: local header unreadable/);
});

test('a custom model over loopback HTTP: verdict from its header, read with range requests', async () => {
  requests.length = 0;
  const url = `${base}/org/repo/resolve/main/demo-tiny.gguf`;
  const v = await checker(MINI_PC).verdictForUrl(url);
  const local = await checker(MINI_PC).verdictForFile(modelPath);
  assert.equal(v.basis, 'gguf-header');
  assert.equal(v.verdict, 'fits');
  assert.equal(v.modelId, 'custom-demo-tiny');
  assert.deepEqual(v.need, local.need, 'the same header gives the same numbers, wherever it is read from');
  const hits = requests.filter((r) => r.path.endsWith('demo-tiny.gguf'));
  assert.ok(hits.length >= 2 && hits.every((r) => r.range?.startsWith('bytes=')), JSON.stringify(hits));
  assert.equal(hits[0]!.range, 'bytes=0-7', 'a small probe first');

  // The same file on a machine where it would not fit: no download without an override.
  const tight = await checker(NEARLY_FULL).verdictForUrl(url);
  assert.equal(tight.verdict, 'does-not-fit');
  assert.throws(() => assertDownloadAllowed(tight), (err: unknown) => err instanceof Problem && err.status === 409);
  assert.doesNotThrow(() => assertDownloadAllowed(tight, { override: true }));
});

test('plain http is refused unless the loopback exception was asked for', async () => {
  const url = `${base}/org/repo/resolve/main/demo-tiny.gguf`;
  requests.length = 0;
  await assert.rejects(
    checker(MINI_PC, { allowLoopbackHttp: false }).verdictForUrl(url),
    (err: unknown) => err instanceof Problem && err.status === 400 && /HTTPS only/.test(err.detail),
  );
  assert.equal(requests.length, 0, 'refused before any request');
});

test('a URL that serves a web page gets a clear error', async () => {
  await assert.rejects(
    checker(MINI_PC).verdictForUrl(`${base}/page`),
    (err: unknown) => err instanceof Problem && err.status === 422 && err.title === 'Not a GGUF file' && /web page \(text\/html\)/.test(err.detail) && /resolve\/main/.test(err.detail),
  );
});

test('a missing file and a server without range requests get clear errors too', async () => {
  await assert.rejects(
    checker(MINI_PC).verdictForUrl(`${base}/org/repo/resolve/main/nothing.gguf`),
    (err: unknown) => err instanceof Problem && err.status === 422 && /HTTP 404/.test(err.detail),
  );
  await assert.rejects(
    checker(MINI_PC).verdictForUrl(`${base}/whole/model.gguf`),
    (err: unknown) => err instanceof Problem && err.status === 422 && /range requests/.test(err.detail),
  );
  // Nothing listens on port 9 of loopback: unreachable, said at once.
  await assert.rejects(
    checker(MINI_PC).verdictForUrl('http://127.0.0.1:9/model.gguf'),
    (err: unknown) => err instanceof Problem && err.status === 502 && /Could not reach 127\.0\.0\.1/.test(err.detail),
  );
});

test('catalog entries read their header from the hub when allowed, once, and fall back to the catalog when they cannot', async (t) => {
  // The hub is stood in for by the loopback server: every huggingface.co request is re-aimed at it,
  // so nothing leaves this machine.
  const realFetch = globalThis.fetch;
  const hubHits: string[] = [];
  t.mock.method(globalThis, 'fetch', (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.hostname !== 'huggingface.co') return realFetch(input, init);
    hubHits.push(url.pathname);
    return realFetch(`${base}${url.pathname}`, init);
  });
  const demo = catalog.models.find((m) => m.id === 'demo')!;
  const asHub = (id: string, file: string) => ({
    ...demo,
    id,
    source: 'huggingface' as const,
    files: [{ url: `https://huggingface.co/org/repo/resolve/main/${file}`, sizeBytes: demo.sizeBytes, sha256: null }],
  });
  const fallbacks: string[] = [];
  const fc = checker(MINI_PC, {
    catalog: { version: 1, models: [asHub('on-hub', 'demo-tiny.gguf'), asHub('gone', 'removed.gguf')] },
    remoteHeaders: true,
    onFallback: (e) => fallbacks.push(e.id),
  });
  const [onHub, gone] = await fc.catalogVerdicts();
  assert.equal(onHub!.basis, 'gguf-header');
  assert.equal(onHub!.verdict, 'fits');
  assert.equal(gone!.basis, 'catalog', 'unreadable header: the catalog’s figures stand in');
  assert.equal(gone!.verdict, 'fits');
  assert.deepEqual(fallbacks, ['gone']);
  const before = hubHits.filter((p) => p.endsWith('demo-tiny.gguf')).length;
  assert.ok(before >= 1);
  await fc.catalogVerdicts();
  assert.equal(hubHits.filter((p) => p.endsWith('demo-tiny.gguf')).length, before, 'a header read once is remembered');
  assert.equal(hubHits.filter((p) => p.endsWith('removed.gguf')).length, 2, 'a failed read is tried again next time');
});
