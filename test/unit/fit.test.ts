import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HF_FILE_URL, loadCatalog, parseCatalog, type Catalog } from '../../appliance/src/models/catalog/catalog.js';
import {
  assertDownloadAllowed,
  assertLoadAllowed,
  computeFit,
  kvCacheBytes,
  memoryBudget,
  recommend,
  requirementsFromCatalog,
  type FitVerdict,
} from '../../appliance/src/models/catalog/fit.js';
import { FitChecker } from '../../appliance/src/models/catalog/fit-checker.js';
import { fixedMemory, parseMemInfo, type MachineMemory } from '../../appliance/src/models/catalog/machine-memory.js';
import { checkModelUrl } from '../../appliance/src/models/catalog/model-header.js';
import { syntheticModelLayout } from '../../appliance/src/models/gguf/synth.js';
import { Problem } from '../../appliance/src/http/problem.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** A fanless 8 GB mini PC, CPU only, after the OS and hearthd took their share. */
const MINI_PC_8GB: MachineMemory = { totalRam: 8 * GiB, freeRam: 6.5 * GiB, vram: { total: 0, free: 0 }, unified: false };
/** A 24 GB machine, CPU only. */
const DESKTOP_24GB: MachineMemory = { totalRam: 24 * GiB, freeRam: 21 * GiB, vram: { total: 0, free: 0 }, unified: false };
/** DGX Spark: 128 GB of unified memory, reported by both the OS and the GPU. */
const DGX_SPARK: MachineMemory = { totalRam: 119.7 * GiB, freeRam: 112 * GiB, vram: { total: 119.7 * GiB, free: 112 * GiB }, unified: true };

const catalog = loadCatalog();

async function verdicts(memory: MachineMemory): Promise<Map<string, FitVerdict>> {
  const checker = new FitChecker({ catalog, memory: fixedMemory(memory) });
  return new Map((await checker.catalogVerdicts()).map((v) => [v.modelId, v]));
}

function get(map: Map<string, FitVerdict>, id: string): FitVerdict {
  const v = map.get(id);
  assert.ok(v, `no verdict for ${id}`);
  return v;
}

test('the catalog file validates: real GGUF files on the hub, 1B to 120B, plus the offline demo', () => {
  const ids = catalog.models.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  const real = catalog.models.filter((m) => m.source === 'huggingface');
  assert.ok(real.length >= 10 && real.length <= 16, `${real.length} real models`);
  for (const m of real) {
    assert.ok(m.files.length >= 1, m.id);
    for (const f of m.files) {
      assert.match(f.url, HF_FILE_URL, `${m.id}: ${f.url}`);
      assert.ok(f.url.startsWith('https://huggingface.co/') && f.url.includes('/resolve/main/') && f.url.endsWith('.gguf'));
      assert.ok(f.sizeBytes > 0);
      assert.ok(f.sha256 === null || /^[0-9a-f]{64}$/.test(f.sha256));
    }
    assert.equal(m.files.reduce((s, f) => s + f.sizeBytes, 0), m.sizeBytes, `${m.id} size is the sum of its parts`);
    assert.ok(m.licence.name.length > 0, `${m.id} has a licence`);
    assert.ok(m.sizeBytes > 0 && m.contextLength >= 2048 && m.parameters > 0);
    assert.ok(m.architecture, `${m.id} has architecture numbers for the KV estimate`);
  }
  const params = real.map((m) => m.parameters);
  assert.ok(Math.min(...params) <= 1.5e9 && Math.max(...params) >= 100e9, 'spans small to 120B');
  assert.ok(real.some((m) => m.files.length > 1), 'a very large model comes in parts');

  const demo = catalog.models.find((m) => m.id === 'demo');
  assert.ok(demo && demo.source === 'synthetic' && demo.files.length === 0);
  assert.equal(demo.name, 'Demo model (offline, not smart)');
  // The catalog's demo figures are the synthetic writer's own.
  const layout = syntheticModelLayout(demo.synthetic.shape, demo.synthetic.type);
  assert.equal(demo.sizeBytes, layout.totalBytes);
  assert.equal(demo.parameters, layout.parameters);
  assert.equal(demo.contextLength, layout.shape.context);
  assert.equal(demo.architecture?.layers, layout.shape.layers);
});

test('a broken catalog is refused with every problem named', () => {
  const raw = JSON.parse(JSON.stringify(catalog)) as { models: Array<Record<string, unknown>> };
  const llama = raw.models.find((m) => m.id === 'llama-3.2-1b-instruct')!;
  (llama.files as Array<{ url: string }>)[0]!.url = 'http://huggingface.co/x/y/resolve/main/z.gguf';
  const copy = { ...raw.models.find((m) => m.id === 'qwen3-8b')!, sizeBytes: 1 };
  raw.models.push(copy);
  assert.throws(
    () => parseCatalog(raw),
    (err: Error) => /https address of a .gguf file/.test(err.message) && /duplicate id qwen3-8b/.test(err.message) && /not the sum of its files/.test(err.message),
  );
});

test('8 GB mini PC: 1B and 3B fit, 7–8B only with a smaller context or not at all, 70B and 120B do not', async () => {
  const v = await verdicts(MINI_PC_8GB);
  assert.equal(get(v, 'llama-3.2-1b-instruct').verdict, 'fits');
  assert.equal(get(v, 'llama-3.2-3b-instruct').verdict, 'fits');
  assert.equal(get(v, 'llama-3.2-3b-instruct').contextSize, 8192);
  for (const id of ['mistral-7b-instruct-v0.3', 'qwen3-8b']) assert.notEqual(get(v, id).verdict, 'fits', id);
  const mistral = get(v, 'mistral-7b-instruct-v0.3');
  assert.equal(mistral.verdict, 'fits-smaller-context');
  assert.ok(mistral.contextSize >= 2048 && mistral.contextSize < 8192 && mistral.contextSize % 256 === 0, String(mistral.contextSize));
  assert.equal(mistral.maxContextSize, mistral.contextSize);
  for (const id of ['llama-3.3-70b-instruct', 'gpt-oss-120b', 'qwen3-32b']) {
    const big = get(v, id);
    assert.equal(big.verdict, 'does-not-fit', id);
    assert.equal(big.maxContextSize, null);
    assert.match(big.reason, /Does not fit: needs about \d+\.\d GiB .* only 5\.0 GiB is free/);
  }
  // The numbers behind a verdict add up, and are labelled estimates.
  for (const x of v.values()) {
    assert.equal(x.estimate, true);
    assert.equal(x.basis, 'catalog');
    assert.equal(x.need.totalBytes, x.need.weightsBytes + x.need.kvCacheBytes + x.need.overheadBytes);
    assert.equal(x.have.usableBytes, 6.5 * GiB - 1.5 * GiB, 'headroom is 1.5 GiB on a small machine');
    if (x.verdict !== 'does-not-fit') assert.ok(x.need.totalBytes <= x.have.usableBytes, x.modelId);
    else assert.ok(x.need.totalBytes > x.have.usableBytes, x.modelId);
  }
  const pick = recommend([...v.values()]);
  assert.ok(pick && pick.verdict === 'fits' && pick.parameters! <= 4.5e9, pick?.modelId);
});

test('fits with a smaller context gives the largest context that fits, to the 256-token step', async () => {
  const entry = catalog.models.find((m) => m.id === 'mistral-7b-instruct-v0.3')!;
  const req = requirementsFromCatalog(entry);
  const subject = { modelId: entry.id, name: entry.name, source: entry.source };
  const verdict = computeFit(subject, req, MINI_PC_8GB);
  assert.equal(verdict.verdict, 'fits-smaller-context');
  const at = (n: number) => computeFit(subject, req, MINI_PC_8GB, { contextSize: n });
  assert.equal(at(verdict.contextSize).verdict, 'fits', 'the chosen context itself fits');
  assert.notEqual(at(verdict.contextSize + 256).verdict, 'fits', 'one step more does not');
  assert.match(verdict.reason, new RegExp(`Fits with a ${verdict.contextSize}-token context instead of 8192`));
});

test('24 GB machine: up to the 24–27B models fit, 32B and up do not', async () => {
  const v = await verdicts(DESKTOP_24GB);
  for (const id of ['qwen3-8b', 'qwen3-14b', 'phi-4', 'gpt-oss-20b', 'mistral-small-24b-instruct-2501', 'gemma-3-27b-it']) {
    assert.equal(get(v, id).verdict, 'fits', id);
  }
  for (const id of ['qwen3-32b', 'llama-3.3-70b-instruct', 'gpt-oss-120b']) assert.equal(get(v, id).verdict, 'does-not-fit', id);
  assert.equal(get(v, 'demo').verdict, 'fits');
  assert.equal(get(v, 'demo').contextSize, 4096, 'capped at the model’s own context (8192 asked)');
  assert.ok(Math.abs(get(v, 'demo').have.headroomBytes - 2.4 * GiB) < 1, '10 % of RAM when that is more than 1.5 GiB');
  assert.equal(recommend([...v.values()])?.modelId, 'gemma-3-27b-it');
});

test('128 GB unified DGX Spark: 70B and gpt-oss-120b fit, memory counted once', async () => {
  const v = await verdicts(DGX_SPARK);
  assert.equal(get(v, 'llama-3.3-70b-instruct').verdict, 'fits');
  assert.equal(get(v, 'gpt-oss-120b').verdict, 'fits');
  const budget = memoryBudget(DGX_SPARK);
  assert.ok(Math.abs(budget.usableBytes - (112 - 11.97) * GiB) < MiB, 'one pool: free minus 10 % headroom, VRAM not added');
  assert.equal(budget.unified, true);
  // The same numbers as a discrete card would be double: that is the mistake unified memory must not make.
  const asIfDiscrete = memoryBudget({ ...DGX_SPARK, unified: false });
  assert.ok(asIfDiscrete.usableBytes > 1.9 * budget.usableBytes);
  // A unified GPU that reports less free than the OS bounds the pool.
  assert.ok(memoryBudget({ ...DGX_SPARK, vram: { total: 119.7 * GiB, free: 60 * GiB } }).usableBytes < 50 * GiB);
  assert.equal(recommend([...v.values()])?.modelId, 'gpt-oss-120b');
});

test('a discrete GPU adds its free VRAM to free RAM, less its own headroom', () => {
  const memory: MachineMemory = { totalRam: 16 * GiB, freeRam: 13 * GiB, vram: { total: 12 * GiB, free: 11.5 * GiB }, unified: false };
  const b = memoryBudget(memory);
  assert.ok(Math.abs(b.usableBytes - ((13 - 1.6) * GiB + (11.5 - 0.6) * GiB)) < MiB);
  const entry = catalog.models.find((m) => m.id === 'mistral-small-24b-instruct-2501')!;
  assert.equal(computeFit({ modelId: entry.id, name: entry.name, source: 'huggingface' }, requirementsFromCatalog(entry), memory).verdict, 'fits');
  assert.equal(computeFit({ modelId: entry.id, name: entry.name, source: 'huggingface' }, requirementsFromCatalog(entry), { ...memory, vram: { total: 0, free: 0 } }).verdict, 'does-not-fit');
});

test('KV cache from architecture numbers: f16 K and V per layer, sliding windows capped', () => {
  const llama1b = catalog.models.find((m) => m.id === 'llama-3.2-1b-instruct')!.architecture!;
  assert.equal(kvCacheBytes(llama1b, 8192), 2 * 8 * 64 * 2 * 16 * 8192);
  const gemma = catalog.models.find((m) => m.id === 'gemma-3-27b-it')!.architecture!;
  const everyLayerFull = kvCacheBytes({ ...gemma, slidingWindow: null, fullAttentionLayers: null }, 32768);
  assert.ok(kvCacheBytes(gemma, 32768) < everyLayerFull / 4, 'local layers keep only their window');
  assert.equal(kvCacheBytes(gemma, 1024), kvCacheBytes({ ...gemma, slidingWindow: null, fullAttentionLayers: null }, 1024), 'no saving below the window');
});

test('recommend: the largest real model that fits with the full context; never the demo; null when none', async () => {
  const tiny: MachineMemory = { totalRam: 2 * GiB, freeRam: 1.7 * GiB, vram: { total: 0, free: 0 }, unified: false };
  const v = await verdicts(tiny);
  assert.equal(get(v, 'demo').verdict, 'fits');
  assert.equal(recommend([...v.values()]), null);
  const smaller = [...(await verdicts(MINI_PC_8GB)).values()].filter((x) => x.verdict !== 'fits' || x.source === 'synthetic');
  assert.equal(recommend(smaller), null, 'fits-smaller-context is not enough for a recommendation');
  assert.equal(recommend([]), null);
});

test('a model that does not fit needs an explicit override to download, and never loads', async () => {
  const v = await verdicts(MINI_PC_8GB);
  const big = get(v, 'llama-3.3-70b-instruct');
  assert.throws(
    () => assertDownloadAllowed(big),
    (err: unknown) =>
      err instanceof Problem && err.status === 409 && /Llama 3\.3 70B Instruct does not fit on this machine/.test(err.detail) && /override/.test(err.detail) && err.extra.modelId === big.modelId,
  );
  assert.throws(() => assertDownloadAllowed(big, { override: false }), Problem);
  assert.doesNotThrow(() => assertDownloadAllowed(big, { override: true }));
  assert.doesNotThrow(() => assertDownloadAllowed(get(v, 'mistral-7b-instruct-v0.3')));
  assert.doesNotThrow(() => assertDownloadAllowed(get(v, 'llama-3.2-1b-instruct')));

  // Load: no override exists; a smaller context is chosen when that is what fits.
  assert.throws(() => assertLoadAllowed(big), (err: unknown) => err instanceof Problem && err.status === 409 && /cannot be loaded/.test(err.detail));
  const mistral = get(v, 'mistral-7b-instruct-v0.3');
  assert.deepEqual(assertLoadAllowed(mistral), { contextSize: mistral.maxContextSize });
  assert.deepEqual(assertLoadAllowed(mistral, { contextSize: 2048 }), { contextSize: 2048 });
  assert.throws(() => assertLoadAllowed(mistral, { contextSize: 8192 }), (err: unknown) => err instanceof Problem && err.status === 409 && /at most a \d+-token context/.test(err.detail));
  assert.deepEqual(assertLoadAllowed(get(v, 'llama-3.2-1b-instruct')), { contextSize: 8192 });
});

test('MemAvailable, not MemFree, is the free RAM', () => {
  const text = 'MemTotal:       16303428 kB\nMemFree:          512000 kB\nMemAvailable:   12000000 kB\nBuffers:  1 kB\n';
  assert.deepEqual(parseMemInfo(text), { totalRam: 16303428 * 1024, freeRam: 12000000 * 1024 });
  assert.equal(parseMemInfo('MemTotal: 1 kB\n'), null);
});

test('custom model addresses: https only; plain http just for loopback, and only when a test asks', () => {
  assert.equal(checkModelUrl('https://huggingface.co/a/b/blob/main/m.gguf').href, 'https://huggingface.co/a/b/resolve/main/m.gguf');
  const refused = (raw: string, allowLoopbackHttp = false) =>
    assert.throws(() => checkModelUrl(raw, { allowLoopbackHttp }), (err: unknown) => err instanceof Problem && err.status === 400);
  refused('http://example.com/m.gguf');
  refused('http://example.com/m.gguf', true);
  refused('http://10.0.0.5/m.gguf', true);
  refused('http://127.0.0.1:9/m.gguf');
  refused('ftp://example.com/m.gguf');
  refused('not a url');
  refused('https://user:pw@example.com/m.gguf');
  assert.throws(() => checkModelUrl('http://example.com/m.gguf'), /HTTPS only/);
  assert.equal(checkModelUrl('http://127.0.0.1:9/m.gguf', { allowLoopbackHttp: true }).hostname, '127.0.0.1');
  assert.equal(checkModelUrl('http://[::1]:9/m.gguf', { allowLoopbackHttp: true }).hostname, '[::1]');
});

test('headers are only read from the hub when asked: the catalog alone needs no network', async () => {
  const seen: string[] = [];
  const onlyLocal: Catalog = { ...catalog, models: catalog.models.filter((m) => m.id !== 'demo') };
  const checker = new FitChecker({ catalog: onlyLocal, memory: fixedMemory(DESKTOP_24GB), onFallback: (e) => seen.push(e.id) });
  const all = await checker.catalogVerdicts();
  assert.equal(all.length, onlyLocal.models.length);
  assert.ok(all.every((x) => x.basis === 'catalog'));
  assert.deepEqual(seen, [], 'nothing was tried');
});
