import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { DeviceProfile } from './device-profiles.js';
import { GpuSensors } from './gpu.js';
import { systemPower } from './power-estimate.js';
import { isVirtualMachine, ProcReaders } from './proc.js';
import { round, SysfsSensors } from './sysfs.js';
import type { TelemetrySample } from './types.js';

export interface SamplerOptions {
  sysRoot?: string;
  procRoot?: string;
  /** The data dir: its file system is the disk reported. */
  dataDir: string;
  profile: () => DeviceProfile;
  intervalMs: () => number;
  now?: () => number;
  /** Show the profile's estimate (labelled) where no system power sensor exists; false reports the absence alone. Default true. */
  estimatePower?: boolean;
  /** nvidia-smi to run when the NVIDIA driver is loaded; default: found on PATH. */
  nvidiaSmi?: string | null;
  /** Name non-NVIDIA GPUs once with systeminformation; default: only when reading the real /sys. */
  detectGpus?: boolean;
  /** sampleOnce with nothing read before reads twice this far apart, so rates and RAPL power have a delta. Default 200 ms. */
  primeMs?: number;
}

/**
 * Reads every sensor once per interval on one unref'd timer and emits 'sample' (TelemetrySample). A tick is synchronous
 * reads of small files found once at start; its CPU cost is measured and reported in the sample.
 */
export class Sampler extends EventEmitter {
  private readonly sysfs: SysfsSensors;
  private readonly proc: ProcReaders;
  private readonly gpu: GpuSensors;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private gpuStarted = false;
  private primed = false;
  private last: TelemetrySample | null = null;

  constructor(private readonly options: SamplerOptions) {
    super();
    const sysRoot = options.sysRoot ?? '/sys';
    const procRoot = options.procRoot ?? '/proc';
    const virtualMachine = isVirtualMachine(procRoot);
    this.now = options.now ?? Date.now;
    this.sysfs = new SysfsSensors(sysRoot, { virtualMachine });
    this.proc = new ProcReaders({ procRoot, sysRoot, dataDir: options.dataDir, virtualMachine });
    this.gpu = new GpuSensors({ sysRoot, procRoot, nvidiaSmi: options.nvidiaSmi, detectOtherGpus: options.detectGpus ?? sysRoot === '/sys' });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.startGpu();
    // Fresh first reads, so the first tick's rates cover one interval and not the time the sampler was stopped.
    this.prime();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.gpu.stop();
    this.gpuStarted = false;
  }

  latest(): TelemetrySample | null {
    return this.last;
  }

  /** A sample now, off the timer (not emitted). With nothing read before, it reads twice `primeMs` apart. */
  async sampleOnce(): Promise<TelemetrySample> {
    this.startGpu();
    if (!this.primed) {
      this.prime();
      await new Promise((resolve) => setTimeout(resolve, this.options.primeMs ?? 200));
    }
    const sample = this.take();
    this.last = sample;
    return sample;
  }

  private startGpu(): void {
    if (this.gpuStarted) return;
    this.gpuStarted = true;
    this.gpu.start(this.options.intervalMs());
  }

  private schedule(): void {
    if (!this.running) return;
    const ms = this.options.intervalMs();
    this.gpu.setInterval(ms);
    this.timer = setTimeout(() => this.tick(), ms);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    try {
      const sample = this.take();
      this.last = sample;
      this.emit('sample', sample);
    } catch (e) {
      if (this.listenerCount('error') > 0) this.emit('error', e);
    }
    this.schedule();
  }

  /** First reads, so the first real sample has deltas for load, I/O and RAPL power. */
  private prime(): void {
    const at = this.now();
    this.proc.cpu();
    this.proc.cpuFreq(at);
    this.proc.disk(at);
    this.proc.net(at);
    this.sysfs.read(at);
    this.primed = true;
  }

  private take(): TelemetrySample {
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const at = this.now();

    const cpu = this.proc.cpu();
    const freqMhz = this.proc.cpuFreq(at);
    const memory = this.proc.memory();
    const disk = this.proc.disk(at);
    const net = this.proc.net(at);
    const s = this.sysfs.read(at);
    const gpu = this.gpu.read();

    const absent = [...s.absent];
    if ('absent' in freqMhz) absent.push({ what: 'cpu frequency', reason: freqMhz.reason });
    if ('absent' in disk) absent.push({ what: 'disk', reason: disk.reason });
    if ('absent' in net) absent.push({ what: 'network', reason: net.reason });
    if ('absent' in gpu) absent.push({ what: 'gpu', reason: gpu.reason });

    const profile = this.options.estimatePower === false ? null : this.options.profile();
    const system = systemPower(s.systemPower, cpu.loadPct.value, profile);
    if (system !== s.systemPower && profile) {
      const entry = absent.find((a) => a.what === 'power');
      if (entry) entry.reason = `${entry.reason}; shown: an estimate from CPU load and the ${profile.name} profile (${profile.idleW}–${profile.maxW} W)`;
    }

    const temperatures = [...s.temperatures];
    if (!('absent' in gpu) && !('absent' in gpu.temp)) temperatures.push({ id: 'nvidia.gpu', label: gpu.name, kind: 'gpu', reading: gpu.temp });

    const sample: TelemetrySample = {
      at,
      cpu: { loadPct: cpu.loadPct, perCorePct: cpu.perCorePct, freqMhz },
      memory,
      disk,
      net,
      temperatures,
      fans: s.fans,
      power: { system, parts: s.powerParts },
      gpu,
      battery: s.battery,
      absent,
      costMs: 0,
    };
    // Both figures over-count this thread's CPU (other threads; time off-CPU), so the smaller is the closer bound.
    const used = process.cpuUsage(cpu0);
    sample.costMs = round(Math.min((used.user + used.system) / 1000, performance.now() - wall0), 3);
    return sample;
  }
}
