import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { removeDir, startDaemon, tempDataDir, type RunningDaemon, runHearth } from '../helpers/daemon.js';
import { HttpClient } from '../helpers/http-client.js';

const hearth = runHearth;

let d: RunningDaemon;
before(async () => {
  d = await startDaemon();
});
after(async () => {
  await d.stop();
  await removeDir(d.dataDir);
});

test('version and help', async () => {
  const v = await hearth(['version', '--json'], d.dataDir);
  assert.equal(v.code, 0);
  assert.match(JSON.parse(v.stdout).version, /^\d+\.\d+\.\d+/);
  const h = await hearth(['help'], d.dataDir);
  assert.match(h.stdout, /reset-password/);
  const bad = await hearth(['frobnicate'], d.dataDir);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Unknown command "frobnicate"/);
  const badFlag = await hearth(['status', '--nope'], d.dataDir);
  assert.equal(badFlag.code, 1);
  assert.match(badFlag.stderr, /--nope/);
});

test('the control socket is private to the daemon’s user', async () => {
  assert.equal((await stat(d.socketPath)).mode & 0o777, 0o600);
});

test('status and setup-code, as text and JSON', async () => {
  const s = await hearth(['status', '--json'], d.dataDir);
  assert.equal(s.code, 0, s.stderr);
  const status = JSON.parse(s.stdout);
  assert.equal(status.setup, 'pending');
  assert.equal(status.port, d.port);
  assert.match(status.localNames[0], /^hearth-[0-9a-f]{4}\.local$/);
  const text = await hearth(['status'], d.dataDir);
  assert.match(text.stdout, /waiting to be claimed/);

  const code = await hearth(['setup-code'], d.dataDir);
  assert.equal(code.code, 0);
  assert.match(code.stdout.trim(), /^[2-9A-Z]{4}-[2-9A-Z]{4}$/);
  assert.ok(d.output().includes(code.stdout.trim()), 'the code printed at start-up is the current one');
});

test('setup without a browser: bad input first changes nothing', async () => {
  const noOwner = await hearth(['setup'], d.dataDir, 'correct horse battery\n');
  assert.equal(noOwner.code, 1);
  assert.match(noOwner.stderr, /--owner/);
  const short = await hearth(['setup', '--owner', 'bob'], d.dataDir, 'short\n');
  assert.equal(short.code, 1);
  assert.match(short.stderr, /too short/);
  const longName = await hearth(['setup', '--owner', 'bob', '--name', 'y'.repeat(300)], d.dataDir, 'correct horse battery\n');
  assert.equal(longName.code, 1);
  assert.match(longName.stderr, /too long/);
  assert.equal(JSON.parse((await hearth(['status', '--json'], d.dataDir)).stdout).setup, 'pending');

  const ok = await hearth(['setup', '--owner', 'bob', '--name', 'Den', '--json'], d.dataDir, 'correct horse battery\n');
  assert.equal(ok.code, 0, ok.stderr);
  const state = JSON.parse(ok.stdout);
  assert.equal(state.setup, 'complete');
  assert.equal(state.device.name, 'Den');
  const web = new HttpClient(d.url);
  assert.equal((await web.post('/api/auth/login', { username: 'bob', password: 'correct horse battery' })).status, 200);

  const again = await hearth(['setup', '--owner', 'eve'], d.dataDir, 'correct horse battery\n');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already has an owner/);
  const none = await hearth(['setup-code'], d.dataDir);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /already claimed/);
});

test('reset-password prints a new code; setup with it sets a new password and keeps the name', async () => {
  const r = await hearth(['reset-password', '--json'], d.dataDir);
  assert.equal(r.code, 0, r.stderr);
  const { setupCode } = JSON.parse(r.stdout);
  assert.match(setupCode, /^[2-9A-Z]{4}-[2-9A-Z]{4}$/);
  assert.equal((await hearth(['setup-code'], d.dataDir)).stdout.trim(), setupCode);
  const web = new HttpClient(d.url);
  assert.equal((await web.post('/api/auth/login', { username: 'bob', password: 'correct horse battery' })).status, 409, 'no password until reclaimed');
  const wrongOwner = await hearth(['setup', '--owner', 'mallory'], d.dataDir, 'a second good password\n');
  assert.equal(wrongOwner.code, 1);
  assert.match(wrongOwner.stderr, /owner is bob/);
  const again = await hearth(['setup', '--owner', 'bob'], d.dataDir, 'a second good password\n');
  assert.equal(again.code, 0, again.stderr);
  assert.equal((await web.post('/api/auth/login', { username: 'bob', password: 'a second good password' })).status, 200);
  assert.equal((await web.get('/api/device')).body.name, 'Den');
});

test('rename from the box: checked like the web form', async () => {
  const bad = await hearth(['rename', '--name', 'z'.repeat(300)], d.dataDir);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /too long/);
  const ok = await hearth(['rename', '--name', 'Living Room', '--hostname', 'Living Room', '--json'], d.dataDir);
  assert.equal(ok.code, 0, ok.stderr);
  const device = JSON.parse(ok.stdout);
  assert.equal(device.name, 'Living Room');
  assert.deepEqual(device.localNames.slice(1), ['living-room.local']);
  const cleared = await hearth(['rename', '--hostname', ''], d.dataDir);
  assert.match(cleared.stdout, /Renamed: Living Room, at hearth-[0-9a-f]{4}\.local\./);
});

test('a clear message when hearthd is not running', async () => {
  const empty = await tempDataDir();
  try {
    const r = await hearth(['status'], empty);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /hearthd is not running/);
  } finally {
    await removeDir(empty);
  }
});
