import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, ROOT, controlRequest, removeDir, runHearth, startDaemon, tempDataDir } from '../helpers/daemon.js';
import { HttpClient } from '../helpers/http-client.js';
import { PROVISION_FILE, RESET_PASSWORD_FILE } from '../../provisioning/src/provision-file.js';

// The real first-boot step (built: `npm run -s build:appliance && npm run -s build:provisioning`), run as
// a real process against temp directories standing in for the ESP, the data partition and /run.
// The service user is root here (the box uses `hearth`); the host name goes to a temp file.

const FIRST_BOOT = join(ROOT, 'provisioning/dist/provisioning/src/first-boot.js');
const run = promisify(execFile);

interface Box {
  base: string;
  esp: string;
  system: string;
  data: string;
  run: string;
  hostnameFile: string;
}

async function makeBox(): Promise<Box> {
  const base = await tempDataDir('hearth-first-boot-');
  const box = {
    base,
    esp: join(base, 'efi'),
    system: join(base, 'system'),
    data: join(base, 'data'),
    run: join(base, 'run'),
    hostnameFile: join(base, 'hostname'),
  };
  await mkdir(join(box.esp, 'EFI'), { recursive: true });
  await mkdir(box.data, { recursive: true, mode: 0o750 }); // made by tmpfiles.d on the box
  return box;
}

async function firstBoot(box: Box): Promise<{ code: number; out: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HEARTH_ESP_DIR: box.esp,
    HEARTH_SYSTEM_DIR: box.system,
    HEARTH_DATA_DIR: box.data,
    HEARTH_RUN_DIR: box.run,
    HEARTH_CLI: CLI,
    HEARTH_SERVICE_USER: 'root',
    HEARTH_HOSTNAME_FILE: box.hostnameFile,
  };
  delete env.HEARTH_ZONEINFO;
  try {
    const { stdout, stderr } = await run(process.execPath, [FIRST_BOOT], { env, timeout: 90_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const text = (path: string) => readFile(path, 'utf8');
const json = async (path: string) => JSON.parse(await text(path));
const codeInIssue = (issue: string) => /Setup code: ([A-Z2-9]{4}-[A-Z2-9]{4})/.exec(issue)?.[1] ?? null;

async function sshKey(dir: string, name: string): Promise<string> {
  const file = join(dir, name);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@laptop`, '-f', file]);
  return (await text(`${file}.pub`)).trim();
}

test('no provisioning file: identity, host key, setup code and host name; a second boot keeps them', async () => {
  const box = await makeBox();
  try {
    const first = await firstBoot(box);
    assert.equal(first.code, 0, first.out);
    const cfg = await json(join(box.data, 'config.json'));
    const suffix: string = cfg.device.suffix;
    assert.match(suffix, /^[0-9a-f]{4}$/);

    const key = join(box.system, 'ssh', 'ssh_host_ed25519_key');
    assert.ok(existsSync(key) && existsSync(`${key}.pub`), 'the SSH host key is made');
    const pub = await text(`${key}.pub`);
    assert.match(pub, /^ssh-ed25519 /);

    const issue = await text(join(box.run, 'issue'));
    const code = codeInIssue(issue);
    assert.ok(code, issue);
    assert.ok(issue.includes(`http://hearth-${suffix}.local`), issue);
    assert.equal((await text(box.hostnameFile)).trim(), `hearth-${suffix}`);
    assert.match(first.out, new RegExp(`set me up at http://hearth-${suffix}\\.local with the setup code ${code}`));
    assert.equal((await text(join(box.data, 'setup-code'))).trim(), code);

    const second = await firstBoot(box);
    assert.equal(second.code, 0, second.out);
    assert.doesNotMatch(second.out, /made this box's SSH host key/);
    assert.equal(await text(`${key}.pub`), pub, 'the same host key');
    assert.equal(codeInIssue(await text(join(box.run, 'issue'))), code, 'the same setup code');
    const again = await json(join(box.data, 'config.json'));
    assert.equal(again.device.id, cfg.device.id, 'the same identity');
    assert.equal((await text(box.hostnameFile)).trim(), `hearth-${suffix}`);
  } finally {
    await removeDir(box.base);
  }
});

test('a valid provisioning file is applied once, and its secrets leave the boot partition', async () => {
  const box = await makeBox();
  try {
    const k1 = await sshKey(box.base, 'one');
    const k2 = await sshKey(box.base, 'two');
    const provision = {
      hostname: 'den',
      timezone: 'Europe/Berlin',
      sshAuthorizedKeys: [k1, k2],
      setupCode: 'k7qm2xpd',
      wifi: { ssid: 'Home Net', password: 'p@ss word=1', country: 'DE' },
    };
    const espFile = join(box.esp, PROVISION_FILE);
    await writeFile(espFile, JSON.stringify(provision, null, 2));

    const first = await firstBoot(box);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /applied hearth-provision\.json/);

    assert.equal(await readlink(join(box.system, 'localtime')), '/usr/share/zoneinfo/Europe/Berlin');
    assert.equal((await text(join(box.system, 'timezone'))).trim(), 'Europe/Berlin');
    assert.equal(await text(join(box.system, 'ssh', 'authorized_keys')), `${k1}\n${k2}\n`);
    const iwdName = `=${Buffer.from('Home Net').toString('hex')}.psk`;
    assert.deepEqual(await readdir(join(box.system, 'iwd')), [iwdName]);
    assert.match(await text(join(box.system, 'iwd', iwdName)), /^Passphrase=p@ss word=1$/m);
    assert.equal((await text(join(box.system, 'wifi-country'))).trim(), 'DE');

    const issue = await text(join(box.run, 'issue'));
    assert.equal(codeInIssue(issue), 'K7QM-2XPD', issue);
    assert.ok(issue.includes('http://den.local'), issue);
    assert.equal((await text(box.hostnameFile)).trim(), 'den');
    assert.equal((await json(join(box.data, 'config.json'))).device.hostname, 'den');

    const kept = await json(espFile);
    assert.equal(kept.setupCode, undefined, 'the setup code is gone from the ESP');
    assert.deepEqual(kept.wifi, { ssid: 'Home Net', country: 'DE' }, 'the Wi-Fi password is gone from the ESP');
    assert.equal(kept.hostname, 'den');
    assert.equal(kept.timezone, 'Europe/Berlin');
    assert.deepEqual(kept.sshAuthorizedKeys, [k1, k2]);
    assert.deepEqual([...kept.applied.fields].sort(), ['hostname', 'setupCode', 'sshAuthorizedKeys', 'timezone', 'wifi']);
    assert.ok(!Number.isNaN(Date.parse(kept.applied.at)));
    assert.deepEqual(await json(join(box.system, 'provisioned')), kept.applied);
    const espText = await text(espFile);
    assert.doesNotMatch(espText, /p@ss word|K7QM/i);

    // The next boot finds it applied: nothing is done again (a removed authorized_keys stays removed).
    await rm(join(box.system, 'ssh', 'authorized_keys'));
    const second = await firstBoot(box);
    assert.equal(second.code, 0, second.out);
    assert.doesNotMatch(second.out, /applied hearth-provision/);
    assert.equal(await text(espFile), espText, 'the ESP file is left as it is');
    assert.ok(!existsSync(join(box.system, 'ssh', 'authorized_keys')), 'not applied again');
    assert.equal(codeInIssue(await text(join(box.run, 'issue'))), 'K7QM-2XPD');
    assert.equal((await text(box.hostnameFile)).trim(), 'den');
  } finally {
    await removeDir(box.base);
  }
});

for (const [what, provision, expected] of [
  [
    'a bad time zone and a bad SSH key',
    { hostname: 'den', timezone: 'Mars/Olympus', sshAuthorizedKeys: ['ssh-dss AAAAB3NzaC1kc3M= old key'], setupCode: 'K7QM-2XPD', wifi: { ssid: 'Home', password: 'long enough' } },
    [/timezone: "Mars\/Olympus" is not a time zone name/, /sshAuthorizedKeys\[0\]: .* is not an SSH public key/],
  ],
  [
    'an unknown field',
    { hostname: 'den', timezone: 'Europe/Berlin', setupCode: 'K7QM-2XPD', sshKeys: ['ssh-ed25519 AAAAC3Nz'] },
    [/Unknown field "sshKeys"/],
  ],
] as const) {
  test(`an invalid provisioning file (${what}): nothing is applied, the file stays, the errors are shown`, async () => {
    const box = await makeBox();
    try {
      const espFile = join(box.esp, PROVISION_FILE);
      const original = JSON.stringify(provision, null, 2);
      await writeFile(espFile, original);

      const r = await firstBoot(box);
      assert.equal(r.code, 0, r.out);
      for (const e of expected) assert.match(r.out, e);
      assert.doesNotMatch(r.out, /applied hearth-provision/);

      assert.ok(!existsSync(join(box.system, 'ssh', 'authorized_keys')), 'no authorized_keys');
      assert.ok(!existsSync(join(box.system, 'localtime')), 'no time zone');
      assert.ok(!existsSync(join(box.system, 'iwd')), 'no Wi-Fi');
      assert.ok(!existsSync(join(box.system, 'provisioned')));
      assert.equal(await text(espFile), original, 'the file is left as it is');

      const issue = await text(join(box.run, 'issue'));
      const code = codeInIssue(issue);
      assert.ok(code, issue);
      assert.notEqual(code, 'K7QM-2XPD', 'the preset code is not used');
      for (const e of expected) assert.match(issue, e);
      assert.match(issue, /hearth-provision\.json was not applied/);
      const suffix = (await json(join(box.data, 'config.json'))).device.suffix;
      assert.equal((await text(box.hostnameFile)).trim(), `hearth-${suffix}`, 'the host name is not "den"');
      assert.equal((await json(join(box.data, 'config.json'))).device.hostname, '');
    } finally {
      await removeDir(box.base);
    }
  });
}

test('hearth-reset-password on the boot partition: the owner is kept, the box is claimable with a new code', async () => {
  const box = await makeBox();
  try {
    const init = await runHearth(['init', '--json'], box.data);
    assert.equal(init.code, 0, init.stderr);

    const d = await startDaemon({ dataDir: box.data });
    let oldCode: string;
    try {
      oldCode = (await controlRequest<{ setupCode: string }>(d.socketPath, 'GET', '/setup-code')).body.setupCode;
      const owner = new HttpClient(d.url);
      const claim = await owner.post('/api/setup/claim', { code: oldCode });
      assert.equal(claim.status, 200, JSON.stringify(claim.body));
      const made = await owner.post('/api/setup/owner', { username: 'alice', password: 'correct horse battery' });
      assert.equal(made.status, 200, JSON.stringify(made.body));
    } finally {
      assert.equal((await d.stop()).code, 0, d.output());
    }
    const claimed = await json(join(box.data, 'config.json'));
    assert.equal(claimed.auth.owner.username, 'alice');
    assert.ok(claimed.auth.owner.passwordHash);

    // Claimed: the banner shows no setup code.
    const before = await firstBoot(box);
    assert.equal(before.code, 0, before.out);
    assert.equal(codeInIssue(await text(join(box.run, 'issue'))), null);
    assert.match(before.out, /ready at http:\/\/hearth-[0-9a-f]{4}\.local/);

    await writeFile(join(box.esp, RESET_PASSWORD_FILE), '');
    const r = await firstBoot(box);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /the owner password will be cleared/);
    assert.ok(!existsSync(join(box.esp, RESET_PASSWORD_FILE)), 'the ESP file is gone');
    assert.ok(!existsSync(join(box.data, 'reset-password-request')), 'hearthd carried out the request');

    const issue = await text(join(box.run, 'issue'));
    const code = codeInIssue(issue);
    assert.ok(code, issue);
    assert.notEqual(code, oldCode);
    const cfg = await json(join(box.data, 'config.json'));
    assert.equal(cfg.auth.owner.username, 'alice', 'the owner is kept');
    assert.equal(cfg.auth.owner.passwordHash, null, 'the password is cleared');
    assert.equal(cfg.device.id, claimed.device.id);

    // The box is claimable again with that code, and the code survives another boot.
    const d2 = await startDaemon({ dataDir: box.data });
    try {
      const c = new HttpClient(d2.url);
      const state = (await c.get('/api/setup/state')).body;
      assert.equal(state.step, 'claim');
      const claim = await c.post('/api/setup/claim', { code });
      assert.equal(claim.status, 200, JSON.stringify(claim.body));
    } finally {
      assert.equal((await d2.stop()).code, 0, d2.output());
    }
  } finally {
    await removeDir(box.base);
  }
});
