// What is inside the built image (HEARTH_IMAGE), read without mounting anything: the GPT
// with sfdisk, the boot partition with mtools, the root file system with debugfs. Checks
// the architecture of the native code (Node, the llama.cpp binding, better-sqlite3), that
// only the target's llama.cpp build is shipped, that no box-specific secret is baked in,
// the hearthd unit's confinement, the sizes, checksums and the package manifest.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { espReadFile } from '../../provisioning/src/esp.js';

const IMAGE = process.env.HEARTH_IMAGE ?? '';
const ARCH = /-arm64\.img$/.test(IMAGE) ? 'arm64' : 'amd64';
const ELF_MACHINE = { amd64: 62, arm64: 183 }[ARCH]; // EM_X86_64, EM_AARCH64
const NODE_CPU = { amd64: 'x64', arm64: 'arm64' }[ARCH];

interface Partition {
  name: string;
  type: string;
  start: number;
  size: number;
}

let dir = '';
let rootFs = '';
let partitions: Partition[] = [];

function problems(): string[] {
  const p: string[] = [];
  if (!IMAGE) p.push('HEARTH_IMAGE is not set; run it through `make test` or `make image-test`, which build the image first');
  else if (!existsSync(IMAGE)) p.push(`the image ${IMAGE} does not exist; build it with make image ARCH=${ARCH}`);
  for (const [tool, pkg] of [['/usr/sbin/debugfs', 'e2fsprogs'], ['/usr/sbin/sfdisk', 'fdisk'], ['/usr/bin/mtype', 'mtools']]) {
    if (!existsSync(tool!)) p.push(`${tool} is missing (Debian package ${pkg})`);
  }
  return p;
}

/** debugfs on the extracted root file system (read-only: debugfs opens it without -w). */
function debugfs(request: string): string {
  return execFileSync('debugfs', ['-R', request, rootFs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
}

function readRootFile(path: string): Buffer {
  return execFileSync('debugfs', ['-R', `cat ${path}`, rootFs], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 << 20 });
}

/** The target of a symbolic link in the root file system, or null for anything else. */
function linkTarget(path: string): string | null {
  const m = /Fast link dest: "([^"]+)"/.exec(debugfs(`stat ${path}`));
  return m ? m[1]! : null;
}

function resolve(path: string): string {
  for (let i = 0; i < 10; i++) {
    const target = linkTarget(path);
    if (!target) return path;
    path = target.startsWith('/') ? target : join(dirname(path), target);
  }
  throw new Error(`too many links at ${path}`);
}

function list(path: string): string[] {
  return debugfs(`ls -p ${path}`)
    .split('\n')
    .map((l) => l.split('/')[5])
    .filter((n): n is string => !!n && n !== '.' && n !== '..');
}

function elfMachine(path: string): number {
  const bytes = readRootFile(resolve(path));
  assert.ok(bytes.length > 64 && bytes.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])), `${path} is an ELF file`);
  return bytes.readUInt16LE(18);
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe(`what is inside the ${ARCH} image`, { concurrency: false }, () => {
  const missing = problems();

  before(() => {
    if (missing.length) return;
    dir = mkdtempSync(join(tmpdir(), 'hearth-image-contents-'));
    partitions = (JSON.parse(execFileSync('sfdisk', ['--json', IMAGE], { encoding: 'utf8' })).partitiontable.partitions as Partition[]).map((p) => ({
      name: p.name,
      type: p.type,
      start: p.start,
      size: p.size,
    }));
    const root = partitions.find((p) => p.name === 'hearth-root');
    if (!root) return;
    rootFs = join(dir, 'root.ext4');
    execFileSync('dd', [`if=${IMAGE}`, `of=${rootFs}`, 'bs=4M', 'iflag=skip_bytes,count_bytes', `skip=${root.start * 512}`, `count=${root.size * 512}`, 'status=none']);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('this machine can read the image', () => {
    assert.deepEqual(missing, [], `cannot check the image: ${missing.join('; ')}`);
  });

  test('a GPT disk of three partitions, well under 2 GB, with its compressed copy, checksums and manifest', async () => {
    assert.deepEqual(missing, [], `cannot check the image: ${missing.join('; ')}`);
    assert.deepEqual(
      partitions.map((p) => p.name),
      ['esp', 'hearth-root', 'hearth-data'],
    );
    assert.equal(partitions[0]!.type, 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', 'the first partition is an EFI system partition');
    const raw = statSync(IMAGE).size;
    assert.ok(raw < 1.6e9, `the raw image is well under 2 GB (${raw} bytes)`);
    const zst = statSync(`${IMAGE}.zst`).size;
    assert.ok(zst < raw / 2, `the compressed copy is smaller (${zst} bytes)`);
    const sums = readFileSync(IMAGE.replace(/\.img$/, '.sha256'), 'utf8');
    assert.match(sums, new RegExp(`^${await sha256(IMAGE)}  ${basename(IMAGE)}$`, 'm'), 'the .sha256 file matches the image');
    const manifest = readFileSync(IMAGE.replace(/\.img$/, '.manifest.txt'), 'utf8');
    const nodejs = /^nodejs\t(\d+)\.\S+\t/m.exec(manifest);
    assert.ok(nodejs && Number(nodejs[1]) >= 20, 'the manifest lists Debian\'s nodejs, 20 or newer');
    for (const pkg of ['systemd', 'samba', `linux-image-${ARCH}`, 'systemd-boot-efi', 'openssh-server']) assert.match(manifest, new RegExp(`^${pkg}\\t`, 'm'), `the manifest lists ${pkg}`);
    assert.match(manifest, /^node-llama-cpp\t3\.21\.1$/m, 'the manifest lists the npm packages with versions');
    assert.match(manifest, /^files \d+ sha256-of-file-list [0-9a-f]{64}$/m, 'the manifest fingerprints the file list');
  });

  test('the boot partition: systemd-boot for this architecture, and a read-only root on the kernel command line', async () => {
    assert.deepEqual(missing, [], `cannot check the image: ${missing.join('; ')}`);
    const loader = await espReadFile(IMAGE, `EFI/BOOT/${ARCH === 'amd64' ? 'BOOTX64.EFI' : 'BOOTAA64.EFI'}`);
    assert.ok(loader && loader.subarray(0, 2).toString() === 'MZ', 'the removable-media boot loader is a PE file');
    const pe = loader.readUInt32LE(0x3c);
    assert.equal(loader.readUInt16LE(pe + 4), ARCH === 'amd64' ? 0x8664 : 0xaa64, 'built for this architecture');
    const entry = (await espReadFile(IMAGE, 'loader/entries/hearth.conf'))!.toString();
    assert.match(entry, /^options .*root=PARTLABEL=hearth-root ro .*systemd\.volatile=state/m);
    assert.ok(await espReadFile(IMAGE, 'hearth/vmlinuz'), 'the kernel is on the boot partition');
  });

  test(`native code is ${ARCH}: Node, the llama.cpp binding, better-sqlite3; only this architecture's llama.cpp build`, () => {
    assert.deepEqual(missing, [], `cannot check the image: ${missing.join('; ')}`);
    assert.equal(elfMachine('/usr/bin/node'), ELF_MACHINE, '/usr/bin/node');
    const variants = list('/usr/lib/hearth/node_modules/@node-llama-cpp');
    assert.deepEqual(variants, [`linux-${NODE_CPU}`], 'only the target\'s prebuilt llama.cpp (no CUDA, Vulkan or other architectures)');
    const bins = `/usr/lib/hearth/node_modules/@node-llama-cpp/linux-${NODE_CPU}/bins`;
    const [binDir] = list(bins);
    assert.ok(binDir, `a binary folder in ${bins}`);
    assert.equal(elfMachine(`${bins}/${binDir}/llama-addon.node`), ELF_MACHINE, 'llama-addon.node');
    assert.equal(elfMachine('/usr/lib/hearth/node_modules/better-sqlite3/build/Release/better_sqlite3.node'), ELF_MACHINE, 'better_sqlite3.node');
    assert.ok(!['vite', 'playwright-core', 'tsx'].some((dev) => list('/usr/lib/hearth/node_modules').includes(dev)), 'no development dependencies');
  });

  test('nothing box-specific is baked in, and hearthd is confined', () => {
    assert.deepEqual(missing, [], `cannot check the image: ${missing.join('; ')}`);
    assert.deepEqual(list('/etc/ssh').filter((n) => n.startsWith('ssh_host_')), [], 'no SSH host keys in the image');
    assert.equal(readRootFile('/etc/machine-id').length, 0, 'the machine id is made at boot');
    assert.match(readRootFile('/etc/passwd').toString(), /^hearth:x:900:900:/m, 'the service user, with a fixed uid');
    const unit = readRootFile('/usr/lib/systemd/system/hearthd.service').toString();
    for (const line of ['User=hearth', 'ProtectSystem=strict', 'AmbientCapabilities=CAP_NET_BIND_SERVICE', 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE', 'NoNewPrivileges=yes', 'ReadWritePaths=/var/lib/hearth/data', 'Restart=on-failure']) {
      assert.match(unit, new RegExp(`^${line}$`, 'm'), `hearthd.service has ${line}`);
    }
    assert.match(readRootFile('/etc/fstab').toString(), /^PARTLABEL=hearth-root\s+\/\s+ext4\s+ro,/m, 'the root is mounted read-only');
    // sshd over AF_VSOCK is for virtual machines; on the box the generator only failed on the console.
    assert.equal(linkTarget('/etc/systemd/system-generators/systemd-ssh-generator'), '/dev/null', 'systemd-ssh-generator is masked');
  });
});
