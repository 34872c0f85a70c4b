import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { controlRequest, removeDir, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { HttpClient } from '../helpers/http-client.js';

// One real hearthd on a real port; the tests walk it from unclaimed to owned, in order.
let d: RunningDaemon;
let code: string;
const PASSWORD = 'correct horse battery';

before(async () => {
  d = await startDaemon();
  code = (await controlRequest<{ setupCode: string }>(d.socketPath, 'GET', '/setup-code')).body.setupCode;
});
after(async () => {
  await d.stop();
  await removeDir(d.dataDir);
});

const config = async () => JSON.parse(await readFile(join(d.dataDir, 'config.json'), 'utf8'));

test('health answers without authentication, and nothing private', async () => {
  const c = new HttpClient(d.url);
  const r = await c.get('/api/health');
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body).sort(), ['setup', 'status', 'version']);
  assert.equal(r.body.status, 'ok');
  assert.equal(r.body.setup, 'pending');
});

test('security headers are on every answer', async () => {
  const r = await new HttpClient(d.url).get('/api/health');
  const csp = r.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
});

test('unknown API routes and bad bodies get problem JSON', async () => {
  const c = new HttpClient(d.url);
  const nf = await c.get('/api/no-such-thing');
  assert.equal(nf.status, 404);
  assert.equal(nf.headers.get('content-type'), 'application/problem+json');
  assert.deepEqual([nf.body.status, typeof nf.body.title, typeof nf.body.detail], [404, 'string', 'string']);

  const malformed = await c.post('/api/setup/claim', '{"code": "K7QM', {});
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.title, 'Invalid JSON');

  const huge = await c.post('/api/setup/claim', { code: 'A'.repeat(200_000) });
  assert.equal(huge.status, 413);
  assert.match(huge.body.detail, /larger/);

  const notJson = await c.post('/api/setup/claim', 'code=abc', { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(notJson.status, 415);

  const array = await c.post('/api/setup/claim', [1, 2]);
  assert.equal(array.status, 400);
});

test('owner routes without a session: 401, nothing changed', async () => {
  const before = await readFile(join(d.dataDir, 'config.json'), 'utf8');
  const c = new HttpClient(d.url);
  for (const [method, path] of [
    ['PUT', '/api/setup/name'],
    ['POST', '/api/setup/finish'],
    ['PUT', '/api/device'],
    ['POST', '/api/auth/password'],
    ['GET', '/api/auth/session'],
  ] as const) {
    const r = await c.request(method, path, method === 'GET' ? undefined : { name: 'Evil', newPassword: 'x'.repeat(20) });
    assert.equal(r.status, 401, `${method} ${path}`);
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
  }
  assert.equal(await readFile(join(d.dataDir, 'config.json'), 'utf8'), before);
});

test('the setup code is stored hashed; the plain code only in a 0600 file', async () => {
  const cfg = await config();
  assert.match(cfg.auth.setupCodeHash, /^scrypt\$/);
  assert.ok(!JSON.stringify(cfg).includes(code.replace('-', '')));
  assert.match(code, /^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
});

test('wrong, empty and huge setup codes are refused; the sixth try in a minute gets 429', async () => {
  const c = new HttpClient(d.url, { 'x-test': 'wrong-codes' });
  const attempts = ['', 'AAAA-AAAA', 'x'.repeat(5000), 'K7QM-2XP', null];
  for (const attempt of attempts) {
    const r = await c.post('/api/setup/claim', { code: attempt });
    assert.equal(r.status, 401, `code ${String(attempt).slice(0, 12)}`);
    assert.ok(r.body.detail.length > 10);
    assert.equal(r.body.field, 'code');
  }
  const limited = await c.post('/api/setup/claim', { code });
  assert.equal(limited.status, 429, 'even the right code waits once the limit is hit');
  const retry = Number(limited.headers.get('retry-after'));
  assert.ok(retry > 0 && retry <= 60, `Retry-After ${retry}`);
  assert.match(limited.body.detail, /Wait \d+ seconds?/);
});

test('state-changing requests from a foreign Origin are refused', async () => {
  const c = new HttpClient(d.url);
  const r = await c.post('/api/auth/login', { username: 'a', password: 'b' }, { origin: 'http://evil.example' });
  assert.equal(r.status, 403);
  const r2 = await c.post('/api/auth/login', { username: 'a', password: 'b' }, { 'sec-fetch-site': 'cross-site' });
  assert.equal(r2.status, 403);
});

let owner: HttpClient;

test('the right code (from another client) claims; short passwords are refused; the owner is made', async () => {
  // The rate limit is per client address; all test clients share 127.0.0.1, so wait it out via a restart.
  const stopped = await d.stop();
  assert.equal(stopped.code, 0);
  d = await startDaemon({ dataDir: d.dataDir });
  assert.equal((await controlRequest<{ setupCode: string }>(d.socketPath, 'GET', '/setup-code')).body.setupCode, code, 'the code survives a restart');

  owner = new HttpClient(d.url);
  const claim = await owner.post('/api/setup/claim', { code: code.toLowerCase() });
  assert.equal(claim.status, 200, JSON.stringify(claim.body));
  assert.equal(claim.body.state.step, 'owner');
  assert.ok(owner.cookies.has('hearth_claim'));
  assert.equal((await owner.get('/api/setup/state')).body.step, 'owner', 'reload returns to the owner step');

  const short = await owner.post('/api/setup/owner', { username: 'alice', password: 'short' });
  assert.equal(short.status, 400);
  assert.equal(short.body.field, 'password');
  assert.match(short.body.detail, /at least 10/);
  const badUser = await owner.post('/api/setup/owner', { username: '1 bad user', password: PASSWORD });
  assert.equal(badUser.status, 400);
  assert.equal(badUser.body.field, 'username');
  assert.equal((await config()).auth.owner, null, 'nothing changed');

  const made = await owner.post('/api/setup/owner', { username: 'Alice', password: PASSWORD });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  assert.equal(made.body.step, 'name');
  assert.equal(made.body.username, 'alice');
  const setCookie = made.headers.getSetCookie().find((c) => c.startsWith('hearth_session='))!;
  assert.match(setCookie, /httponly/i);
  assert.match(setCookie, /samesite=strict/i);
  const cfg = await config();
  assert.match(cfg.auth.owner.passwordHash, /^scrypt\$/);
  assert.equal(cfg.auth.setupCodeHash, null, 'the setup code is spent');
});

test('once the owner exists nobody can claim again', async () => {
  const stranger = new HttpClient(d.url);
  const r = await stranger.post('/api/setup/claim', { code });
  assert.equal(r.status, 409);
  assert.equal((await stranger.get('/api/setup/state')).body.step, 'login');
});

test('naming: 300 characters refused, unicode kept, host name slugified', async () => {
  const long = await owner.put('/api/setup/name', { name: 'x'.repeat(300) });
  assert.equal(long.status, 400);
  assert.equal(long.body.field, 'name');
  assert.equal((await config()).device.name, 'Hearth');
  const badHost = await owner.put('/api/setup/name', { name: 'Küche', hostname: '!!!' });
  assert.equal(badHost.status, 400);
  assert.equal(badHost.body.field, 'hostname');
  assert.equal((await config()).device.name, 'Hearth', 'a bad host name changes nothing, not even the name');
  const ok = await owner.put('/api/setup/name', { name: '  Küche   Hearth ', hostname: 'Küche Hearth' });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.step, 'finish');
  assert.equal(ok.body.device.name, 'Küche Hearth');
  assert.equal(ok.body.device.hostname, 'kuche-hearth');
  assert.deepEqual(ok.body.device.localNames.slice(1), ['kuche-hearth.local']);
  const nameOnly = await owner.put('/api/setup/name', { name: 'Küche' });
  assert.equal(nameOnly.status, 200);
  assert.equal(nameOnly.body.device.hostname, 'kuche-hearth', 'a host name left out is kept (a provisioned one survives the wizard)');
  const cleared = await owner.put('/api/setup/name', { name: 'Küche Hearth', hostname: '' });
  assert.equal(cleared.body.device.hostname, '', 'an empty host name clears it');
  const back = await owner.put('/api/setup/name', { name: 'Küche Hearth', hostname: 'kuche-hearth' });
  assert.equal(back.body.device.hostname, 'kuche-hearth');
});

test('finish completes setup; health and the device endpoint follow', async () => {
  const r = await owner.post('/api/setup/finish');
  assert.equal(r.status, 200);
  assert.equal(r.body.step, 'done');
  assert.equal((await owner.get('/api/health')).body.setup, 'complete');
  assert.equal((await new HttpClient(d.url).get('/api/device')).status, 401, 'device is owner-only after setup');
  const dev = await owner.get('/api/device');
  assert.equal(dev.status, 200);
  assert.equal(dev.body.name, 'Küche Hearth');
});

test('sign out, wrong password, sign in, change password', async () => {
  assert.equal((await owner.post('/api/auth/logout')).status, 204);
  assert.equal((await owner.get('/api/auth/session')).status, 401);
  const wrong = await owner.post('/api/auth/login', { username: 'alice', password: 'not the password' });
  assert.equal(wrong.status, 401);
  const ok = await owner.post('/api/auth/login', { username: 'ALICE', password: PASSWORD });
  assert.equal(ok.status, 200);
  assert.equal((await owner.get('/api/auth/session')).body.username, 'alice');

  const other = new HttpClient(d.url);
  assert.equal((await other.post('/api/auth/login', { username: 'alice', password: PASSWORD })).status, 200);
  const badCurrent = await owner.post('/api/auth/password', { currentPassword: 'nope nope nope', newPassword: 'another fine password' });
  assert.equal(badCurrent.status, 403);
  const tooShort = await owner.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'short' });
  assert.equal(tooShort.status, 400);
  const changed = await owner.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'another fine password' });
  assert.equal(changed.status, 200);
  assert.equal((await owner.get('/api/auth/session')).status, 200, 'this session continues');
  assert.equal((await other.get('/api/auth/session')).status, 401, 'other sessions are signed out');
});

test('sign-in attempts are rate limited', async () => {
  const c = new HttpClient(d.url);
  for (let i = 0; i < 5; i++) assert.equal((await c.post('/api/auth/login', { username: 'alice', password: `wrong-${i}-password` })).status, 401);
  const limited = await c.post('/api/auth/login', { username: 'alice', password: 'another fine password' });
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
});

test('reset-password on the box: new setup code, reclaim sets a new password, data kept', async () => {
  const id = (await config()).device.id;
  const reset = await controlRequest<{ setupCode: string }>(d.socketPath, 'POST', '/reset-password');
  assert.equal(reset.status, 200);
  assert.notEqual(reset.body.setupCode, code);
  assert.equal((await owner.get('/api/auth/session')).status, 401, 'everyone is signed out');
  const c = new HttpClient(d.url, { 'x-forwarded-for': 'ignored' });
  const state = (await c.get('/api/setup/state')).body;
  assert.deepEqual([state.step, state.recovery, state.username, state.setup], ['claim', true, 'alice', 'complete']);
  // The login limit this address hit above is lifted by the reset: being on the box proves who this is.
  const claim = await c.post('/api/setup/claim', { code: reset.body.setupCode });
  assert.equal(claim.status, 200, JSON.stringify(claim.body));
  const pw = await c.post('/api/setup/owner', { password: 'a brand new password' });
  assert.equal(pw.status, 200, JSON.stringify(pw.body));
  assert.equal(pw.body.step, 'done');
  const cfg = await config();
  assert.equal(cfg.device.id, id);
  assert.equal(cfg.device.name, 'Küche Hearth');
  assert.equal(cfg.setup.state, 'complete');
  assert.equal((await new HttpClient(d.url).post('/api/auth/login', { username: 'alice', password: 'a brand new password' })).status, 200);
});

test('SIGTERM stops cleanly within 5 s, letting an in-flight request finish', async () => {
  const c = new HttpClient(d.url);
  // A login hashes with scrypt: a request that is genuinely in flight when the signal lands.
  const inflight = c.post('/api/auth/login', { username: 'alice', password: 'a brand new password' });
  await new Promise((r) => setTimeout(r, 5));
  const stopped = d.stop('SIGTERM');
  const r = await inflight;
  assert.equal(r.status, 200);
  const { code: exit, ms } = await stopped;
  assert.equal(exit, 0);
  assert.ok(ms < 5000, `stopped in ${ms} ms`);
  assert.match(d.output(), /stopped/);
});
