import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { listDir } from './read-small.js';
import { absent, round } from './sysfs.js';
import type { Absent, Maybe, Reading, TelemetrySample } from './types.js';

export type GpuReading = Exclude<TelemetrySample['gpu'], Absent>;

// The fields systeminformation asks nvidia-smi for, cut to what the sample shows.
const QUERY = 'index,name,utilization.gpu,power.draw,temperature.gpu,memory.used,memory.total';
const MIB = 1024 * 1024;
const RESPAWN_MS = 30_000;

interface NvidiaLine { index: number; name: string; util: number | null; power: number | null; temp: number | null; memUsed: number | null; memTotal: number | null; at: number }

/** One nvidia-smi CSV line (nounits); "[N/A]" and "[Not Supported]" fields are null, as on unified-memory boards for memory.total. */
export function parseNvidiaSmiLine(line: string, at: number): NvidiaLine | null {
  const f = line.split(',').map((s) => s.trim());
  if (f.length < 7) return null;
  const num = (s: string | undefined) => {
    if (s === undefined || s === '' || s.startsWith('[')) return null;
    const n = Number(s);
    return Number.isFinite(n) ? n : null;
  };
  const index = num(f[0]);
  if (index === null) return null;
  return { index, name: f[1] ?? 'NVIDIA GPU', util: num(f[2]), power: num(f[3]), temp: num(f[4]), memUsed: num(f[5]), memTotal: num(f[6]), at };
}

/** Find an executable on PATH without spawning anything. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/**
 * GPU readings. NVIDIA: one long-lived `nvidia-smi --loop-ms` child, started only when the NVIDIA driver is loaded,
 * whose latest lines a tick reads from memory (no process per tick). Other GPUs: named once by systeminformation at start,
 * and reported absent here (their hwmon temperature and power show under sensors).
 */
export class GpuSensors {
  private nvidia: { smi: string } | { reason: string } | null = null;
  private child: ChildProcess | null = null;
  private spawnedAt = -Infinity;
  private exitReason: string | null = null;
  private intervalMs = 1000;
  private lines = new Map<number, NvidiaLine>();
  private otherGpus: string[] | null = null;
  private stopped = true;

  constructor(
    private readonly options: {
      sysRoot?: string;
      procRoot?: string;
      /** nvidia-smi to run; default: found on PATH. */
      nvidiaSmi?: string | null;
      /** Name the GPUs once with systeminformation (lspci and friends). Off for fixture trees. */
      detectOtherGpus?: boolean;
    } = {},
  ) {}

  /** Whether the NVIDIA driver is loaded (module in sysfs or a GPU under /proc/driver/nvidia). */
  nvidiaDriverLoaded(): boolean {
    const sys = this.options.sysRoot ?? '/sys';
    const proc = this.options.procRoot ?? '/proc';
    return existsSync(join(sys, 'module/nvidia')) || listDir(join(proc, 'driver/nvidia/gpus')).length > 0;
  }

  start(intervalMs: number): void {
    this.stopped = false;
    this.intervalMs = intervalMs;
    if (this.nvidia === null) {
      if (this.nvidiaDriverLoaded()) {
        const smi = this.options.nvidiaSmi === undefined ? findOnPath('nvidia-smi') : this.options.nvidiaSmi;
        this.nvidia = smi ? { smi } : { reason: 'the NVIDIA driver is loaded but nvidia-smi is not installed (not on PATH)' };
      } else {
        this.nvidia = { reason: 'no NVIDIA GPU (the nvidia driver is not loaded)' };
      }
    }
    if ('smi' in this.nvidia) this.spawn();
    else if (this.options.detectOtherGpus && this.otherGpus === null) void this.nameOtherGpus();
  }

  /** Follow a new sampling interval (nvidia-smi loops at its own pace, so it is restarted). */
  setInterval(intervalMs: number): void {
    if (intervalMs === this.intervalMs) return;
    this.intervalMs = intervalMs;
    if (this.child) {
      this.kill();
      this.spawn();
    }
  }

  stop(): void {
    this.stopped = true;
    this.kill();
  }

  read(): Maybe<GpuReading> {
    if (this.nvidia === null) return absent('GPU readings not started');
    if (!('smi' in this.nvidia)) return absent(this.describeOthers(this.nvidia.reason));
    if (!this.child && !this.stopped && performance.now() - this.spawnedAt >= RESPAWN_MS) this.spawn();
    const now = performance.now();
    const staleMs = Math.max(3 * this.intervalMs, 5000);
    const fresh = [...this.lines.values()].filter((l) => now - l.at <= staleMs).sort((a, b) => a.index - b.index);
    if (fresh.length === 0) {
      if (this.exitReason) return absent(`nvidia-smi stopped: ${this.exitReason}`);
      if (this.lines.size > 0) return absent(`nvidia-smi has not answered for ${Math.round(staleMs / 1000)} s`);
      return absent('measuring: waiting for the first nvidia-smi reading');
    }
    return combine(fresh);
  }

  private describeOthers(reason: string): string {
    if (!this.otherGpus || this.otherGpus.length === 0) return reason;
    return `${reason}; ${this.otherGpus.join(', ')}: no utilisation or power readings here (its temperature and power, if the driver gives them, are under sensors)`;
  }

  private async nameOtherGpus(): Promise<void> {
    this.otherGpus = [];
    try {
      const si = await import('systeminformation');
      const g = await si.graphics();
      this.otherGpus = g.controllers.map((c) => [c.vendor, c.model].filter(Boolean).join(' ')).filter((s) => s !== '');
    } catch {
      // lspci and friends missing: say only what the driver check said
    }
  }

  private spawn(): void {
    if (!this.nvidia || !('smi' in this.nvidia) || this.stopped) return;
    this.spawnedAt = performance.now();
    this.exitReason = null;
    const child = spawn(this.nvidia.smi, [`--query-gpu=${QUERY}`, '--format=csv,noheader,nounits', `--loop-ms=${this.intervalMs}`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.child = child;
    let buffered = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = parseNvidiaSmiLine(buffered.slice(0, nl), performance.now());
        buffered = buffered.slice(nl + 1);
        if (line) this.lines.set(line.index, line);
      }
    });
    child.on('error', (e) => {
      this.exitReason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${this.nvidia && 'smi' in this.nvidia ? this.nvidia.smi : 'nvidia-smi'} not found` : e.message;
      if (this.child === child) this.child = null;
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      this.exitReason ??= signal ? `killed by ${signal}` : `exited with code ${code}`;
    });
    // The sampler's timer is what keeps hearthd's rhythm; this child must not keep a stopping process alive.
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
  }

  private kill(): void {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null) child.kill('SIGTERM');
  }
}

function combine(gpus: NvidiaLine[]): GpuReading {
  const names = [...new Set(gpus.map((g) => g.name))];
  const name = gpus.length === 1 || names.length > 1 ? names.join(' + ') : `${gpus.length} × ${names[0]}`;
  const src = (field: string) => `nvidia-smi:${gpus.map((g) => g.index).join('+')}:${field}`;
  const all = (pick: (g: NvidiaLine) => number | null, what: string): number[] | Absent => {
    const values = gpus.map(pick);
    const missing = values.findIndex((v) => v === null);
    if (missing >= 0) return absent(`nvidia-smi does not report ${what} for GPU ${gpus[missing]!.index}`);
    return values as number[];
  };
  const reading = (values: number[] | Absent, fold: (v: number[]) => number, unit: Reading['unit'], field: string, digits = 1): Maybe<Reading> =>
    Array.isArray(values) ? { value: round(fold(values), digits), unit, source: src(field) } : values;
  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
  return {
    name,
    utilPct: reading(all((g) => g.util, 'utilisation'), (v) => sum(v) / v.length, '%', 'utilization.gpu'),
    power: reading(all((g) => g.power, 'power draw'), sum, 'W', 'power.draw', 2),
    temp: reading(all((g) => g.temp, 'temperature'), (v) => Math.max(...v), 'C', 'temperature.gpu'),
    memUsed: reading(all((g) => g.memUsed, 'memory used (unified memory)'), (v) => sum(v) * MIB, 'B', 'memory.used', 0),
    memTotal: reading(all((g) => g.memTotal, 'memory total (unified memory)'), (v) => sum(v) * MIB, 'B', 'memory.total', 0),
  };
}
