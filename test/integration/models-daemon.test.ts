import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { CLI, controlRequest, removeDir, startDaemon, tempDataDir, type RunningDaemon, runHearth } from '../helpers/daemon.js';
import { HttpClient } from '../helpers/http-client.js';
import { ModelServer } from '../helpers/model-server.js';
import { tinyModelPath } from '../helpers/synth-model.js';

// hearthd with a mirror catalog on a loopback server: the real catalog, fit, download and load path.
let d: RunningDaemon;
let server: ModelServer;
let owner: HttpClient;
let modelBody: Buffer;
let work: string;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const hearth = runHearth;

const entry = (id: string, url: string, body: Buffer, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Test ${id}`,
  family: 'synthetic',
  summary: 'A synthetic model served by the test mirror.',
  source: 'huggingface',
  parameters: 500000,
  quantization: 'Q8_0',
  files: [{ url, sizeBytes: body.length, sha256: sha(body) }],
  sizeBytes: body.length,
  sizeVerified: true,
  licence: { name: 'test', url: null },
  contextLength: 1024,
  architecture: { vocab: 768, layers: 2, heads: 4, kvHeads: 2, headDim: 32, slidingWindow: null, fullAttentionLayers: null },
  ...extra,
});

before(async () => {
  work = await tempDataDir('hearth-mirror-');
  modelBody = await readFile(await tinyModelPath('q8_0'));
  server = await ModelServer.start();
  // Like the hub: a redirect carrying X-Linked-*, then a connection cut half-way so the download must resume.
  const tinyUrl = server.serve('/org/tiny/resolve/main/tiny-q8.gguf', {
    body: modelBody,
    redirects: 1,
    linked: { sha256: sha(modelBody), size: modelBody.length },
    faults: [{ cutAt: Math.floor(modelBody.length / 2), trickle: 400_000 }],
  });
  const twinUrl = server.serve('/org/twin/resolve/main/twin.gguf', { body: modelBody, fault: { trickle: 300_000 } });
  const junk = Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(4, 3), Buffer.alloc(60_000, 7)]);
  const junkUrl = server.serve('/org/junk/resolve/main/junk.gguf', { body: junk });
  const huge = Buffer.alloc(16);
  const catalog = {
    version: 1,
    models: [
      {
        id: 'demo',
        name: 'Demo model (offline, not smart)',
        family: 'synthetic',
        summary: 'Generated on the box.',
        source: 'synthetic',
        synthetic: { shape: 'tiny', type: 'f32' },
        parameters: 492160,
        quantization: 'F32',
        files: [],
        sizeBytes: 1987168,
        sizeVerified: true,
        licence: { name: 'Generated locally by Hearth', url: null },
        contextLength: 1024,
        architecture: { vocab: 768, layers: 2, heads: 4, kvHeads: 2, headDim: 32, slidingWindow: null, fullAttentionLayers: null },
      },
      entry('tiny', tinyUrl, modelBody),
      entry('twin', twinUrl, modelBody),
      entry('junk', junkUrl, junk),
      { ...entry('giant', server.url('/org/giant/resolve/main/giant.gguf'), huge), files: [{ url: server.url('/org/giant/resolve/main/giant.gguf'), sizeBytes: 10 ** 13, sha256: null }], sizeBytes: 10 ** 13, parameters: 10 ** 13 },
    ],
  };
  await writeFile(join(work, 'catalog.json'), JSON.stringify(catalog));
  d = await startDaemon({ env: { HEARTH_CATALOG: join(work, 'catalog.json'), HEARTH_ALLOW_LOOPBACK_HTTP: '1' } });
  await controlRequest(d.socketPath, 'POST', '/setup', { owner: 'alice', password: 'correct horse battery', name: 'Lab' });
  owner = new HttpClient(d.url);
  assert.equal((await owner.post('/api/auth/login', { username: 'alice', password: 'correct horse battery' })).status, 200);
});
after(async () => {
  await d?.stop();
  await server?.close();
  if (d) await removeDir(d.dataDir);
  await removeDir(work);
});

test('the catalog comes with a verdict for this machine and a recommendation', async () => {
  assert.equal((await new HttpClient(d.url).get('/api/models')).status, 401, 'owner only');
  const r = await owner.get('/api/models');
  assert.equal(r.status, 200);
  const byId = Object.fromEntries(r.body.models.map((m: { id: string; verdict: { verdict: string } }) => [m.id, m.verdict.verdict]));
  assert.equal(byId.tiny, 'fits');
  assert.equal(byId.giant, 'does-not-fit');
  assert.notEqual(r.body.recommended, 'demo');
  assert.notEqual(r.body.recommended, 'giant');
});

test('a model that does not fit is refused before the first byte', async () => {
  const r = await owner.post('/api/models/pull', { id: 'giant' });
  assert.equal(r.status, 409);
  assert.match(r.body.detail, /does not fit|cannot|too big|GB/i);
  assert.equal(server.requests.filter((q) => q.path.includes('giant')).length, 0, 'no request reached the server');
});

test('hearth model pull: follows the redirect, resumes after a cut, verifies, installs and activates', async () => {
  const events: string[] = [];
  const sse = await fetch(`${d.url}/api/models/events`, { headers: { cookie: [...owner.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  const reader = sse.body!.getReader();
  const reading = (async () => {
    const dec = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      events.push(dec.decode(value));
      if (events.join('').includes('"state":"done"')) return;
    }
  })();

  const r = await hearth(['model', 'pull', 'tiny'], d.dataDir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Downloaded and verified tiny-q8\.gguf/);
  assert.match(r.stderr, /\d+ %/, 'a progress line was drawn');
  const bodies = server.bodyRequests('/org/tiny/resolve/main/tiny-q8.gguf');
  assert.equal(bodies.length, 2, 'one cut, one resume');
  assert.match(bodies[1]!.range ?? '', /^bytes=\d+-$/);
  await Promise.race([reading, new Promise((res) => setTimeout(res, 5000))]);
  await reader.cancel().catch(() => undefined);
  assert.match(events.join(''), /event: download/);

  const installed = await owner.get('/api/models');
  assert.deepEqual(installed.body.installed.map((m: { id: string }) => m.id), ['tiny']);
  assert.equal(installed.body.active, 'tiny', 'the first model becomes the active one');
  const file = await readFile(join(d.dataDir, 'models', 'tiny-q8.gguf'));
  assert.equal(sha(file), sha(modelBody));
});

test('two pulls of the same model at once make one download', async () => {
  const [a, b] = await Promise.all([owner.post('/api/models/pull', { id: 'twin' }), owner.post('/api/models/pull', { id: 'twin' })]);
  assert.equal(a.status, 200, JSON.stringify(a.body));
  assert.equal(b.status, 200, JSON.stringify(b.body));
  assert.equal(a.body.download.id, b.body.download.id);
  const deadline = Date.now() + 20_000;
  while ((await owner.get('/api/models')).body.installed.every((m: { id: string }) => m.id !== 'twin')) {
    assert.ok(Date.now() < deadline, 'twin installed');
    await new Promise((res) => setTimeout(res, 200));
  }
  assert.equal(server.bodyRequests('/org/twin/resolve/main/twin.gguf').length, 1);
});

test('a file that is not a usable GGUF is refused after download, with a reason, and nothing installed', async () => {
  const r = await owner.post('/api/models/pull', { id: 'junk' });
  assert.equal(r.status, 200);
  const deadline = Date.now() + 10_000;
  let state = r.body.download;
  while (state.state !== 'failed') {
    assert.ok(Date.now() < deadline, `junk download settled (${state.state})`);
    await new Promise((res) => setTimeout(res, 100));
    state = (await owner.get('/api/models')).body.downloads.find((x: { id: string }) => x.id === 'junk');
  }
  assert.match(state.error, /GGUF|version|truncated|tensor/i);
  await assert.rejects(stat(join(d.dataDir, 'models', 'junk.gguf')));
  assert.ok(!(await owner.get('/api/models')).body.installed.some((m: { id: string }) => m.id === 'junk'));
});

test('the demo model is made on the box at once; an http URL elsewhere is refused', async () => {
  const demo = await owner.post('/api/models/pull', { id: 'demo' });
  assert.equal(demo.status, 200, JSON.stringify(demo.body));
  assert.equal(demo.body.installed.id, 'demo');
  const http = await hearth(['model', 'pull', 'http://198.51.100.7/model.gguf'], d.dataDir);
  assert.equal(http.code, 1);
  assert.match(http.stderr, /https/);
});

test('synth, add and use from the CLI; the model answers through /v1', async () => {
  const out = join(work, 'cli-synth.gguf');
  const s = await hearth(['model', 'synth', '--out', out, '--shape', 'tiny', '--type', 'f16'], d.dataDir);
  assert.equal(s.code, 0, s.stderr);
  const add = await hearth(['model', 'add', out, '--id', 'cli-synth', '--json'], d.dataDir);
  assert.equal(add.code, 0, add.stderr);
  assert.equal((await hearth(['model', 'use', 'cli-synth'], d.dataDir)).code, 0);
  const ls = await hearth(['model', 'ls'], d.dataDir);
  assert.match(ls.stdout, /\* cli-synth/);
  const chat = await owner.post('/v1/chat/completions', { model: 'cli-synth', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
  assert.equal(chat.status, 200, chat.text);
  assert.ok(chat.body.usage.completion_tokens > 0);
  const badAdd = await hearth(['model', 'add', join(work, 'catalog.json')], d.dataDir);
  assert.equal(badAdd.code, 1);
  assert.match(badAdd.stderr, /cannot be used/);
});

test('removing a model deletes its file and forgets its finished download', async () => {
  const r = await hearth(['model', 'rm', 'twin'], d.dataDir);
  assert.equal(r.code, 0, r.stderr);
  const view = (await owner.get('/api/models')).body;
  assert.ok(!view.installed.some((m: { id: string }) => m.id === 'twin'));
  assert.ok(!view.downloads.some((x: { id: string }) => x.id === 'twin'));
  await assert.rejects(stat(join(d.dataDir, 'models', 'twin.gguf')));
  const again = await hearth(['model', 'rm', 'twin'], d.dataDir);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no installed model "twin"/);
});
