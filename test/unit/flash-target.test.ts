// The flash helper's target decision, a pure function of lsblk/findmnt output: tested with this
// machine's real output and fabricated trees. Nothing here opens a device.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { decideTarget, formatBytes, readHostDisks, type HostDisks, type LsblkDevice, type LsblkJson } from '../../provisioning/src/block-devices.js';

function walk(devs: LsblkDevice[], fn: (d: LsblkDevice, ancestors: LsblkDevice[]) => void, anc: LsblkDevice[] = []): void {
  for (const d of devs) {
    fn(d, anc);
    walk(d.children ?? [], fn, [...anc, d]);
  }
}

test('this machine: the disk the root file system is on is refused, and so is every disk with something mounted', async (t) => {
  const host = await readHostDisks();
  assert.ok(Array.isArray(host.lsblk.blockdevices), 'lsblk -J answered');

  // The root disk found independently: lsblk's parent of findmnt's source, or the disk that has "/" mounted.
  let rootDisk: string | null = null;
  const source = host.rootSource.replace(/\[.*\]$/, '');
  if (source.startsWith('/dev/')) {
    const parents = execFileSync('lsblk', ['-s', '-n', '-p', '-o', 'PATH,TYPE', source], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((p) => p[1] === 'disk');
    rootDisk = parents[0]?.[0] ?? null;
  }
  walk(host.lsblk.blockdevices, (d, anc) => {
    if (!rootDisk && (d.mountpoints ?? []).includes('/')) rootDisk = (anc[0] ?? d).path ?? null;
  });
  // A container whose root is not on a listed disk cannot show this: the test fails and says why.
  assert.ok(rootDisk, `cannot test the host-disk refusal here: the root file system (${host.rootSource || 'no findmnt answer'}) is not on a disk lsblk lists`);
  const v = decideTarget(rootDisk, host);
  assert.equal(v.ok, false);
  assert.match((v as { reason: string }).reason, /the disk this computer runs from/);

  // Without findmnt's answer the mount point "/" in lsblk still gives it away.
  const v2 = decideTarget(rootDisk, { ...host, rootSource: '' });
  assert.equal(v2.ok, false);

  walk(host.lsblk.blockdevices, (d) => {
    const verdict = decideTarget(d.path ?? `/dev/${d.name}`, host);
    if (d.type === 'part') assert.equal(verdict.ok, false, `partition ${d.path} refused`);
    let mounted = false;
    walk([d], (x) => {
      if ((x.mountpoints ?? []).some((m) => m)) mounted = true;
    });
    if (mounted) assert.equal(verdict.ok, false, `${d.path} has something mounted and is refused`);
  });
});

// A laptop: root on LVM on an NVMe partition, a USB stick with a mounted partition, a spare SSD
// with swap on it, and an empty SD card.
const laptop: LsblkJson = {
  blockdevices: [
    {
      name: 'nvme0n1', path: '/dev/nvme0n1', type: 'disk', size: 512110190592, model: 'Samsung SSD 980', mountpoints: [null], pkname: null,
      children: [
        { name: 'nvme0n1p1', path: '/dev/nvme0n1p1', type: 'part', size: 536870912, model: null, mountpoints: ['/boot/efi'], pkname: 'nvme0n1' },
        {
          name: 'nvme0n1p2', path: '/dev/nvme0n1p2', type: 'part', size: 511571902464, model: null, mountpoints: [null], pkname: 'nvme0n1',
          children: [{ name: 'vg-root', path: '/dev/mapper/vg-root', type: 'lvm', size: 511571902464, model: null, mountpoints: ['/'], pkname: 'nvme0n1p2' }],
        },
      ],
    },
    {
      name: 'sdb', path: '/dev/sdb', type: 'disk', size: 32015679488, model: 'Ultra           ', mountpoints: [null], pkname: null,
      children: [{ name: 'sdb1', path: '/dev/sdb1', type: 'part', size: 32014630912, model: null, mountpoints: ['/media/me/USB'], pkname: 'sdb' }],
    },
    {
      name: 'sdc', path: '/dev/sdc', type: 'disk', size: 240057409536, model: 'Spare SSD', mountpoints: [null], pkname: null,
      children: [{ name: 'sdc1', path: '/dev/sdc1', type: 'part', size: 8589934592, model: null, mountpoints: [null], pkname: 'sdc' }],
    },
    { name: 'sdd', path: '/dev/sdd', type: 'disk', size: '63864569856', model: 'SanDisk Extreme', mountpoints: [null], pkname: null },
    { name: 'sr0', path: '/dev/sr0', type: 'rom', size: 1073741312, model: 'DVD-RW', mountpoints: [null], pkname: null },
  ],
};
const host: HostDisks = { lsblk: laptop, rootSource: '/dev/mapper/vg-root', swaps: ['/dev/sdc1'] };

test('the disk the host runs from is refused, also through LVM and with a btrfs subvolume source', () => {
  const v = decideTarget('/dev/nvme0n1', host);
  assert.equal(v.ok, false);
  assert.match((v as { reason: string }).reason, /runs from/);
  // lsblk alone (findmnt said something unhelpful) still finds "/" on the LVM volume.
  assert.equal(decideTarget('/dev/nvme0n1', { ...host, rootSource: 'overlay' }).ok, false);
  // A btrfs root: findmnt prints the subvolume after the device; lsblk shows no "/" (it lists "/home" etc.).
  const btrfs: LsblkJson = {
    blockdevices: [
      {
        name: 'sda', path: '/dev/sda', type: 'disk', size: 1e11, model: 'X', mountpoints: [null],
        children: [{ name: 'sda2', path: '/dev/sda2', type: 'part', size: 1e11, model: null, mountpoints: [null], pkname: 'sda' }],
      },
    ],
  };
  const b = decideTarget('/dev/sda', { lsblk: btrfs, rootSource: '/dev/sda2[/@]', swaps: [] });
  assert.equal(b.ok, false);
  assert.match((b as { reason: string }).reason, /runs from/);
});

test('a USB disk with a mounted partition is refused, naming the mount point', () => {
  const v = decideTarget('/dev/sdb', host);
  assert.equal(v.ok, false);
  assert.match((v as { reason: string }).reason, /\/dev\/sdb1 on \/media\/me\/USB/);
  assert.match((v as { reason: string }).reason, /umount/);
});

test('a disk with swap in use is refused, from /proc/swaps or lsblk’s [SWAP]', () => {
  const v = decideTarget('/dev/sdc', host);
  assert.equal(v.ok, false);
  assert.match((v as { reason: string }).reason, /sdc1 \(swap\).*swapoff/);
  const viaLsblk = structuredClone(laptop);
  viaLsblk.blockdevices[2]!.children![0]!.mountpoints = ['[SWAP]'];
  assert.equal(decideTarget('/dev/sdc', { ...host, lsblk: viaLsblk, swaps: [] }).ok, false);
});

test('a partition, a non-disk and an unknown device are refused', () => {
  const p = decideTarget('/dev/sdc1', { ...host, swaps: [] });
  assert.equal(p.ok, false);
  assert.match((p as { reason: string }).reason, /partition.*whole disk, \/dev\/sdc/);
  assert.match((decideTarget('/dev/sr0', host) as { reason: string }).reason, /rom device/);
  assert.match((decideTarget('/dev/mapper/vg-root', host) as { reason: string }).reason, /runs from|lvm device/);
  assert.match((decideTarget('/dev/sdz', host) as { reason: string }).reason, /not a disk this computer lists/);
});

test('an unmounted disk is allowed, with its size and model', () => {
  const v = decideTarget('/dev/sdd', host);
  assert.deepEqual(v, { ok: true, device: { path: '/dev/sdd', size: 63864569856, model: 'SanDisk Extreme' } });
  // The swap gone, the spare SSD is allowed; its model is trimmed.
  const ssd = decideTarget('/dev/sdc', { ...host, swaps: [] });
  assert.equal(ssd.ok, true);
  const sdb = structuredClone(laptop);
  sdb.blockdevices[1]!.children![0]!.mountpoints = [null];
  assert.deepEqual(decideTarget('/dev/sdb', { ...host, lsblk: sdb }), { ok: true, device: { path: '/dev/sdb', size: 32015679488, model: 'Ultra' } });
});

test('lsblk --list output (no tree, parents by PKNAME) gives the same verdicts', () => {
  const flat: LsblkDevice[] = [];
  walk(laptop.blockdevices, (d) => flat.push({ ...d, children: undefined }));
  const list: HostDisks = { ...host, lsblk: { blockdevices: flat } };
  assert.equal(decideTarget('/dev/nvme0n1', list).ok, false);
  assert.equal(decideTarget('/dev/sdb', list).ok, false);
  assert.equal(decideTarget('/dev/sdd', list).ok, true);
});

test('sizes read like a disk label', () => {
  assert.equal(formatBytes(950_000_000), '950 MB');
  assert.equal(formatBytes(32015679488), '32 GB');
  assert.equal(formatBytes(1_500_000_000), '1.5 GB');
  assert.equal(formatBytes(2_000_000_000_000), '2 TB');
});
