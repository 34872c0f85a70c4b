import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'koa';
import { HttpServer } from '../../appliance/src/http/http-server.js';
import { createLogger } from '../../appliance/src/log.js';
import { shareFileRoutes, type ShareChangeKind } from '../../appliance/src/shares/file-routes.js';

// The file browser routes in the project's real HttpServer on a real loopback port.
const SESSION = 'session=owner';
const MAX_UPLOAD = 1024 * 1024;
let base: string;
let shares: Record<string, { root: string; readOnly?: boolean }>;
let server: HttpServer;
let url: string;
const changes: [string, string, ShareChangeKind][] = [];

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'hearth-share-files-'));
  shares = {
    Inbox: { root: join(base, 'Inbox') },
    Archive: { root: join(base, 'Archive'), readOnly: true },
    Big: { root: join(base, 'Big') },
  };
  for (const s of Object.values(shares)) await mkdir(s.root);
  await writeFile(join(shares.Archive!.root, 'old.txt'), 'old');
  for (let i = 0; i < 12; i++) await writeFile(join(shares.Big!.root, `f${i}.txt`), String(i));
  await symlink('/etc', join(shares.Inbox!.root, 'etc-link'));
  await symlink('/etc/passwd', join(shares.Inbox!.root, 'passwd-link'));
  execFileSync('mkfifo', [join(shares.Inbox!.root, 'pipe')]);

  const routes = shareFileRoutes({
    prefix: '/api/shares',
    resolveShare: (name) => shares[name] ?? null,
    onChange: (share, path, kind) => changes.push([share, path, kind]),
    maxUploadBytes: MAX_UPLOAD,
    maxListEntries: 10,
    uploadIdleMs: 1_000,
  });
  server = new HttpServer({
    host: '127.0.0.1',
    port: 0,
    uiRoot: join(base, 'no-ui'),
    log: createLogger('test', 'error'),
    identify: (ctx: Context) => (ctx.get('Cookie').includes(SESSION) ? 'owner' : null),
    routers: [],
    // Uploads are raw bodies: mounted where the /api JSON-only body rule does not apply.
    rootRouters: [routes],
  });
  await server.start();
  url = `http://127.0.0.1:${server.port}`;
});
after(async () => {
  await server.stop();
  await rm(base, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, { method, body, headers: { cookie: SESSION, ...headers } });
  const buf = Buffer.from(await res.arrayBuffer());
  let json: any = null;
  try {
    json = JSON.parse(buf.toString('utf8'));
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, json, buf };
}
const q = (s: string) => encodeURIComponent(s);
const tempFiles = async (share: string) => readdir(join(shares[share]!.root, '.hearth', 'tmp')).catch(() => [] as string[]);

test('without a session every file route answers 401 problem JSON and changes nothing', async () => {
  for (const [method, path] of [
    ['GET', '/api/shares/Inbox/files?path='],
    ['GET', '/api/shares/Inbox/download?path=a.txt'],
    ['PUT', '/api/shares/Inbox/upload?name=a.txt'],
    ['POST', '/api/shares/Inbox/folders'],
    ['DELETE', '/api/shares/Inbox/files?path=a.txt'],
  ] as const) {
    const res = await fetch(url + path, { method, body: method === 'PUT' || method === 'POST' ? '{"path":"x"}' : undefined, headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 401, `${method} ${path}`);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
  }
  assert.deepEqual(await readdir(shares.Inbox!.root).then((n) => n.filter((x) => x === 'a.txt' || x === 'x')), []);
});

test('make a folder, upload into it, list and download the bytes back', async () => {
  const made = await call('POST', '/api/shares/Inbox/folders', JSON.stringify({ path: 'Letters' }), { 'content-type': 'application/json' });
  assert.equal(made.status, 201);
  assert.deepEqual([made.json.name, made.json.path, made.json.type], ['Letters', 'Letters', 'dir']);

  const bytes = Buffer.from([0, 1, 2, 255, 254, 60, 104, 116, 109, 108, 62]); // binary, with "<html>" in it
  const up = await call('PUT', `/api/shares/Inbox/upload?path=Letters&name=${q('Tax 2025 “final”.pdf')}`, bytes, { 'content-type': 'text/html' });
  assert.equal(up.status, 201, JSON.stringify(up.json));
  assert.deepEqual([up.json.name, up.json.path, up.json.type, up.json.size], ['Tax 2025 “final”.pdf', 'Letters/Tax 2025 “final”.pdf', 'file', bytes.length]);
  assert.deepEqual(await readFile(join(shares.Inbox!.root, 'Letters', 'Tax 2025 “final”.pdf')), bytes);
  assert.deepEqual(await tempFiles('Inbox'), [], 'no temp file left');

  const noType = await call('PUT', '/api/shares/Inbox/upload?name=plain.bin', Buffer.from('hello'));
  assert.equal(noType.status, 201);

  // A name typed on a Mac arrives in NFD; it is stored and reported in NFC.
  const macName = 'Café.txt'.normalize('NFD');
  const nfd = await call('PUT', `/api/shares/Inbox/upload?path=Letters&name=${q(macName)}`, 'coffee');
  assert.equal(nfd.status, 201);
  assert.equal(nfd.json.name, 'Café.txt'.normalize('NFC'));
  assert.equal(await readFile(join(shares.Inbox!.root, 'Letters', 'Café.txt'.normalize('NFC')), 'utf8'), 'coffee');
  assert.equal((await call('GET', `/api/shares/Inbox/download?path=${q(`Letters/${macName}`)}`)).buf.toString(), 'coffee');

  const root = await call('GET', '/api/shares/Inbox/files');
  assert.equal(root.status, 200);
  assert.equal(root.json.share, 'Inbox');
  assert.equal(root.json.path, '');
  assert.equal(root.json.truncated, false);
  const names = root.json.entries.map((e: { name: string }) => e.name);
  assert.deepEqual(names, ['Letters', 'plain.bin'], 'folders first; .hearth, the FIFO and links out of the share left out');

  const down = await call('GET', `/api/shares/Inbox/download?path=${q('Letters/Tax 2025 “final”.pdf')}`);
  assert.equal(down.status, 200);
  assert.deepEqual(down.buf, bytes);
  assert.equal(down.headers.get('content-type'), 'application/octet-stream');
  assert.equal(down.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(down.headers.get('content-disposition'), `attachment; filename="Tax 2025 _final_.pdf"; filename*=UTF-8''Tax%202025%20%E2%80%9Cfinal%E2%80%9D.pdf`);
  assert.match(down.headers.get('content-security-policy') ?? '', /sandbox/);

  assert.deepEqual(changes.slice(-4), [
    ['Inbox', 'Letters', 'added'],
    ['Inbox', 'Letters/Tax 2025 “final”.pdf', 'added'],
    ['Inbox', 'plain.bin', 'added'],
    ['Inbox', 'Letters/Café.txt'.normalize('NFC'), 'added'],
  ]);
});

test('overwriting is refused unless asked for', async () => {
  const first = await call('PUT', '/api/shares/Inbox/upload?name=notes.txt', 'one');
  assert.equal(first.status, 201);
  const again = await call('PUT', '/api/shares/Inbox/upload?name=notes.txt', 'two');
  assert.equal(again.status, 409);
  assert.equal(again.headers.get('content-type'), 'application/problem+json');
  assert.equal(again.json.reason, 'exists');
  assert.equal(await readFile(join(shares.Inbox!.root, 'notes.txt'), 'utf8'), 'one');

  const replaced = await call('PUT', '/api/shares/Inbox/upload?name=notes.txt&overwrite=1', 'three');
  assert.equal(replaced.status, 201);
  assert.equal(await readFile(join(shares.Inbox!.root, 'notes.txt'), 'utf8'), 'three');
  assert.deepEqual(changes.at(-1), ['Inbox', 'notes.txt', 'changed']);
  assert.deepEqual(await tempFiles('Inbox'), []);
});

test('an upload cut off mid-way leaves no partial file', async () => {
  const socket = connect(server.port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(
    `PUT /api/shares/Inbox/upload?name=cut.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${SESSION}\r\nContent-Type: application/octet-stream\r\nContent-Length: 500000\r\n\r\n`,
  );
  socket.write(Buffer.alloc(200_000, 7));
  // Let the server write part of it to its temp file, then hang up.
  await waitFor(async () => (await tempFiles('Inbox')).length === 1 && (await stat(join(shares.Inbox!.root, '.hearth', 'tmp', (await tempFiles('Inbox'))[0]!)).catch(() => null))?.size! > 0);
  socket.destroy();
  await waitFor(async () => (await tempFiles('Inbox')).length === 0);
  await assert.rejects(stat(join(shares.Inbox!.root, 'cut.bin')), /ENOENT/);
  assert.ok(!changes.some(([, p]) => p === 'cut.bin'));
});

test('an upload that goes silent is dropped after the idle time and leaves nothing', async () => {
  const socket = connect(server.port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  socket.write(`PUT /api/shares/Inbox/upload?name=stalled.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${SESSION}\r\nContent-Length: 1000\r\n\r\n`);
  socket.write(Buffer.alloc(100, 1));
  await closed;
  await waitFor(async () => (await tempFiles('Inbox')).length === 0);
  await assert.rejects(stat(join(shares.Inbox!.root, 'stalled.bin')), /ENOENT/);
});

test('uploads over the size limit are refused, announced or not, and leave nothing', async () => {
  const announced = await call('PUT', '/api/shares/Inbox/upload?name=big.bin', Buffer.alloc(MAX_UPLOAD + 1));
  assert.equal(announced.status, 413);
  assert.equal(announced.json.reason, 'too-large');

  // Chunked (no Content-Length): counted while streaming.
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < 20) controller.enqueue(new Uint8Array(100_000));
      else controller.close();
    },
  });
  const res = await fetch(`${url}/api/shares/Inbox/upload?name=big2.bin`, { method: 'PUT', body, headers: { cookie: SESSION }, duplex: 'half' } as RequestInit);
  assert.equal(res.status, 413);
  assert.equal((await res.json()).reason, 'too-large');
  for (const name of ['big.bin', 'big2.bin']) await assert.rejects(stat(join(shares.Inbox!.root, name)), /ENOENT/);
  await waitFor(async () => (await tempFiles('Inbox')).length === 0);
});

test('hostile paths get 400 problem JSON, never a 500 and never the bytes', async () => {
  const cases: [string, string, string][] = [
    ['GET', `/api/shares/Inbox/files?path=${q('../')}`, 'outside-share'],
    ['GET', `/api/shares/Inbox/files?path=${q('/etc')}`, 'absolute-path'],
    ['GET', `/api/shares/Inbox/download?path=${q('../../../../etc/passwd')}`, 'outside-share'],
    ['GET', `/api/shares/Inbox/download?path=${q('/etc/passwd')}`, 'absolute-path'],
    ['GET', `/api/shares/Inbox/download?path=${q('passwd-link')}`, 'symlink-escape'],
    ['GET', `/api/shares/Inbox/download?path=${q('etc-link/passwd')}`, 'symlink-escape'],
    ['GET', `/api/shares/Inbox/files?path=${q('etc-link')}`, 'symlink-escape'],
    ['GET', `/api/shares/Inbox/download?path=${q('pipe')}`, 'special-file'],
    ['GET', `/api/shares/Inbox/download?path=${q('notes.txt\0.png')}`, 'bad-name'],
    ['GET', `/api/shares/Inbox/download?path=${q('.hearth/tmp')}`, 'internal'],
    ['GET', `/api/shares/Inbox/files?path=${q('.hearth')}`, 'internal'],
    ['GET', `/api/shares/Inbox/download?path=Letters`, 'is-directory'],
    ['PUT', `/api/shares/Inbox/upload?path=${q('..')}&name=evil.txt`, 'outside-share'],
    ['PUT', `/api/shares/Inbox/upload?path=etc-link&name=evil.txt`, 'symlink-escape'],
    ['PUT', `/api/shares/Inbox/upload?name=${q('a'.repeat(300))}`, 'too-long'],
    ['PUT', `/api/shares/Inbox/upload?name=${q('../evil.txt')}`, 'bad-name'],
    ['PUT', `/api/shares/Inbox/upload?path=.hearth&name=evil.txt`, 'internal'],
    ['DELETE', `/api/shares/Inbox/files?path=${q('etc-link/passwd')}`, 'symlink-escape'],
    ['DELETE', `/api/shares/Inbox/files?path=`, 'no reason: the path is missing'],
    ['DELETE', `/api/shares/Inbox/files?path=.`, 'share-root'],
  ];
  for (const [method, path, reason] of cases) {
    const res = await call(method, path, method === 'PUT' ? 'evil' : undefined);
    assert.equal(res.status, 400, `${method} ${path}: ${res.buf.toString()}`);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal(res.json.reason ?? 'no reason: the path is missing', reason, `${method} ${path}`);
    assert.ok(typeof res.json.detail === 'string' && res.json.detail.length > 10);
    assert.ok(!res.buf.toString().includes('root:x:0:0'), 'no /etc/passwd contents');
  }
  const folder = await call('POST', '/api/shares/Inbox/folders', JSON.stringify({ path: '../escape' }), { 'content-type': 'application/json' });
  assert.equal(folder.status, 400);
  assert.equal(folder.json.reason, 'outside-share');
  await assert.rejects(stat(join(base, 'escape')), /ENOENT/);
  await assert.rejects(stat(join(base, 'evil.txt')), /ENOENT/);
});

test('missing things are 404, unknown shares are 404, a read-only share refuses changes with 403', async () => {
  assert.equal((await call('GET', '/api/shares/Inbox/download?path=nothing.txt')).json.reason, 'not-found');
  assert.equal((await call('GET', '/api/shares/Inbox/download?path=nothing.txt')).status, 404);
  assert.equal((await call('GET', '/api/shares/Nope/files')).status, 404);
  const ro = await call('PUT', '/api/shares/Archive/upload?name=new.txt', 'x');
  assert.equal(ro.status, 403);
  assert.equal(ro.json.reason, 'read-only');
  assert.equal((await call('DELETE', '/api/shares/Archive/files?path=old.txt')).status, 403);
  assert.equal((await call('GET', '/api/shares/Archive/download?path=old.txt')).buf.toString(), 'old');
});

test('delete a file, refuse a non-empty folder unless recursive', async () => {
  const file = await call('DELETE', '/api/shares/Inbox/files?path=plain.bin');
  assert.equal(file.status, 204);
  await assert.rejects(stat(join(shares.Inbox!.root, 'plain.bin')), /ENOENT/);
  assert.deepEqual(changes.at(-1), ['Inbox', 'plain.bin', 'removed']);

  const notEmpty = await call('DELETE', '/api/shares/Inbox/files?path=Letters');
  assert.equal(notEmpty.status, 409);
  assert.equal(notEmpty.json.reason, 'not-empty');
  const recursive = await call('DELETE', '/api/shares/Inbox/files?path=Letters&recursive=1');
  assert.equal(recursive.status, 204);
  await assert.rejects(stat(join(shares.Inbox!.root, 'Letters')), /ENOENT/);

  // Deleting a link to /etc removes the link, not /etc.
  assert.equal((await call('DELETE', '/api/shares/Inbox/files?path=etc-link')).status, 204);
  assert.ok((await stat('/etc/passwd')).isFile());
});

test('a long folder listing is cut at the limit and says so', async () => {
  const res = await call('GET', '/api/shares/Big/files?path=');
  assert.equal(res.status, 200);
  assert.equal(res.json.entries.length, 10);
  assert.equal(res.json.truncated, true);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
