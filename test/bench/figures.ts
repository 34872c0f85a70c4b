// What every part of `make bench` shares: the figures it collects, progress lines, /proc readings.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

export class Figures {
  readonly list: Figure[] = [];

  add(name: string, value: number, unit: string, note?: string): void {
    this.list.push({ name, value, unit, ...(note ? { note } : {}) });
  }
}

const started = performance.now();

// A closed stderr (the output piped into `head`) must not end the run half-way with daemons left behind.
process.stderr.on('error', () => undefined);
// Interrupted: run the 'exit' handlers below, so no hearthd outlives the bench.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));

/**
 * SIGKILL `child` (and delete `dir`) if this process exits before forget() is called; a hearthd's
 * inference worker follows it by itself (IPC disconnect).
 */
export function killOnExit(child: ChildProcess, dir?: string): () => void {
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', kill);
  return () => process.off('exit', kill);
}

/** A progress line on stderr, so a person sees the bench is working (stdout keeps the table). */
export function progress(message: string): void {
  const s = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[bench ${s} s] ${message}\n`);
}

export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

export interface ProcReading {
  cpuSeconds: number;
  rssBytes: number;
  /** Private memory (heap, KV cache, buffers) and file-backed pages (mmapped model weights, code). */
  rssAnonBytes: number;
  rssFileBytes: number;
  ctxSwitches: number;
}

export function procStat(pid: number): ProcReading {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const num = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return {
    cpuSeconds: (utime + stime) / CLK_TCK,
    rssBytes: num('VmRSS') * 1024,
    rssAnonBytes: num('RssAnon') * 1024,
    rssFileBytes: num('RssFile') * 1024,
    ctxSwitches: num('voluntary_ctxt_switches') + num('nonvoluntary_ctxt_switches'),
  };
}

/** `pid`'s child processes (hearthd's model worker, for one), from /proc/<pid>/task/<tid>/children. */
export function childPids(pid: number): number[] {
  const pids: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      pids.push(...readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
    } catch {
      /* the thread ended meanwhile */
    }
  }
  return pids;
}

/**
 * Context switches of every thread of `pid` (procStat's ctxSwitches counts the main thread only:
 * /proc/<pid>/status reports the thread group leader's).
 */
export function threadCtxSwitches(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      total += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      /* the thread ended meanwhile */
    }
  }
  return total;
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const round = (v: number, digits = 1): number => +v.toFixed(digits);
export const MiB = (bytes: number): number => round(bytes / 2 ** 20);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The 1-minute load average: other work on the box skews every figure here, so it goes into the results. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}
