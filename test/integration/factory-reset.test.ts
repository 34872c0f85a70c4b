import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI, controlRequest, removeDir, startDaemon, tempDataDir, type RunningDaemon } from '../helpers/daemon.js';
import { HttpClient } from '../helpers/http-client.js';

// Factory reset and password reset, hearthd's side: the API, the request files in the data dir, `hearth init` and
// `hearth factory-reset`. Real daemons on real ports; SMB off (nothing here is about sharing over the network).
const ENV = { HEARTH_SMB: 'off', HEARTH_TELEMETRY_SAMPLING: 'off' };
const PASSWORD = 'correct horse battery';

const start = (dataDir?: string) => startDaemon({ ...(dataDir ? { dataDir } : {}), env: ENV });
const config = async (dataDir: string) => JSON.parse(await readFile(join(dataDir, 'config.json'), 'utf8'));
const exists = (path: string) => stat(path).then(
  () => true,
  () => false,
);

function hearth(args: string[], dataDir: string, options: { env?: Record<string, string>; stdin?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, HEARTH_DATA_DIR: dataDir, ...options.env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c));
    p.stderr.on('data', (c: Buffer) => (stderr += c));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(options.stdin ?? '');
  });
}

/** Set up headless through the control socket, then sign in over HTTP like a browser. */
async function ownedBox(d: RunningDaemon): Promise<HttpClient> {
  const setup = await controlRequest(d.socketPath, 'POST', '/setup', { owner: 'alice', password: PASSWORD, name: 'Den' });
  assert.equal(setup.status, 200, JSON.stringify(setup.body));
  const owner = new HttpClient(d.url);
  assert.equal((await owner.post('/api/auth/login', { username: 'alice', password: PASSWORD })).status, 200);
  return owner;
}

test('factory reset from the web page: typed name checked, request written, the next start erases the box', async () => {
  let d = await start();
  const outside = await tempDataDir('hearth-outside-share-');
  try {
    const owner = await ownedBox(d);
    const before = await config(d.dataDir);
    const name = `hearth-${before.device.suffix}`;
    // A share kept outside the data dir, a managed one inside it, and a link inside pointing out.
    await writeFile(join(outside, 'keep.txt'), 'precious');
    assert.equal((await controlRequest(d.socketPath, 'POST', '/shares', { name: 'Photos', path: outside })).status, 201);
    const inside = await controlRequest<{ path: string }>(d.socketPath, 'POST', '/shares', { name: 'Docs' });
    assert.equal(inside.status, 201, JSON.stringify(inside.body));
    await writeFile(join(inside.body.path, 'gone.txt'), 'erased');
    await symlink(outside, join(d.dataDir, 'link-out'));
    const marker = join(d.dataDir, 'factory-reset-request');

    const stranger = new HttpClient(d.url);
    assert.equal((await stranger.post('/api/device/factory-reset', { confirm: name })).status, 401);
    const foreign = await owner.post('/api/device/factory-reset', { confirm: name }, { origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    for (const confirm of [undefined, '', 'hearth', name.toUpperCase(), ` ${name}`, `${name}.local`]) {
      const r = await owner.post('/api/device/factory-reset', confirm === undefined ? {} : { confirm });
      assert.equal(r.status, 400, String(confirm));
      assert.equal(r.body.field, 'confirm');
      assert.ok(r.body.detail.includes(name), r.body.detail);
    }
    assert.equal(await exists(marker), false, 'a wrong confirmation writes nothing');

    const ok = await owner.post('/api/device/factory-reset', { confirm: name });
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    assert.equal(ok.body.requested, true);
    assert.match(ok.body.message, /when hearthd next starts/);
    assert.ok(ok.body.message.includes(`http://${name}.local`));
    const request = JSON.parse(await readFile(marker, 'utf8'));
    assert.equal(request.by, 'ui');
    assert.ok(Date.parse(request.requestedAt) > 0);
    assert.equal((await owner.get('/api/auth/session')).status, 200, 'nothing else happens until the restart');

    assert.equal((await d.stop()).code, 0);
    d = await start(d.dataDir);
    assert.match(d.output(), /factory reset requested from the web page/);
    const after = await config(d.dataDir);
    assert.notEqual(after.device.id, before.device.id, 'a new identity');
    assert.equal(after.auth.owner, null);
    assert.equal(after.setup.state, 'pending');
    assert.deepEqual(after.shares, []);
    assert.equal(after.device.name, 'Hearth');
    const code = await controlRequest<{ setupCode: string | null }>(d.socketPath, 'GET', '/setup-code');
    assert.match(code.body.setupCode ?? '', /^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
    assert.equal((await new HttpClient(d.url).get('/api/health')).body.setup, 'pending');
    const returning = new HttpClient(d.url); // the restarted daemon listens on another port; same cookies
    for (const [k, v] of owner.cookies) returning.cookies.set(k, v);
    assert.equal((await returning.get('/api/auth/session')).status, 401, 'old sessions are gone');
    const left = await readdir(d.dataDir);
    assert.ok(!left.includes('factory-reset-request'), 'the request is spent');
    assert.ok(!left.includes('link-out'), 'the link is removed');
    assert.equal(await exists(inside.body.path), false, 'shares inside the data dir are erased');
    assert.equal(await readFile(join(outside, 'keep.txt'), 'utf8'), 'precious', 'a share folder outside the data dir is left alone');
  } finally {
    await d.stop();
    await removeDir(d.dataDir);
    await removeDir(outside);
  }
});

test('on the box (HEARTH_APPLIANCE=1) the answer says it is restarting', async () => {
  const d = await startDaemon({ env: { ...ENV, HEARTH_APPLIANCE: '1' } });
  try {
    const owner = await ownedBox(d);
    const name = `hearth-${(await config(d.dataDir)).device.suffix}`;
    const r = await owner.post('/api/device/factory-reset', { confirm: name });
    assert.equal(r.status, 202);
    assert.match(r.body.message, /restarting/);
    assert.doesNotMatch(r.body.message, /next starts/);
  } finally {
    await d.stop();
    await removeDir(d.dataDir);
  }
});

test('a reset-password request in the data dir: at the next start the owner is kept and the box is claimable again', async () => {
  let d = await start();
  try {
    await ownedBox(d);
    const before = await config(d.dataDir);
    assert.equal((await d.stop()).code, 0);
    await writeFile(join(d.dataDir, 'reset-password-request'), '');
    d = await start(d.dataDir);
    assert.match(d.output(), /password reset requested/);
    assert.equal(await exists(join(d.dataDir, 'reset-password-request')), false, 'the request is spent');
    const after = await config(d.dataDir);
    assert.equal(after.device.id, before.device.id, 'same box');
    assert.equal(after.device.name, 'Den', 'data kept');
    assert.equal(after.auth.owner.username, 'alice');
    assert.equal(after.auth.owner.passwordHash, null);
    assert.equal(after.setup.state, 'complete');
    const code = (await controlRequest<{ setupCode: string | null }>(d.socketPath, 'GET', '/setup-code')).body.setupCode;
    assert.ok(code, 'a new setup code');
    const c = new HttpClient(d.url);
    assert.notEqual((await c.post('/api/auth/login', { username: 'alice', password: PASSWORD })).status, 200, 'the old password no longer works');
    const state = (await c.get('/api/setup/state')).body;
    assert.deepEqual([state.step, state.recovery, state.username], ['claim', true, 'alice']);
    assert.equal((await c.post('/api/setup/claim', { code })).status, 200);
    assert.equal((await c.post('/api/setup/owner', { password: 'a brand new password' })).status, 200);
    assert.equal((await new HttpClient(d.url).post('/api/auth/login', { username: 'alice', password: 'a brand new password' })).status, 200);

    // Another start without a request changes nothing.
    assert.equal((await d.stop()).code, 0);
    d = await start(d.dataDir);
    assert.equal((await controlRequest<{ setupCode: string | null }>(d.socketPath, 'GET', '/setup-code')).body.setupCode, null);
  } finally {
    await d.stop();
    await removeDir(d.dataDir);
  }
});

test('a reset-password request on a box without an owner is just removed', async () => {
  const dataDir = await tempDataDir();
  try {
    const first = await hearth(['init', '--json'], dataDir);
    assert.equal(first.code, 0, first.stderr);
    const code = JSON.parse(first.stdout).setupCode;
    await writeFile(join(dataDir, 'reset-password-request'), '');
    const again = await hearth(['init', '--json'], dataDir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).setupCode, code, 'the setup code is unchanged');
    assert.equal(await exists(join(dataDir, 'reset-password-request')), false);
  } finally {
    await removeDir(dataDir);
  }
});

test('hearth init: a fresh box gets its identity and setup code; a host name is applied once; a bad one changes nothing', async () => {
  const dataDir = await tempDataDir();
  try {
    const bad = await hearth(['init', '--json', '--hostname', '!!!'], dataDir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /host name/);
    assert.deepEqual(await readdir(dataDir), [], 'nothing written');

    const t0 = Date.now();
    const r = await hearth(['init', '--json', '--hostname', 'Kitchen Box'], dataDir);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - t0 < 5000, 'quick');
    const view = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(view).sort(), ['factoryHostname', 'hostname', 'id', 'setup', 'setupCode', 'suffix']);
    assert.equal(view.setup, 'pending');
    assert.match(view.setupCode, /^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
    assert.equal(view.factoryHostname, `hearth-${view.suffix}`);
    assert.equal(view.hostname, 'kitchen-box');
    const cfg = await config(dataDir);
    assert.equal(cfg.device.id, view.id);
    assert.equal((await readFile(join(dataDir, 'setup-code'), 'utf8')).trim(), view.setupCode);

    const before = await readFile(join(dataDir, 'config.json'), 'utf8');
    const badLater = await hearth(['init', '--json', '--hostname', 'hearth-abcd'], dataDir);
    assert.equal(badLater.code, 2);
    assert.match(badLater.stderr, /factory name/);
    assert.equal(await readFile(join(dataDir, 'config.json'), 'utf8'), before, 'unchanged');

    const again = await hearth(['init', '--json', '--hostname', 'garage'], dataDir);
    assert.equal(again.code, 0, again.stderr);
    const second = JSON.parse(again.stdout);
    assert.deepEqual([second.id, second.setupCode, second.hostname], [view.id, view.setupCode, 'kitchen-box'], 'same identity and code; the host name is set only once');

    const human = await hearth(['init'], dataDir);
    assert.equal(human.code, 0);
    assert.ok(human.stdout.includes(view.setupCode));
    assert.ok(human.stdout.includes(`http://${view.factoryHostname}.local`));

    // hearthd takes over what init made.
    const d = await start(dataDir);
    try {
      assert.equal((await controlRequest<{ setupCode: string }>(d.socketPath, 'GET', '/setup-code')).body.setupCode, view.setupCode);
      const refused = await hearth(['init', '--json'], dataDir);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /already running/);
      assert.equal(refused.stdout, '');
    } finally {
      await d.stop();
    }
  } finally {
    await removeDir(dataDir);
  }
});

test('hearth init carries out a requested factory reset', async () => {
  const dataDir = await tempDataDir();
  try {
    const first = JSON.parse((await hearth(['init', '--json'], dataDir)).stdout);
    await mkdir(join(dataDir, 'models'));
    await writeFile(join(dataDir, 'models', 'big.gguf'), 'x');
    const req = await hearth(['factory-reset', '--yes', '--json'], dataDir, { env: { HEARTH_ESP_DIR: join(dataDir, 'no-esp') } });
    assert.equal(req.code, 0, req.stderr);
    assert.equal(JSON.parse(req.stdout).via, 'data-dir');
    const r = await hearth(['init', '--json'], dataDir);
    assert.equal(r.code, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    assert.notEqual(view.id, first.id);
    assert.notEqual(view.setupCode, first.setupCode);
    assert.equal(view.setup, 'pending');
    assert.match(r.stderr, /factory reset/);
    assert.deepEqual((await readdir(dataDir)).sort(), ['config.json', 'config.json.bak', 'setup-code']);
  } finally {
    await removeDir(dataDir);
  }
});

test('hearth factory-reset: typed confirmation; on the box the request goes to the boot partition', async () => {
  const dataDir = await tempDataDir();
  const esp = await tempDataDir('hearth-esp-');
  try {
    const view = JSON.parse((await hearth(['init', '--json'], dataDir)).stdout);
    const env = { HEARTH_ESP_DIR: esp };
    await mkdir(join(esp, 'EFI'));
    const wrong = await hearth(['factory-reset', '--no-reboot'], dataDir, { env, stdin: 'hearth-0000\n' });
    assert.equal(wrong.code, 1);
    assert.ok(wrong.stderr.includes(`Type ${view.factoryHostname} to confirm`), wrong.stderr);
    assert.match(wrong.stderr, /Nothing was changed/);
    assert.deepEqual(await readdir(esp), ['EFI']);

    const typed = await hearth(['factory-reset', '--no-reboot', '--json'], dataDir, { env, stdin: `${view.factoryHostname}\n` });
    assert.equal(typed.code, 0, typed.stderr);
    const out = JSON.parse(typed.stdout);
    assert.deepEqual([out.via, out.reboot, out.path], ['esp', false, join(esp, 'hearth-factory-reset')]);
    assert.equal(JSON.parse(await readFile(join(esp, 'hearth-factory-reset'), 'utf8')).by, 'cli');
    assert.equal(await exists(join(dataDir, 'factory-reset-request')), false, 'on the box the data partition is formatted instead');

    await removeDir(join(esp, 'hearth-factory-reset'));
    const yes = await hearth(['factory-reset', '--yes', '--no-reboot'], dataDir, { env });
    assert.equal(yes.code, 0, yes.stderr);
    assert.ok(await exists(join(esp, 'hearth-factory-reset')));
    assert.match(yes.stdout, /next start/);
  } finally {
    await removeDir(dataDir);
    await removeDir(esp);
  }
});
