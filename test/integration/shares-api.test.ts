// The shares API and CLI against the built hearthd with its own smbd: every bad input of the
// issue refused with a reason and nothing changed; create, rename (with its folder), update,
// remove keeping files, delete with typed confirmation; a vanished folder reported, not crashed.
// Needs Samba (smbd, testparm, pdbedit): without it the test fails, it never skips.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { controlRequest, removeDir, runHearth, startDaemon, tempDataDir, type RunningDaemon } from '../helpers/daemon.js';
import { HttpClient } from '../helpers/http-client.js';

let d: RunningDaemon;
let owner: HttpClient;
let outside: string;
const PASSWORD = 'correct horse battery';

const configShares = async () => JSON.parse(await readFile(join(d.dataDir, 'config.json'), 'utf8')).shares as Array<{ name: string; path: string }>;
const smbConf = () => readFile(join(d.dataDir, 'samba', 'smb.conf'), 'utf8');

before(async () => {
  for (const program of ['/usr/sbin/smbd', '/usr/bin/testparm', '/usr/bin/pdbedit']) {
    if (!existsSync(program)) throw new Error(`${program} is missing: install samba (make test-deps does it)`);
  }
  outside = await tempDataDir('hearth-usb-');
  d = await startDaemon();
  await controlRequest(d.socketPath, 'POST', '/setup', { owner: 'alice', password: PASSWORD, name: 'Lab' });
  owner = new HttpClient(d.url);
  assert.equal((await owner.post('/api/auth/login', { username: 'alice', password: PASSWORD })).status, 200);
});

after(async () => {
  const stopped = await d?.stop();
  if (d) {
    assert.equal(stopped?.code, 0, d.output());
    await removeDir(d.dataDir);
  }
  await removeDir(outside);
});

test('owner only; before any share: Inbox and Notes proposed, Samba waits for the first share', async () => {
  assert.equal((await new HttpClient(d.url).get('/api/shares')).status, 401);
  assert.equal((await new HttpClient(d.url).post('/api/shares', { name: 'X' })).status, 401);
  const r = await owner.get('/api/shares');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.shares, []);
  assert.deepEqual(
    r.body.proposed.map((p: { name: string; agents: string; network: boolean }) => [p.name, p.agents, p.network]),
    [
      ['Inbox', 'read', true],
      ['Notes', 'read-write', true],
    ],
  );
  assert.equal(r.body.smb.mode, 'private');
  assert.equal(r.body.smb.state, 'stopped');
  assert.equal(r.body.smb.username, 'alice');
  assert.equal(r.body.smb.passwordSet, false);
});

test('create a share: folder under <data>/shares, on the network, in smb.conf', async () => {
  const r = await owner.post('/api/shares', { name: 'Inbox', description: 'Drop things here', agents: 'read' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.name, 'Inbox');
  assert.equal(r.body.managed, true);
  assert.equal(r.body.path, join(d.dataDir, 'shares', 'Inbox'));
  assert.equal(r.body.status, 'ok');
  assert.equal(r.body.agents, 'read');
  assert.match(r.body.connect.macos, /^smb:\/\/hearth-[0-9a-f]{4}\.local:\d+\/Inbox$/);
  assert.equal(r.body.connect.windows, null, 'Windows only speaks port 445');
  assert.match(r.body.connect.smbclient, /^smbclient \/\/hearth-[0-9a-f]{4}\.local\/Inbox -p \d+ -U alice$/);
  assert.ok((await stat(r.body.path)).isDirectory());
  const conf = await smbConf();
  assert.match(conf, /^\[Inbox\]$/m);
  assert.match(conf, /server min protocol = SMB2_02/);
  assert.match(conf, /map to guest = never/);
  assert.match(conf, /load printers = no/);
  assert.match(conf, /veto files = \/\.hearth\//);
  const list = await owner.get('/api/shares');
  assert.deepEqual(list.body.proposed.map((p: { name: string }) => p.name), ['Notes']);
  assert.equal(list.body.smb.state, 'running', JSON.stringify(list.body.smb));
});

test('every bad input of the issue is refused with a reason and changes nothing', async () => {
  const before = JSON.stringify(await configShares());
  const confBefore = await smbConf();
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ name: 'a/b' }, /cannot contain "\/"/],
    [{ name: '..' }, /\.\./],
    [{ name: 'x..y' }, /\.\./],
    [{ name: 'x'.repeat(100) }, /too long \(100 characters\); use at most 64/],
    [{ name: 'inbox' }, /already a share named "Inbox"/],
    [{ name: 'INBOX' }, /already a share named "Inbox"/],
    [{ name: 'homes' }, /Samba reserves/],
    [{ name: 'global' }, /Samba reserves/],
    [{ name: 'Printers' }, /Samba reserves/],
    [{ name: 'IPC$' }, /Samba reserves/],
    [{ name: '' }, /Give the share a name/],
    [{ name: 42 }, /must be text/],
    [{ name: 'Ok', path: '/' }, /as a whole would expose the system/],
    [{ name: 'Ok', path: '/etc' }, /system folder/],
    [{ name: 'Ok', path: '/etc/ssh' }, /system folder/],
    [{ name: 'Ok', path: '/usr/lib' }, /system folder/],
    [{ name: 'Ok', path: d.dataDir }, /Hearth's own data/],
    [{ name: 'Ok', path: join(d.dataDir, 'samba') }, /inside Hearth's own data/],
    [{ name: 'Ok', path: join(d.dataDir, 'shares') }, /inside Hearth's own data/],
    [{ name: 'Ok', path: '/no/such/folder' }, /There is no folder/],
    [{ name: 'Ok', path: 'relative/dir' }, /not a full path/],
    [{ name: 'Ok', agents: 'all' }, /agents must be one of none, read, read-write/],
    [{ name: 'Ok', network: 'yes' }, /network must be true or false/],
    [{ name: 'Ok', description: 'd'.repeat(201) }, /description is too long/],
  ];
  for (const [body, reason] of bad) {
    const r = await owner.post('/api/shares', body);
    assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)} -> ${r.status} ${r.text}`);
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    assert.match(r.body.detail, reason, JSON.stringify(body).slice(0, 80));
  }
  // A symlink that leads to /etc is judged by where it really points.
  const sneaky = join(outside, 'looks-harmless');
  await symlink('/etc', sneaky);
  const viaLink = await owner.post('/api/shares', { name: 'Ok', path: sneaky });
  assert.equal(viaLink.status, 400);
  assert.match(viaLink.body.detail, /really \/etc/);
  assert.equal(JSON.stringify(await configShares()), before, 'config.json unchanged');
  assert.equal(await smbConf(), confBefore, 'smb.conf unchanged');
  assert.equal(existsSync(join(d.dataDir, 'shares', 'Ok')), false, 'no folder made');
});

test('an existing folder (a USB disk) can be shared; hearth never deletes its files', async () => {
  const usb = join(outside, 'Photos');
  await mkdir(usb);
  await writeFile(join(usb, 'cat.jpg'), 'meow');
  const r = await owner.post('/api/shares', { name: 'Photos', path: usb, readOnly: true });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.managed, false);
  assert.equal(r.body.readOnly, true);
  assert.match(await smbConf(), /\[Photos\]\n {2}path = .*Photos\n(.*\n)*? {2}read only = yes/);
  const again = await owner.post('/api/shares', { name: 'Photos2', path: usb });
  assert.equal(again.status, 409);
  const refuse = await owner.request('DELETE', '/api/shares/Photos', { deleteFiles: true, confirm: 'Photos' });
  assert.equal(refuse.status, 400);
  assert.match(refuse.body.detail, /did not create the folder/);
  const removed = await owner.request('DELETE', '/api/shares/Photos', {});
  assert.equal(removed.status, 204);
  assert.equal(await readFile(join(usb, 'cat.jpg'), 'utf8'), 'meow');
});

test('usage is measured in the background', async () => {
  await writeFile(join(d.dataDir, 'shares', 'Inbox', 'a.txt'), 'x'.repeat(1000));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const s = (await owner.get('/api/shares')).body.shares.find((x: { name: string }) => x.name === 'Inbox');
    if (s.usage && s.usage.files === 1 && s.usage.bytes === 1000) break;
    if (Date.now() > deadline) assert.fail(`usage never caught up: ${JSON.stringify(s.usage)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

test('rename moves the managed folder with its files; settings update; bad patches change nothing', async () => {
  await owner.post('/api/shares', { name: 'Notes', agents: 'read-write' });
  const clash = await owner.request('PATCH', '/api/shares/Inbox', { name: 'notes' });
  assert.equal(clash.status, 400);
  assert.match(clash.body.detail, /already a share named "Notes"/);
  const bad = await owner.request('PATCH', '/api/shares/Inbox', { readOnly: 'no' });
  assert.equal(bad.status, 400);
  assert.equal((await owner.request('PATCH', '/api/shares/Nope', { readOnly: true })).status, 404);

  const r = await owner.request('PATCH', '/api/shares/Inbox', { name: 'Drop Box', description: 'Renamed', readOnly: true });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.name, 'Drop Box');
  assert.equal(r.body.path, join(d.dataDir, 'shares', 'Drop Box'));
  assert.equal(r.body.readOnly, true);
  assert.equal(r.body.connect.macos.endsWith('/Drop%20Box'), true);
  assert.equal(await readFile(join(d.dataDir, 'shares', 'Drop Box', 'a.txt'), 'utf8'), 'x'.repeat(1000));
  assert.equal(existsSync(join(d.dataDir, 'shares', 'Inbox')), false);
  const conf = await smbConf();
  assert.match(conf, /^\[Drop Box\]$/m);
  assert.doesNotMatch(conf, /^\[Inbox\]$/m);
  // A case-only rename works too.
  const lower = await owner.request('PATCH', '/api/shares/Drop%20Box', { name: 'drop box', readOnly: false });
  assert.equal(lower.status, 200, lower.text);
  assert.equal(lower.body.path, join(d.dataDir, 'shares', 'drop box'));
  const back = await owner.request('PATCH', '/api/shares/drop%20box', { name: 'Inbox' });
  assert.equal(back.status, 200, back.text);
  assert.ok(existsSync(join(d.dataDir, 'shares', 'Inbox', 'a.txt')));
});

test('remove keeps the files; deleting them needs the name typed exactly', async () => {
  await writeFile(join(d.dataDir, 'shares', 'Notes', 'keep.md'), '# keep');
  const noConfirm = await owner.request('DELETE', '/api/shares/Notes', { deleteFiles: true });
  assert.equal(noConfirm.status, 400);
  assert.match(noConfirm.body.detail, /type the share's name exactly \("Notes"\)/);
  const wrongCase = await owner.request('DELETE', '/api/shares/Notes', { deleteFiles: true, confirm: 'notes' });
  assert.equal(wrongCase.status, 400);
  assert.ok(existsSync(join(d.dataDir, 'shares', 'Notes', 'keep.md')));

  assert.equal((await owner.request('DELETE', '/api/shares/Notes', {})).status, 204);
  assert.equal(await readFile(join(d.dataDir, 'shares', 'Notes', 'keep.md'), 'utf8'), '# keep', 'files kept');
  assert.equal((await configShares()).some((s) => s.name === 'Notes'), false);
  assert.doesNotMatch(await smbConf(), /^\[Notes\]$/m);
  // Made again, the share takes up its old folder and files.
  const again = await owner.post('/api/shares', { name: 'Notes' });
  assert.equal(again.status, 201);
  assert.ok(existsSync(join(d.dataDir, 'shares', 'Notes', 'keep.md')));

  const del = await owner.request('DELETE', '/api/shares/Notes', { deleteFiles: true, confirm: 'Notes' });
  assert.equal(del.status, 204);
  assert.equal(existsSync(join(d.dataDir, 'shares', 'Notes')), false, 'folder deleted');
});

test('a folder that vanishes while shared (USB pulled) is reported, and comes back', async () => {
  const usb = join(outside, 'Stick');
  await mkdir(usb);
  assert.equal((await owner.post('/api/shares', { name: 'Stick', path: usb })).status, 201);
  await rename(usb, join(outside, 'Stick-gone'));
  const gone = (await owner.get('/api/shares')).body.shares.find((s: { name: string }) => s.name === 'Stick');
  assert.equal(gone.status, 'missing');
  assert.match(gone.problem, /not there any more \(was a disk unplugged\?\)/);
  assert.equal((await owner.get('/api/health')).status, 200, 'hearthd still answers');
  assert.match(d.output(), /share "Stick": The folder .* is not there any more/);
  await rename(join(outside, 'Stick-gone'), usb);
  const back = (await owner.get('/api/shares')).body.shares.find((s: { name: string }) => s.name === 'Stick');
  assert.equal(back.status, 'ok');
  assert.equal(back.problem, null);
  assert.equal((await owner.request('DELETE', '/api/shares/Stick', {})).status, 204);
});

test('SMB password: length checked, set through pdbedit, never in config.json', async () => {
  const short = await owner.post('/api/shares/smb-password', { password: 'short' });
  assert.equal(short.status, 400);
  assert.match(short.body.detail, /8 to 128 characters/);
  const newline = await owner.post('/api/shares/smb-password', { password: 'abcdefgh\nijkl' });
  assert.equal(newline.status, 400);
  const ok = await owner.post('/api/shares/smb-password', { password: 'smb secret 123' });
  assert.equal(ok.status, 204, ok.text);
  const config = await readFile(join(d.dataDir, 'config.json'), 'utf8');
  assert.doesNotMatch(config, /smb secret 123/);
  const smb = JSON.parse(config).smb;
  assert.equal(smb.username, 'alice');
  assert.ok(smb.passwordSetAt);
  assert.equal((await owner.get('/api/shares')).body.smb.passwordSet, true);
});

test('CLI: hearth share add | ls | rm and hearth smb-password', async () => {
  const add = await runHearth(['share', 'add', 'Scans', '--agents', 'read', '--description', 'From the scanner'], d.dataDir);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /Share "Scans" is ready at .*shares\/Scans/);
  const bad = await runHearth(['share', 'add', 'homes'], d.dataDir);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Samba reserves/);
  const ls = await runHearth(['share', 'ls'], d.dataDir);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, /Scans\s+network read-write\s+agents read/);
  assert.match(ls.stdout, /SMB: running/);
  const json = await runHearth(['share', 'ls', '--json'], d.dataDir);
  assert.ok(JSON.parse(json.stdout).shares.some((s: { name: string; description: string }) => s.name === 'Scans' && s.description === 'From the scanner'));
  await writeFile(join(d.dataDir, 'shares', 'Scans', 'scan.pdf'), '%PDF');
  const noTty = await runHearth(['share', 'rm', 'Scans', '--delete-files'], d.dataDir);
  assert.equal(noTty.code, 1);
  assert.match(noTty.stderr, /needs confirmation/);
  const rm = await runHearth(['share', 'rm', 'Scans'], d.dataDir);
  assert.equal(rm.code, 0, rm.stderr);
  assert.match(rm.stdout, /its files are still on the box/);
  assert.ok(existsSync(join(d.dataDir, 'shares', 'Scans', 'scan.pdf')));
  assert.equal((await runHearth(['share', 'add', 'Scans'], d.dataDir)).code, 0);
  const rmAll = await runHearth(['share', 'rm', 'Scans', '--delete-files', '--yes'], d.dataDir);
  assert.equal(rmAll.code, 0, rmAll.stderr);
  assert.equal(existsSync(join(d.dataDir, 'shares', 'Scans')), false);

  const pw = await runHearth(['smb-password'], d.dataDir, 'from the cli 42\n');
  assert.equal(pw.code, 0, pw.stderr);
  assert.match(pw.stdout, /Connect as alice/);
  const shortPw = await runHearth(['smb-password'], d.dataDir, 'short\n');
  assert.equal(shortPw.code, 1);
  assert.match(shortPw.stderr, /8 to 128 characters/);
});

test('without Samba, or with SMB off, hearthd runs and says so; shares still work', async (t) => {
  const empty = await tempDataDir('hearth-no-samba-');
  const noSamba = await startDaemon({ env: { HEARTH_SAMBA_DIR: empty } });
  const off = await startDaemon({ env: { HEARTH_SMB: 'off' } });
  t.after(async () => {
    await noSamba.stop();
    await off.stop();
    for (const dir of [empty, noSamba.dataDir, off.dataDir]) await removeDir(dir);
  });
  for (const [daemon, state, problem] of [
    [noSamba, 'not-installed', /apt-get install samba/],
    [off, 'off', /HEARTH_SMB=off/],
  ] as const) {
    await controlRequest(daemon.socketPath, 'POST', '/setup', { owner: 'alice', password: PASSWORD, name: 'Lab' });
    const o = new HttpClient(daemon.url);
    assert.equal((await o.post('/api/auth/login', { username: 'alice', password: PASSWORD })).status, 200);
    const made = await o.post('/api/shares', { name: 'Inbox' });
    assert.equal(made.status, 201, made.text);
    const smb = (await o.get('/api/shares')).body.smb;
    assert.equal(smb.state, state);
    assert.match(smb.problem, problem);
    const pw = await o.post('/api/shares/smb-password', { password: 'long enough' });
    assert.ok(pw.status === 503 || pw.status === 409, pw.text);
    assert.match(pw.body.detail, problem);
  }
  assert.match(noSamba.output(), /Samba is not installed on this box/);
});
