// Boots the real disk image (HEARTH_IMAGE, built by `make image`) in QEMU with UEFI firmware
// under software emulation, 2 cores and 2 GiB, on a private LAN made of network
// namespaces: a tap device for the guest, a host-side namespace with dnsmasq (DHCP) and
// avahi-daemon. The image is first written with the real flash helper and a provisioning
// file, then:
//   1. first boot: setup code on the serial console, /api/health over the network,
//      _hearth._tcp and the provisioned host name over mDNS, the provisioning applied
//      (SSH key, time zone, Wi-Fi) with its secrets removed, read-only root, grown data;
//   2. claim and finish setup over HTTP, a file into a share over SMB, power off, cold boot:
//      still set up, the file still there (and the boot timed);
//   3. the same image with hearthd masked: time to the login prompt;
//   4. hearth-factory-reset on the boot partition: back unclaimed with a new setup code, the
//      erase done before the data partition's file system check, a new provisioning file applied;
//   5. claimed again, a factory reset asked for over HTTP reboots it into the same reset.
// Figures go to image/out/<image>.boot.json for `make bench`; every boot's console to
// image/out/<image>.boot-console.log.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, removeStaleLabs, run, waitFor } from '../net/lab.js';
import { Vm, vmPrerequisites, type Arch } from './vm.js';
import { espReadFile, espWriteFile } from '../../provisioning/src/esp.js';
import { FACTORY_RESET_FILE, PROVISION_FILE } from '../../provisioning/src/provision-file.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const IMAGE = process.env.HEARTH_IMAGE ?? '';
const ARCH: Arch = /-arm64\.img$/.test(IMAGE) ? 'arm64' : 'amd64';
const HOST_IP = '10.77.0.1';
const GUEST_IP = '10.77.0.50';
const GUEST_MAC = '52:54:00:4e:41:50';
const BASE = `http://${GUEST_IP}`;
const PRESET_CODE = 'K7QM-2XPD';
const OWNER = { user: 'robin', password: 'a long enough passphrase' };
const SMB_PASSWORD = 'share pass 42';
// Under emulation a boot takes tens of seconds; these bounds leave room for a slow CI box.
const BOOT_MS = 300_000;

function prerequisites(): string[] {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('the image boot test must run as root (network namespaces, tap devices)');
  if (!IMAGE) problems.push('HEARTH_IMAGE is not set; run it through `make test` or `make image-test`, which build the image first');
  else if (!existsSync(IMAGE)) problems.push(`the image ${IMAGE} does not exist; build it with make image ARCH=${ARCH}`);
  problems.push(...vmPrerequisites(ARCH));
  for (const [tool, pkg] of [['/usr/sbin/dnsmasq', 'dnsmasq-base'], ['/usr/bin/ssh', 'openssh-client'], ['/usr/bin/mcopy', 'mtools'], ['/usr/bin/avahi-browse', 'avahi-utils'], ['/usr/bin/smbclient', 'smbclient']]) {
    if (!existsSync(tool!)) problems.push(`${tool} is missing (Debian package ${pkg})`);
  }
  return problems;
}

const lab = new Lab();
const figures: Record<string, number | string> = {};
let vm: Vm;
let disk = '';
let sshKey = '';
const host = () => lab.ns('host');

/** Run a command in the host-side namespace, where the guest is reachable. */
async function inHost(cmd: string, args: string[], timeoutMs = 20_000) {
  return run('ip', ['netns', 'exec', host(), cmd, ...args], { timeoutMs });
}

async function guestClient(...args: string[]): Promise<any> {
  const r = await inHost(process.execPath, ['--import', 'tsx', join(ROOT, 'test/image/guest-client.ts'), args[0]!, BASE, ...args.slice(1)], 30_000);
  if (r.code !== 0) throw new Error(`guest-client ${args[0]} failed: ${r.stderr.trim() || r.stdout.trim()}${await hearthdJournal()}`);
  return JSON.parse(r.stdout.trim());
}

/** hearthd's last log lines from the guest, to explain a failure (empty when SSH is not up). */
async function hearthdJournal(): Promise<string> {
  const r = await inHost('ssh', ['-i', sshKey, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR', `root@${GUEST_IP}`, 'journalctl -b --no-pager -n 60 -u hearthd'], 30_000).catch(() => null);
  return r?.code === 0 ? `\nhearthd's journal on the box:\n${r.stdout}` : '';
}

async function ssh(command: string): Promise<string> {
  const r = await inHost('ssh', ['-i', sshKey, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=8', '-o', 'LogLevel=ERROR', `root@${GUEST_IP}`, command], 60_000);
  if (r.code !== 0) throw new Error(`ssh "${command}" failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

async function waitHealth(): Promise<{ body: any; ms: number }> {
  const { value } = await waitFor('/api/health to answer over the network', BOOT_MS, async () => {
    if (!vm.running) throw new Error(`the VM stopped; console:\n${vm.tail()}`);
    const r = await guestClient('health').catch(() => undefined);
    return r?.status === 200 ? r.body : undefined;
  }, 1000);
  return { body: value, ms: Date.now() - vm.startedAt };
}

/**
 * Lines of this boot's console where the system says something failed: what a person at the screen
 * would worry about. (The test VM's firmware first tries QEMU's empty DVD drive; that is not the box.)
 */
function consoleFailures(): string[] {
  return vm.serial().split('\n').filter((l) => !/BdsDxe:/.test(l) && /failed with exit status|\[FAILED\]|: Failed to |emergency mode/.test(l));
}

/** Each step starts with the VM off; one left running by a failed step is stopped hard. */
async function fromPoweredOff(): Promise<void> {
  if (vm.running) await vm.kill();
}

/** A clean shutdown through SSH (retried while sshd is still starting), then QEMU exits. */
async function powerOff(): Promise<void> {
  await waitFor('SSH to accept the poweroff', 90_000, async () => {
    const r = await inHost('ssh', ['-i', sshKey, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR', `root@${GUEST_IP}`, 'systemctl poweroff'], 30_000);
    // 255 with "closed by remote host" is the connection dropping as the box goes down.
    return r.code === 0 || /closed by remote host|Connection to .* closed/.test(r.stderr) ? true : undefined;
  }, 2000);
  await vm.waitExit(120_000);
}

describe(`the ${ARCH} disk image, booted in QEMU`, { concurrency: false }, () => {
  const problems = prerequisites();

  before(async () => {
    if (problems.length) return;
    await removeStaleLabs();
    await lab.create();
    await lab.addHost('host', `${HOST_IP}/24`);
    await lab.startAvahi('host');
    // The guest's tap device sits on the lab's bridge next to the host namespace.
    execFileSync('ip', ['-n', lab.bridgeNs, 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
    execFileSync('ip', ['-n', lab.bridgeNs, 'link', 'set', 'tap0', 'master', 'br0', 'up']);
    const leases = join(lab.dir, 'dnsmasq.leases');
    const dnsmasq = await inHost('dnsmasq', [
      '--port=0', '--interface=eth0', '--bind-interfaces', '--no-resolv', '--no-hosts', '--user=root',
      `--dhcp-range=10.77.0.100,10.77.0.150,255.255.255.0,1h`, `--dhcp-host=${GUEST_MAC},${GUEST_IP}`,
      `--dhcp-option=option:router,${HOST_IP}`, `--dhcp-leasefile=${leases}`, `--pid-file=${join(lab.dir, 'dnsmasq.pid')}`,
    ]);
    assert.equal(dnsmasq.code, 0, `dnsmasq did not start: ${dnsmasq.stderr}`);

    // The box's owner key, for the provisioning file.
    sshKey = join(lab.dir, 'owner_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'owner@test', '-f', sshKey]);
    const provision = {
      hostname: 'den',
      timezone: 'Asia/Kolkata',
      sshAuthorizedKeys: [readFileSync(`${sshKey}.pub`, 'utf8').trim()],
      setupCode: PRESET_CODE,
      wifi: { ssid: 'Home Net', password: 'correct horse battery', country: 'DE' },
    };
    const provisionPath = join(lab.dir, 'provision.json');
    writeFileSync(provisionPath, JSON.stringify(provision, null, 2));

    // Written the way a person would: the flash helper, onto a "disk" bigger than the image.
    disk = join(lab.dir, 'disk.img');
    execFileSync('truncate', ['-s', '4G', disk]);
    const t0 = Date.now();
    const flash = await run(process.execPath, [join(ROOT, 'appliance/dist/cli/main.js'), 'flash', IMAGE, disk, '--provision', provisionPath, '--yes'], { timeoutMs: 300_000 });
    assert.equal(flash.code, 0, `hearth flash failed: ${flash.stderr}`);
    figures.flashMs = Date.now() - t0;
    vm = new Vm({ arch: ARCH, disk, netns: lab.bridgeNs, tap: 'tap0', mac: GUEST_MAC, dir: lab.dir, name: 'guest' });
  });

  after(async () => {
    if (problems.length) return;
    await vm?.kill();
    if (vm) {
      // Every boot's console, kept next to the image: what to read when a step failed.
      vm.keepConsole();
      if (existsSync(vm.consoleLogPath)) copyFileSync(vm.consoleLogPath, IMAGE.replace(/\.img$/, '.boot-console.log'));
    }
    if (IMAGE && Object.keys(figures).length) {
      const out = IMAGE.replace(/\.img$/, '.boot.json');
      writeFileSync(out, JSON.stringify({ image: basename(IMAGE), arch: ARCH, measuredAt: new Date().toISOString(), ...figures }, null, 2) + '\n');
    }
    await lab.destroy();
  });

  test('this machine can boot the image', () => {
    assert.deepEqual(problems, [], `cannot run the image boot test: ${problems.join('; ')}`);
  });

  test('first boot: setup code on the console, health over the network, mDNS, provisioning applied', async () => {
    assert.deepEqual(problems, [], `cannot run the image boot test: ${problems.join('; ')}`);
    await fromPoweredOff();
    vm.start();
    const code = await vm.waitSerial('the setup code', /Setup code: ([A-Z0-9]{4}-[A-Z0-9]{4})/, BOOT_MS);
    assert.equal(code.match[1], PRESET_CODE, `the provisioned setup code is the one shown; console:\n${vm.tail(80)}`);
    assert.match(vm.serial(), /http:\/\/den\.local/, 'the console names the provisioned host name');
    const health = await waitHealth();
    figures.firstBootToHealthMs = health.ms;
    assert.deepEqual(consoleFailures(), [], 'the first boot shows no failure on the console');
    assert.equal(health.body.status, 'ok');
    assert.equal(health.body.setup, 'pending');

    const { value: service } = await waitFor('avahi-browse to find _hearth._tcp', 30_000, async () => {
      const list = await lab.avahiBrowse('host', '_hearth._tcp');
      return list.find((e) => e.event === '=' && e.address === GUEST_IP);
    });
    assert.match(service.host ?? '', /^hearth-[0-9a-f]{4}\.local$/, 'SRV target is the factory name');
    const { value: denAddress } = await waitFor('den.local to resolve', 30_000, () => lab.avahiResolve('host', 'den.local'));
    assert.equal(denAddress, GUEST_IP, 'the provisioned host name answers over mDNS');

    // Inside, through the provisioned SSH key.
    assert.equal((await ssh('hostname')).trim(), 'den');
    assert.equal((await ssh('date +%Z')).trim(), 'IST', 'the provisioned time zone (Asia/Kolkata) is in effect');
    const espFile = JSON.parse(await ssh(`cat /efi/${PROVISION_FILE}`));
    assert.equal(espFile.setupCode, undefined, 'the setup code was removed from the boot partition');
    assert.equal(espFile.wifi.password, undefined, 'the Wi-Fi password was removed from the boot partition');
    assert.equal(espFile.wifi.ssid, 'Home Net');
    assert.deepEqual([...espFile.applied.fields].sort(), ['hostname', 'setupCode', 'sshAuthorizedKeys', 'timezone', 'wifi']);
    assert.match(await ssh('cat "/var/lib/iwd/=486f6d65204e6574.psk"'), /Passphrase=correct horse battery/, 'the Wi-Fi network is in iwd\'s configuration');

    const rootOptions = (await ssh('findmnt -no OPTIONS /')).trim();
    assert.match(rootOptions, /(^|,)ro(,|$)/, `the root file system is mounted read-only (${rootOptions})`);
    const write = await inHost('ssh', ['-i', sshKey, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', `root@${GUEST_IP}`, 'touch /usr/hearth-write-test'], 30_000);
    assert.notEqual(write.code, 0);
    assert.match(write.stderr, /Read-only file system/);
    const dataBytes = Number((await ssh('df -B1 --output=size /var/lib/hearth | tail -1')).trim());
    figures.dataPartitionBytes = dataBytes;
    assert.ok(dataBytes > 2.5e9, `the data partition grew to fill the 4 GB disk (${dataBytes} bytes)`);
    const unit = await ssh('systemctl show hearthd -p User -p ActiveState -p ProtectSystem -p NoNewPrivileges');
    assert.match(unit, /User=hearth/);
    assert.match(unit, /ActiveState=active/);
    assert.match(unit, /ProtectSystem=strict/);
    assert.match(await ssh('ps -o user= -C node'), /hearth/, 'hearthd runs as its own user');
    const cycles = await ssh("journalctl -b --no-pager -o cat | grep -i 'ordering cycle' || true");
    assert.equal(cycles.trim(), '', 'systemd found no ordering cycle among the units');
  });

  test('claiming, setting up and a file in a share over SMB survive a power cycle; boot time measured', async () => {
    assert.deepEqual(problems, [], `cannot run the image boot test: ${problems.join('; ')}`);
    assert.ok(vm.running, 'this step continues from the first boot, which did not leave the box running');
    const done = await guestClient('claim', PRESET_CODE, OWNER.user, OWNER.password);
    assert.equal(done.setup, 'complete');
    // Samba under the unprivileged hearthd: a share, and a file there and back with smbclient.
    await guestClient('share', OWNER.user, OWNER.password, SMB_PASSWORD);
    const payload = join(lab.dir, 'upload.bin');
    writeFileSync(payload, randomBytes(100_000));
    const smb = (command: string) => inHost('smbclient', [`//${GUEST_IP}/Inbox`, '-U', `${OWNER.user}%${SMB_PASSWORD}`, '-m', 'SMB3', '-c', command], 60_000);
    const { value: put } = await waitFor('smbclient to upload into Inbox', 60_000, async () => {
      const r = await smb(`put ${payload} upload.bin`);
      return r.code === 0 ? r : undefined;
    }, 2000);
    assert.equal(put.code, 0);
    assert.match(await ssh('ls -l /var/lib/hearth/data/shares/Inbox/upload.bin'), / hearth hearth 100000 /, 'stored as the service user');
    await powerOff();

    vm.start();
    const login = await vm.waitSerial('the login prompt', /login:/, BOOT_MS);
    const health = await waitHealth();
    figures.bootToHealthMs = health.ms;
    figures.bootToLoginWithHearthdMs = login.ms;
    assert.equal(health.body.setup, 'complete', 'setup is still complete after the reboot');
    assert.equal((await guestClient('login', OWNER.user, OWNER.password)).status, 200, 'the owner can sign in after the reboot');
    assert.doesNotMatch(vm.serial(), /Setup code:/, 'no setup code is shown once the box is set up');
    assert.match(vm.serial(), /^den login:/m, 'the provisioned host name survived setup and the power cycle');
    assert.deepEqual(consoleFailures(), [], 'a later boot shows no failure on the console');
    const back = join(lab.dir, 'download.bin');
    const get = await waitFor('smbclient to download from Inbox after the reboot', 60_000, async () => {
      const r = await inHost('smbclient', [`//${GUEST_IP}/Inbox`, '-U', `${OWNER.user}%${SMB_PASSWORD}`, '-m', 'SMB3', '-c', `get upload.bin ${back}`], 60_000);
      return r.code === 0 ? r : undefined;
    }, 2000);
    assert.equal(get.value.code, 0);
    assert.ok(readFileSync(back).equals(readFileSync(join(lab.dir, 'upload.bin'))), 'the file comes back the same after a power cycle');
    await powerOff();
  });

  test('the same image with hearthd masked: boot to the login prompt', async () => {
    assert.deepEqual(problems, [], `cannot run the image boot test: ${problems.join('; ')}`);
    await fromPoweredOff();
    const entryName = 'loader/entries/hearth.conf';
    const entry = (await espReadFile(disk, entryName))!.toString('utf8');
    await espWriteFile(disk, entryName, entry.replace(/^options (.*)$/m, 'options $1 systemd.mask=hearthd.service'));
    try {
      vm.start();
      const login = await vm.waitSerial('the login prompt', /login:/, BOOT_MS);
      figures.bootToLoginWithoutHearthdMs = login.ms;
      const health = await guestClient('health').catch((err: Error) => err);
      assert.ok(health instanceof Error || health.status !== 200, 'hearthd is not running in the plain boot');
      figures.hearthdShareOfBoot = Number(((Number(figures.bootToHealthMs) - login.ms) / Number(figures.bootToHealthMs)).toFixed(3));
      await powerOff();
    } finally {
      await espWriteFile(disk, entryName, entry);
    }
  });

  test('hearth-factory-reset on the boot partition brings the box back unclaimed', async () => {
    assert.deepEqual(problems, [], `cannot run the image boot test: ${problems.join('; ')}`);
    await fromPoweredOff();
    await espWriteFile(disk, FACTORY_RESET_FILE, '');
    // The reset erases the box's SSH keys with the rest of its data; a new provisioning file next to
    // the request (as an owner handing the box on would write) is applied to the reset box.
    await espWriteFile(disk, PROVISION_FILE, JSON.stringify({ sshAuthorizedKeys: [readFileSync(`${sshKey}.pub`, 'utf8').trim()] }));
    vm.start();
    const code = await vm.waitSerial('a new setup code', /Setup code: ([A-Z0-9]{4}-[A-Z0-9]{4})/, BOOT_MS);
    assert.notEqual(code.match[1], PRESET_CODE, 'a new setup code, not the provisioned one');
    assert.match(vm.serial(), /factory reset done/);
    const health = await waitHealth();
    assert.equal(health.body.setup, 'pending', 'the box is unclaimed again');
    const claim = await guestClient('login', OWNER.user, OWNER.password);
    assert.notEqual(claim.status, 200, 'the old owner is gone');
    assert.equal(await espReadFile(disk, FACTORY_RESET_FILE), null, 'the request file was removed after the reset');
    assert.match((await ssh('hostname')).trim(), /^hearth-[0-9a-f]{4}$/, 'the reset box has a factory name again, not the provisioned "den"');
    // mkfs must be done before e2fsck opens the partition: both used to start when it appeared.
    const [resetEnd, fsckStart] = (await ssh("systemctl show -P ExecMainExitTimestampMonotonic hearth-factory-reset.service; systemctl show -P ExecMainStartTimestampMonotonic 'systemd-fsck@dev-disk-by\\x2dpartlabel-hearth\\x2ddata.service'")).trim().split('\n').map(Number);
    assert.ok(resetEnd! > 0 && fsckStart! > 0, `both the reset and the data partition's check ran this boot (${resetEnd}, ${fsckStart})`);
    assert.ok(resetEnd! <= fsckStart!, `the reset finished (${resetEnd} µs) before the file system check started (${fsckStart} µs)`);
  });

  test('a factory reset asked for in the web app reboots the box into the reset', async () => {
    assert.deepEqual(problems, [], `cannot run the image boot test: ${problems.join('; ')}`);
    assert.ok(vm.running, 'this step continues from the previous boot, which did not leave the box running');
    const code = /Setup code: ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(vm.serial())![1]!;
    assert.equal((await guestClient('claim', code, OWNER.user, OWNER.password)).setup, 'complete');
    vm.markSerial(); // from here on, only this reset's output counts
    const asked = await guestClient('reset', OWNER.user, OWNER.password);
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    // hearthd (unprivileged) leaves a request; a root path unit moves it to the boot partition and reboots.
    const t0 = Date.now();
    const request = await ssh('sleep 2; systemctl status --no-pager hearth-factory-reset-request.path hearth-factory-reset-request.service 2>&1; ls -la /var/lib/hearth/data /efi').catch((err: Error) => err.message);
    await vm.waitSerial('the box to reboot into the reset', /factory reset done/, BOOT_MS).catch(async (err: Error) => {
      const now = await ssh('systemctl status --no-pager hearth-factory-reset-request.path hearth-factory-reset-request.service efi.mount 2>&1; ls -la /var/lib/hearth/data /efi; journalctl -b --no-pager -n 120').catch((e: Error) => e.message);
      throw new Error(`${err.message}\nthe request's units on the box, 2 s after it:\n${request}\nthe box now:\n${now}`);
    });
    const fresh = await vm.waitSerial('a new setup code after the reset', /factory reset done[\s\S]*Setup code: ([A-Z0-9]{4}-[A-Z0-9]{4})/, BOOT_MS);
    assert.equal(vm.reboots, 1, 'the box rebooted itself once (QEMU powers it on again at once)');
    assert.notEqual(fresh.match[1], code);
    const health = await waitHealth();
    assert.equal(health.body.setup, 'pending');
    figures.webResetToHealthMs = Date.now() - t0;
    const device = await guestClient('device');
    assert.notEqual(device.body.id, asked.id, 'a new device identity');
    await vm.kill();
  });
});
