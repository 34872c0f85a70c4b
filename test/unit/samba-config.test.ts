import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSambaConfig, generateUsernameMap, sambaPaths, type SambaConfigInput } from '../../appliance/src/shares/samba-config.js';

const input = (over: Partial<SambaConfigInput> = {}): SambaConfigInput => ({
  mode: 'private',
  paths: sambaPaths('/srv/hearth'),
  netbiosName: 'HEARTH-AB12',
  serverString: 'Kitchen',
  port: 1445,
  bindAddress: '127.0.0.1',
  smbUser: 'alice',
  unixUser: 'hearth',
  vfsObjects: [],
  logLevel: 1,
  shares: [
    { name: 'Inbox', description: 'Drop here', path: '/srv/hearth/shares/Inbox', readOnly: false },
    { name: 'Archive', description: '', path: '/mnt/usb/Archive', readOnly: true },
  ],
  ...over,
});

test('private conf: SMB2+, no guest, no printers, every state dir under the data dir, bound and on its port', () => {
  const conf = generateSambaConfig(input());
  for (const line of [
    'server min protocol = SMB2_02',
    'map to guest = never',
    'restrict anonymous = 2',
    'load printers = no',
    'printing = bsd',
    'printcap name = /dev/null',
    'disable spoolss = yes',
    'smb ports = 1445',
    'interfaces = 127.0.0.1',
    'bind interfaces only = yes',
    'netbios name = HEARTH-AB12',
    'passdb backend = tdbsam:/srv/hearth/samba/private/passdb.tdb',
    'username map = /srv/hearth/samba/users.map',
    'state directory = /srv/hearth/samba/state',
    'ncalrpc dir = /srv/hearth/samba/ncalrpc',
    'log file = /srv/hearth/samba/log/log.%m',
  ]) {
    assert.ok(conf.includes(`  ${line}\n`), `missing: ${line}`);
  }
  assert.match(conf, /\[Inbox\]\n {2}path = \/srv\/hearth\/shares\/Inbox\n {2}comment = Drop here\n/);
  assert.match(conf, /\[Archive\]\n(.*\n)*? {2}read only = yes\n/);
  assert.match(conf, / {2}valid users = hearth\n {2}force user = hearth\n {2}hide dot files = yes\n {2}veto files = \/\.hearth\//);
  assert.doesNotMatch(conf, /vfs objects/);
});

test('wildcard host: no interfaces line; macOS modules only when present', () => {
  const conf = generateSambaConfig(input({ bindAddress: null, vfsObjects: ['catia', 'fruit', 'streams_xattr'] }));
  assert.doesNotMatch(conf, /interfaces =/);
  assert.match(conf, /vfs objects = catia fruit streams_xattr/);
  assert.match(conf, /fruit:model = Xserve/);
});

test('system mode: shares and safe globals only, no ports or state dirs', () => {
  const conf = generateSambaConfig(input({ mode: 'system' }));
  assert.doesNotMatch(conf, /smb ports|state directory|\[global\]/);
  assert.match(conf, /server min protocol = SMB2_02/);
  assert.match(conf, /\[Inbox\]/);
});

test('a line break in a value cannot start a new smb.conf line', () => {
  const conf = generateSambaConfig(input({ serverString: 'Evil\n[root]\npath = /' }));
  assert.doesNotMatch(conf, /^\[root\]$/m);
});

test('the username map points the SMB login at the daemon user', () => {
  assert.equal(generateUsernameMap('root', 'alice'), 'root = alice\n');
  assert.equal(generateUsernameMap('alice', 'alice'), '');
});

test('testparm accepts the generated conf (Samba must be installed)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-testparm-'));
  try {
    const conf = join(dir, 'smb.conf');
    const paths = sambaPaths(dir);
    for (const d of [paths.state, paths.cache, paths.lock, paths.pid, paths.private, paths.ncalrpc, paths.log]) mkdirSync(d, { recursive: true });
    writeFileSync(conf, generateSambaConfig(input({ paths })));
    const out = execFileSync('testparm', ['-s', conf], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(out, /\[Inbox\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
