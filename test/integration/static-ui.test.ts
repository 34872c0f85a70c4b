import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Hearth } from '../../appliance/src/hearth.js';
import { createLogger } from '../../appliance/src/log.js';
import { removeDir, tempDataDir } from '../helpers/daemon.js';

// The web app is served from a folder; this one is made by the test so the rules are checked on known files.
let hearth: Hearth;
let base: string;
let dataDir: string;
let uiRoot: string;

before(async () => {
  dataDir = await tempDataDir();
  uiRoot = await tempDataDir('hearth-ui-');
  await mkdir(join(uiRoot, 'assets'));
  await writeFile(join(uiRoot, 'index.html'), '<!doctype html><title>Hearth</title><script type="module" src="/assets/app-1234.js"></script>');
  await writeFile(join(uiRoot, 'assets', 'app-1234.js'), `console.log(${JSON.stringify('x'.repeat(5000))});`);
  await writeFile(join(uiRoot, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  hearth = new Hearth({ dataDir, host: '127.0.0.1', port: 0, uiRoot, log: createLogger('test', 'error'), discovery: { enabled: false } });
  await hearth.start();
  base = `http://127.0.0.1:${hearth.http.port}`;
});
after(async () => {
  await hearth.stop();
  await removeDir(dataDir);
  await removeDir(uiRoot);
});

test('hashed assets are cached for a year, pages revalidate', async () => {
  const asset = await fetch(`${base}/assets/app-1234.js`);
  assert.equal(asset.status, 200);
  assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.match(asset.headers.get('content-type') ?? '', /javascript/);
  const index = await fetch(`${base}/`);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  assert.match(await index.text(), /<title>Hearth/);
});

test('page paths fall back to the app (SPA); missing files are a 404 problem', async () => {
  for (const path of ['/setup', '/settings/password', '/login']) {
    const r = await fetch(base + path);
    assert.equal(r.status, 200, path);
    assert.match(await r.text(), /<title>Hearth/, path);
    assert.match(r.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  }
  const missing = await fetch(`${base}/assets/gone-999.js`);
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('content-type'), 'application/problem+json');
  const traversal = await fetch(`${base}/..%2f..%2fetc%2fpasswd`);
  assert.notEqual(traversal.status, 200);
});

test('answers are compressed for clients that accept gzip', async () => {
  const { request } = await import('node:http');
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    request(`${base}/assets/app-1234.js`, { headers: { 'accept-encoding': 'gzip' } }, resolve).on('error', reject).end();
  });
  res.resume();
  assert.equal(res.headers['content-encoding'], 'gzip');
});

test('unknown API paths are JSON, not the app', async () => {
  const r = await fetch(`${base}/api/whatever`);
  assert.equal(r.status, 404);
  assert.equal(r.headers.get('content-type'), 'application/problem+json');
});
