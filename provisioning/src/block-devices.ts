// Which block device may `hearth flash` write to? The decision is a pure function of what lsblk
// and findmnt report, so it is tested with this machine's real output and with fabricated trees,
// never by writing to a device.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One entry of `lsblk -J -b -o NAME,PATH,TYPE,SIZE,MODEL,MOUNTPOINTS,PKNAME` (sizes in bytes with -b). */
export interface LsblkDevice {
  name: string;
  path?: string | null;
  type: string;
  size: number | string | null;
  model?: string | null;
  mountpoints?: (string | null)[] | null;
  /** lsblk < 2.37 prints a single mountpoint. */
  mountpoint?: string | null;
  pkname?: string | null;
  children?: LsblkDevice[];
}

export interface LsblkJson {
  blockdevices: LsblkDevice[];
}

export interface HostDisks {
  lsblk: LsblkJson;
  /** `findmnt -no SOURCE /`, e.g. "/dev/sda2", "/dev/mapper/vg-root", "/dev/sda2[/@]". */
  rootSource: string;
  /** Devices in use as swap (the first column of /proc/swaps). */
  swaps: string[];
}

export interface TargetDevice {
  path: string;
  size: number;
  model: string | null;
}

export type TargetVerdict = { ok: true; device: TargetDevice } | { ok: false; reason: string };

interface Node {
  dev: LsblkDevice;
  path: string;
  parents: Set<string>;
  children: Set<string>;
}

function devPath(d: LsblkDevice): string {
  return d.path || `/dev/${d.name}`;
}

function mountsOf(d: LsblkDevice): string[] {
  const list = d.mountpoints ?? (d.mountpoint !== undefined ? [d.mountpoint] : []);
  return list.filter((m): m is string => typeof m === 'string' && m !== '');
}

/** lsblk prints a tree (a partition under its disk, an LVM volume under its partition); flatten it to a graph by path. */
function graph(lsblk: LsblkJson): Map<string, Node> {
  const nodes = new Map<string, Node>();
  const byName = new Map<string, string>();
  const visit = (d: LsblkDevice, parent: string | null): void => {
    const path = devPath(d);
    let n = nodes.get(path);
    if (!n) {
      n = { dev: d, path, parents: new Set(), children: new Set() };
      nodes.set(path, n);
    }
    byName.set(d.name, path);
    if (parent) {
      n.parents.add(parent);
      nodes.get(parent)?.children.add(path);
    }
    for (const c of d.children ?? []) visit(c, path);
  };
  for (const d of lsblk.blockdevices ?? []) visit(d, null);
  // With `lsblk --list` there is no tree: PKNAME names the parent.
  for (const n of nodes.values()) {
    const parent = n.dev.pkname ? byName.get(n.dev.pkname) : undefined;
    if (parent && parent !== n.path) {
      n.parents.add(parent);
      nodes.get(parent)?.children.add(n.path);
    }
  }
  return nodes;
}

function related(nodes: Map<string, Node>, start: string, dir: 'parents' | 'children'): Set<string> {
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length) {
    const p = todo.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    for (const q of nodes.get(p)?.[dir] ?? []) todo.push(q);
  }
  return seen;
}

/** "/dev/sda2[/@]" (btrfs subvolume) → "/dev/sda2". */
function cleanSource(source: string): string {
  return source.trim().replace(/\[.*\]$/, '');
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e12) return `${(bytes / 1e12).toFixed(bytes >= 1e13 ? 0 : 1).replace(/\.0$/, '')} TB`;
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(bytes >= 1e10 ? 0 : 1).replace(/\.0$/, '')} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} bytes`;
}

/**
 * May `target` (a resolved /dev path) be overwritten? Refuses: a device lsblk does not know, a partition
 * or anything that is not a whole disk, the disk the host runs from, and any disk with a mounted or
 * swapping partition (or holder, such as an LVM volume) on it.
 */
export function decideTarget(target: string, host: HostDisks): TargetVerdict {
  const nodes = graph(host.lsblk);
  const node = nodes.get(target);
  if (!node) return { ok: false, reason: `${target} is not a disk this computer lists (lsblk). Check the name with \`lsblk\`.` };
  const { dev } = node;
  if (dev.type === 'part') {
    const disk = [...node.parents][0];
    return { ok: false, reason: `${target} is a partition. Give the whole disk${disk ? `, ${disk}` : ''}: the image brings its own partitions.` };
  }
  if (dev.type !== 'disk' && dev.type !== 'loop') {
    return { ok: false, reason: `${target} is a ${dev.type} device, not a whole disk. Give a disk such as /dev/sdb (see \`lsblk\`).` };
  }

  // The disks the running system lives on: the ancestors of the root file system's device and of anything mounted at /.
  const rootDevices = new Set<string>();
  const source = cleanSource(host.rootSource);
  if (source.startsWith('/dev/')) rootDevices.add(source);
  for (const n of nodes.values()) if (mountsOf(n.dev).includes('/')) rootDevices.add(n.path);
  for (const r of rootDevices) {
    // /dev/mapper/x may be listed as /dev/dm-N; match by name too.
    const start = nodes.has(r) ? r : [...nodes.values()].find((n) => `/dev/mapper/${n.dev.name}` === r || `/dev/${n.dev.name}` === r)?.path;
    if (start && related(nodes, start, 'parents').has(target)) {
      return { ok: false, reason: `${target} is the disk this computer runs from (its root file system is on ${start}). Refusing to overwrite it.` };
    }
  }

  const swaps = new Set(host.swaps.map(cleanSource));
  const inUse: string[] = [];
  for (const p of related(nodes, target, 'children')) {
    const n = nodes.get(p)!;
    for (const m of mountsOf(n.dev)) inUse.push(m === '[SWAP]' ? `${p} (swap)` : `${p} on ${m}`);
    if (swaps.has(p) && !mountsOf(n.dev).includes('[SWAP]')) inUse.push(`${p} (swap)`);
  }
  if (inUse.length) {
    return {
      ok: false,
      reason: `${target} is in use: ${inUse.join(', ')}. Unmount it first (\`umount\`${inUse.some((u) => u.endsWith('(swap)')) ? ', `swapoff`' : ''}), or check that this is the disk you mean.`,
    };
  }
  const size = Number(dev.size ?? 0);
  return { ok: true, device: { path: target, size: Number.isFinite(size) ? size : 0, model: dev.model?.trim() || null } };
}

/** What this machine reports, for decideTarget. */
export async function readHostDisks(): Promise<HostDisks> {
  const { stdout } = await run('lsblk', ['-J', '-b', '-o', 'NAME,PATH,TYPE,SIZE,MODEL,MOUNTPOINTS,PKNAME']);
  const lsblk = JSON.parse(stdout) as LsblkJson;
  let rootSource = '';
  try {
    rootSource = (await run('findmnt', ['-no', 'SOURCE', '/'])).stdout.trim();
  } catch {
    // No findmnt answer: the lsblk mount points still name the root disk.
  }
  let swaps: string[] = [];
  try {
    swaps = (await readFile('/proc/swaps', 'utf8'))
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/)[0] ?? '')
      .filter((s) => s.startsWith('/dev/'));
  } catch {
    // No /proc/swaps: no swap.
  }
  return { lsblk, rootSource, swaps };
}
