// Telemetry figures: the CPU one sample costs (a Sampler on this machine's real /sys and /proc, in this process);
// hearthd's idle CPU and wake-ups with sampling on and with HEARTH_TELEMETRY_SAMPLING=off (claimed, no model, no
// SMB, measured as the idle figures are); and the size of a year of minute history in hearth.db.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../appliance/src/log.js';
import { HearthDatabase } from '../../appliance/src/store/store.js';
import { deviceProfile } from '../../appliance/src/telemetry/device-profiles.js';
import { historySize } from '../../appliance/src/telemetry/history.js';
import { Sampler } from '../../appliance/src/telemetry/sampler.js';
import { controlRequest, removeDir, tempDataDir } from '../helpers/daemon.js';
import { fillSyntheticYear } from '../helpers/telemetry-history.js';
import { median, percentile, progress, round, sleep, type Figures } from './figures.js';
import { watchIdle, type IdleWatch } from './system.js';

const SAMPLES = 300;
const SAMPLE_EVERY_MS = 50;
const SETTLE_SECONDS = 10;

/** 300 samples in this process, one every 50 ms (after the priming one): each sample's own costMs, and process.cpuUsage() around them all. */
async function costPerSample(figures: Figures): Promise<void> {
  progress(`telemetry: ${SAMPLES} samples of the real /sys and /proc in this process, one every ${SAMPLE_EVERY_MS} ms`);
  const dataDir = await tempDataDir('hearth-bench-telemetry-');
  const sampler = new Sampler({ dataDir, profile: () => deviceProfile('generic'), intervalMs: () => 1000 });
  try {
    const first = await sampler.sampleOnce(); // primes (two reads 200 ms apart): not counted
    const costs: number[] = [];
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    let last = first;
    for (let i = 0; i < SAMPLES; i++) {
      await sleep(SAMPLE_EVERY_MS);
      last = await sampler.sampleOnce();
      costs.push(last.costMs);
    }
    const wall = performance.now() - wall0;
    const used = process.cpuUsage(cpu0);
    const perSample = (used.user + used.system) / 1000 / SAMPLES;
    const found = `${last.temperatures.length} temperatures, ${last.fans.length} fans, ${last.power.parts.length} power parts, ${last.absent.length} absent (${last.absent.map((a) => a.what).join(', ') || 'none'})`;
    figures.add(
      'telemetry: CPU per sample',
      round(median(costs), 3),
      'ms',
      `median of ${SAMPLES} samples' costMs on this machine's /sys and /proc (goal < 1 ms); p95 ${round(percentile(costs, 95), 3)} ms, max ${round(Math.max(...costs), 3)} ms, first (priming) ${first.costMs} ms; ` +
        `process.cpuUsage() over the loop ${round(perSample, 3)} ms per sample (timers and the event loop included) in ${round(wall / 1000, 1)} s; ${found}`,
    );
  } finally {
    sampler.stop();
    await removeDir(dataDir);
  }
}

/** hearthd claimed (owner set up through the control socket), no model, no SMB, watched as the idle figures are. */
async function idleWith(sampling: 'on' | 'off', idleSeconds: number): Promise<IdleWatch> {
  progress(`telemetry: hearthd with sampling ${sampling}, claimed, no model; ${SETTLE_SECONDS} s to settle, then watched for ${idleSeconds} s`);
  return watchIdle({
    idleSeconds,
    settleSeconds: SETTLE_SECONDS,
    env: { HEARTH_SMB: 'off', HEARTH_TELEMETRY_SAMPLING: sampling },
    prepare: async (d) => {
      const setup = await controlRequest(d.socketPath, 'POST', '/setup', { owner: 'bench', password: 'bench-password-1', name: 'Bench' });
      if (setup.status !== 200) throw new Error(`setting up the owner failed: ${JSON.stringify(setup.body)}`);
    },
  });
}

async function idleOnOff(figures: Figures, idleSeconds: number): Promise<void> {
  const on = await idleWith('on', idleSeconds);
  const off = await idleWith('off', idleSeconds);
  const cpuPct = (w: IdleWatch) => ((w.after.cpuSeconds - w.before.cpuSeconds) / idleSeconds) * 100;
  const wakes = (w: IdleWatch) => (w.after.ctxSwitches - w.before.ctxSwitches) / idleSeconds;
  const threads = (w: IdleWatch) => w.threadCtxSwitches / idleSeconds;
  const children = (w: IdleWatch) => (w.children.length ? `; ${w.children.length} child process(es), not counted` : '');
  const how = `claimed, no model, HEARTH_SMB=off, own network namespace; ${SETTLE_SECONDS} s after start, over ${idleSeconds} s`;
  const dCpu = cpuPct(on) - cpuPct(off);
  const dWakes = wakes(on) - wakes(off);
  for (const [w, label] of [
    [on, 'on'],
    [off, 'off'],
  ] as const) {
    figures.add(
      `telemetry: hearthd idle CPU, sampling ${label}`,
      round(cpuPct(w), 3),
      '%',
      `of one core, utime+stime from /proc; ${how}; RSS ${round(w.after.rssBytes / 2 ** 20, 1)} MiB${children(w)}${label === 'off' ? `; sampling adds ${round(dCpu, 3)} points (${round((dCpu / 100) * 1000, 2)} ms of CPU per second)` : ''}`,
    );
    figures.add(
      `telemetry: hearthd wake-ups/s, sampling ${label}`,
      round(wakes(w), 2),
      '/s',
      `voluntary + involuntary context switches of the main thread (as the idle figure), same window; all threads ${round(threads(w), 2)}/s${label === 'off' ? `; sampling adds ${round(dWakes, 2)}/s (main thread), ${round(threads(on) - threads(off), 2)}/s (all threads); the tick alone is 1/s` : ''}`,
    );
  }
}

/** A year of minute history (the typical mini PC's metrics, energy minutes too) in a fresh hearth.db. */
async function yearOfHistory(figures: Figures): Promise<void> {
  progress('telemetry: a synthetic year of minute history into a fresh hearth.db (about 20 s)');
  const dir = await tempDataDir('hearth-bench-history-');
  const store = new HearthDatabase(dir, createLogger('bench', 'warn'));
  try {
    store.open();
    const t0 = performance.now();
    const fill = fillSyntheticYear(store);
    const seconds = (performance.now() - t0) / 1000;
    const size = historySize(store);
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const fileBytes = statSync(join(dir, 'hearth.db')).size;
    figures.add(
      'telemetry: a year of minute history in SQLite',
      round(size.bytes / 2 ** 20, 1),
      'MiB',
      `telemetry tables and indexes (dbstat); ${fill.minutes.toLocaleString('en')} minutes x ${fill.metrics.length} metrics = ${size.minuteRows.toLocaleString('en')} minute rows + ${size.energyRows.toLocaleString('en')} energy rows, ` +
        `${round(size.bytesPerRow, 1)} B per row; hearth.db ${round(fileBytes / 2 ** 20, 1)} MiB on disk; filled in ${round(seconds, 1)} s`,
    );
  } finally {
    store.close();
    await removeDir(dir);
  }
}

export async function telemetryFigures(figures: Figures, idleSeconds: number): Promise<void> {
  await costPerSample(figures);
  await idleOnOff(figures, idleSeconds);
  await yearOfHistory(figures);
}
