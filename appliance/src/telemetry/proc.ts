import { statSync, statfsSync, realpathSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { listDir, readNumber, readSmall } from './read-small.js';
import { absent, round } from './sysfs.js';
import type { Maybe, Reading } from './types.js';

export interface CpuReading { loadPct: Reading; perCorePct: number[] }
export interface MemoryReading { used: Reading; total: Reading }
export interface DiskReading { used: Reading; total: Reading; readBps: Reading; writeBps: Reading }
export interface NetReading { rxBps: Reading; txBps: Reading }

interface CpuTimes { busy: number; total: number }
interface Counter { a: number; b: number; at: number }
/** Where the data dir's I/O is counted: one device in /proc/diskstats, or the sum of the whole disks when its device has no line. */
type DiskSource = { kind: 'device'; name: string } | { kind: 'all'; names: Set<string> };

// Stacked and virtual block devices: their I/O is already counted on the disks beneath (or is not disk I/O at all).
const NOT_A_DISK = /^(loop|ram|zram|dm-|md|sr|fd|nbd)/;
const SECTOR = 512; // /proc/diskstats counts 512-byte sectors whatever the device's block size

/** Whether the kernel says it runs under a hypervisor (the cpuinfo "hypervisor" flag), for honest reasons ("a virtual machine exposes none"). */
export function isVirtualMachine(procRoot = '/proc'): boolean {
  const text = readSmall(join(procRoot, 'cpuinfo'));
  return text !== null && /^flags\s*:.*\bhypervisor\b/m.test(text);
}

/**
 * The per-tick readers of /proc (and cpufreq in sysfs): CPU load per core, frequency, memory, the data dir's disk use
 * and I/O, network throughput. Rates are deltas from the previous call; the first call has none ("measuring").
 */
export class ProcReaders {
  private lastCpu: CpuTimes[] | null = null;
  private lastDisk: Counter | null = null;
  private lastNet: Counter | null = null;
  private freqPaths: string[] | null = null;
  private freqFoundAt = 0;
  private diskSource: DiskSource | null | undefined;
  readonly procRoot: string;
  readonly sysRoot: string;
  readonly dataDir: string;

  constructor(private readonly options: { procRoot?: string; sysRoot?: string; dataDir: string; virtualMachine?: boolean; rediscoverMs?: number }) {
    this.procRoot = options.procRoot ?? '/proc';
    this.sysRoot = options.sysRoot ?? '/sys';
    this.dataDir = options.dataDir;
  }

  /** Load from /proc/stat deltas; with no earlier reading (or no time passed), the average since boot, labelled so. */
  cpu(): CpuReading {
    const path = join(this.procRoot, 'stat');
    const text = readSmall(path);
    const times = text === null ? null : parseProcStat(text);
    if (times === null || times.length === 0) {
      // No /proc/stat under this root: the OS's own view, named as such.
      const cores = osCpuTimes();
      return this.loadFrom(cores, 'os.cpus');
    }
    return this.loadFrom(times, `proc:${path}`);
  }

  private loadFrom(times: CpuTimes[], source: string): CpuReading {
    const prev = this.lastCpu;
    this.lastCpu = times;
    const usable = prev !== null && prev.length === times.length && (times[0]?.total ?? 0) > (prev[0]?.total ?? 0);
    const pct = (cur: CpuTimes, old: CpuTimes | undefined) => {
      const dt = cur.total - (usable && old ? old.total : 0);
      const db = cur.busy - (usable && old ? old.busy : 0);
      return dt > 0 ? round(Math.min(100, Math.max(0, (db / dt) * 100)), 1) : 0;
    };
    const [all, ...cores] = times;
    return {
      loadPct: { value: all ? pct(all, prev?.[0]) : 0, unit: '%', source: usable ? source : `${source} (since boot)` },
      perCorePct: cores.map((c, i) => pct(c, prev?.[i + 1])),
    };
  }

  /** Mean current frequency of the cores from cpufreq (kHz files). */
  cpuFreq(at: number): Maybe<Reading> {
    if (this.freqPaths === null || at - this.freqFoundAt >= (this.options.rediscoverMs ?? 60_000)) {
      const base = join(this.sysRoot, 'devices/system/cpu');
      this.freqPaths = listDir(base)
        .filter((n) => /^cpu\d+$/.test(n))
        .map((n) => join(base, n, 'cpufreq/scaling_cur_freq'))
        .filter((p) => readNumber(p) !== null);
      this.freqFoundAt = at;
    }
    if (this.freqPaths.length === 0) {
      return absent(`no CPU frequency readings (no cpufreq under ${join(this.sysRoot, 'devices/system/cpu')}${this.options.virtualMachine ? '; a virtual machine exposes none' : ''})`);
    }
    let sum = 0;
    let n = 0;
    for (const p of this.freqPaths) {
      const khz = readNumber(p);
      if (khz === null) { this.freqPaths = null; continue; }
      sum += khz;
      n++;
    }
    if (n === 0) return absent('CPU frequency files stopped answering');
    const first = this.freqPaths?.[0] ?? '';
    const source = n === 1 ? `cpufreq:${first}` : `cpufreq:${join(this.sysRoot, 'devices/system/cpu')}/cpu*/cpufreq/scaling_cur_freq (mean of ${n})`;
    return { value: round(sum / n / 1000, 0), unit: 'MHz', source };
  }

  /** Used = MemTotal − MemAvailable (what programs could not get without swapping). */
  memory(): MemoryReading {
    const path = join(this.procRoot, 'meminfo');
    const text = readSmall(path);
    const total = text === null ? null : meminfoField(text, 'MemTotal');
    const available = text === null ? null : meminfoField(text, 'MemAvailable');
    if (total === null || available === null) {
      const t = totalmem();
      return { used: { value: t - freemem(), unit: 'B', source: 'os.freemem' }, total: { value: t, unit: 'B', source: 'os.totalmem' } };
    }
    const source = `proc:${path}`;
    return { used: { value: total - available, unit: 'B', source }, total: { value: total, unit: 'B', source } };
  }

  /** The data dir's file system (statfs) and its device's I/O (/proc/diskstats). */
  disk(at: number): Maybe<DiskReading> {
    let fs: { bsize: number; blocks: number; bfree: number };
    try {
      fs = statfsSync(this.dataDir);
    } catch (e) {
      return absent(`cannot read the data dir's file system (${this.dataDir}: ${(e as NodeJS.ErrnoException).code ?? e})`);
    }
    const statSource = `statfs:${this.dataDir}`;
    const used: Reading = { value: (fs.blocks - fs.bfree) * fs.bsize, unit: 'B', source: statSource };
    const total: Reading = { value: fs.blocks * fs.bsize, unit: 'B', source: statSource };

    if (this.diskSource === undefined) this.diskSource = this.findDiskSource();
    const path = join(this.procRoot, 'diskstats');
    const text = readSmall(path);
    const src = this.diskSource;
    const sectors = text === null || src === null ? null : diskSectors(text, src);
    if (sectors === null) {
      this.diskSource = undefined;
      this.lastDisk = null;
      return absent(text === null ? `no disk I/O counters (${path} missing)` : `no disk I/O counters for the data dir's device in ${path}`);
    }
    const prev = this.lastDisk;
    this.lastDisk = { a: sectors.read, b: sectors.written, at };
    if (!prev || at <= prev.at || sectors.read < prev.a || sectors.written < prev.b) return absent('measuring: disk I/O needs two samples');
    const secs = (at - prev.at) / 1000;
    const ioSource = src!.kind === 'device' ? `diskstats:${src!.name}` : `diskstats:${[...src!.names].join('+')} (all disks; the data dir's device has no line)`;
    return {
      used,
      total,
      readBps: { value: Math.round(((sectors.read - prev.a) * SECTOR) / secs), unit: 'B/s', source: ioSource },
      writeBps: { value: Math.round(((sectors.written - prev.b) * SECTOR) / secs), unit: 'B/s', source: ioSource },
    };
  }

  /** All interfaces but loopback, together. */
  net(at: number): Maybe<NetReading> {
    const path = join(this.procRoot, 'net/dev');
    const text = readSmall(path);
    const bytes = text === null ? null : netBytes(text);
    if (bytes === null) {
      this.lastNet = null;
      return absent(text === null ? `no network counters (${path} missing)` : 'no network interface besides loopback');
    }
    const prev = this.lastNet;
    this.lastNet = { a: bytes.rx, b: bytes.tx, at };
    if (!prev || at <= prev.at || bytes.rx < prev.a || bytes.tx < prev.b) return absent('measuring: network throughput needs two samples');
    const secs = (at - prev.at) / 1000;
    const source = `proc:${path} (${bytes.names.join('+')})`;
    return {
      rxBps: { value: Math.round((bytes.rx - prev.a) / secs), unit: 'B/s', source },
      txBps: { value: Math.round((bytes.tx - prev.b) / secs), unit: 'B/s', source },
    };
  }

  private findDiskSource(): DiskSource | null {
    const text = readSmall(join(this.procRoot, 'diskstats'));
    if (text === null) return null;
    const lines = parseDiskstats(text);
    // 1. The device number of the data dir's file system.
    try {
      const dev = statSync(this.dataDir, { bigint: true }).dev;
      const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
      const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
      const hit = lines.find((l) => l.major === major && l.minor === minor);
      if (hit) return { kind: 'device', name: hit.name };
    } catch {
      // fall through to the mount table
    }
    // 2. The mount's source device (btrfs and others report an anonymous device number).
    const mounted = mountSource(join(this.procRoot, 'self/mountinfo'), this.dataDir);
    if (mounted && lines.some((l) => l.name === mounted)) return { kind: 'device', name: mounted };
    // 3. Every whole disk (overlay, tmpfs, or a device without a line).
    const disks = new Set(listDir(join(this.sysRoot, 'block')).filter((n) => !NOT_A_DISK.test(n) && lines.some((l) => l.name === n)));
    return disks.size > 0 ? { kind: 'all', names: disks } : null;
  }
}

export function parseProcStat(text: string): CpuTimes[] {
  const out: CpuTimes[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) {
      if (out.length > 0) break; // the cpu lines come first, together
      continue;
    }
    const f = line.split(/\s+/);
    // user nice system idle iowait irq softirq steal (guest time is already inside user and nice)
    const n = f.slice(1, 9).map(Number);
    const total = n.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    const idle = (n[3] ?? 0) + (n[4] ?? 0);
    out.push({ busy: total - idle, total });
  }
  return out;
}

function osCpuTimes(): CpuTimes[] {
  const cores = cpus().map((c) => {
    const t = c.times;
    const total = t.user + t.nice + t.sys + t.idle + t.irq;
    return { busy: total - t.idle, total };
  });
  const all = cores.reduce((a, c) => ({ busy: a.busy + c.busy, total: a.total + c.total }), { busy: 0, total: 0 });
  return [all, ...cores];
}

function meminfoField(text: string, field: string): number | null {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

interface DiskLine { major: number; minor: number; name: string; read: number; written: number }

function parseDiskstats(text: string): DiskLine[] {
  const out: DiskLine[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    out.push({ major: Number(f[0]), minor: Number(f[1]), name: f[2]!, read: Number(f[5]), written: Number(f[9]) });
  }
  return out;
}

function diskSectors(text: string, src: DiskSource): { read: number; written: number } | null {
  let read = 0;
  let written = 0;
  let found = false;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const name = f[2]!;
    if (src.kind === 'device' ? name !== src.name : !src.names.has(name)) continue;
    read += Number(f[5]);
    written += Number(f[9]);
    found = true;
  }
  return found ? { read, written } : null;
}

function netBytes(text: string): { rx: number; tx: number; names: string[] } | null {
  let rx = 0;
  let tx = 0;
  const names: string[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo' || name === '' || name.includes('|')) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/);
    if (f.length < 9) continue;
    rx += Number(f[0]);
    tx += Number(f[8]);
    names.push(name);
  }
  return names.length > 0 ? { rx, tx, names } : null;
}

/** The device name (e.g. "nvme0n1p2") of the mount holding `dir`, from mountinfo; null when it is not a /dev node. */
function mountSource(mountinfo: string, dir: string): string | null {
  const text = readSmall(mountinfo);
  if (text === null) return null;
  let real = dir;
  try {
    real = realpathSync(dir);
  } catch {
    // keep the given path
  }
  let best: { point: string; source: string } | null = null;
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0 || f.length < sep + 3) continue;
    const point = (f[4] ?? '').replace(/\\040/g, ' ');
    const source = f[sep + 2] ?? '';
    const inside = real === point || real.startsWith(point.endsWith('/') ? point : `${point}/`);
    if (inside && (!best || point.length >= best.point.length)) best = { point, source };
  }
  return best && best.source.startsWith('/dev/') ? basename(best.source) : null;
}
