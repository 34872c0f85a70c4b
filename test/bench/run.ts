// make bench: hearthd's idle cost, start-up time and the wizard's first-load weight; with the 1.1B-shape
// synthetic model, prompt and decode speed through the full path against node-llama-cpp alone,
// concurrent streams, worker memory, download rate, and the memory-bandwidth bound for decode; SMB write
// throughput against cp and the time from an SMB upload to hearthd knowing of the file; the agents'
// pipeline cost per document, the time from a file's last write to its job starting, and hearthd's
// cost with 2,000 jobs queued (about 10 minutes: 1,000 documents go through the demo model); telemetry: CPU per
// sample, hearthd's idle CPU and wake-ups with sampling on and off, and the size of a year of minute history;
// the image: build time, raw and compressed size, and boot to /api/health against a plain boot (QEMU, TCG).
// Prints a table and writes bench-results.json. Measures only; asserts nothing. Progress goes to stderr.
//
// HEARTH_BENCH_IDLE_SECONDS (default 60) sets the idle window; HEARTH_BENCH_ONLY=system,smb,agents,telemetry,image,bandwidth,download,models
// runs only the named parts (for working on one of them; the results file then holds only those).
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/daemon.js';
import { cachedSyntheticModel } from '../helpers/synth-model.js';
import { agentFigures } from './agents.js';
import { measureBandwidth, type Bandwidth } from './bandwidth.js';
import { downloadRate } from './download.js';
import { Figures, loadAverage, progress } from './figures.js';
import { bandwidthBound, directNodeLlamaCpp, throughHearthd } from './models.js';
import { smbFigures } from './smb.js';
import { idleCost, startupTime, wizardWeight } from './system.js';
import { telemetryFigures } from './telemetry.js';
import { imageFigures } from './image.js';

const IDLE_SECONDS = Number(process.env.HEARTH_BENCH_IDLE_SECONDS ?? 60);
const PARTS = ['system', 'smb', 'agents', 'telemetry', 'image', 'bandwidth', 'download', 'models'] as const;
const only = process.env.HEARTH_BENCH_ONLY?.split(',').map((s) => s.trim());
const wanted = (part: (typeof PARTS)[number]) => !only || only.includes(part);

const figures = new Figures();
const t0 = performance.now();
const loadBefore = loadAverage();
progress(`starting; 1-min load average ${loadBefore} on ${availableParallelism()} cores`);

if (wanted('system')) {
  await startupTime(figures);
  await wizardWeight(figures);
  await idleCost(figures, IDLE_SECONDS);
}
if (wanted('smb')) await smbFigures(figures);
if (wanted('agents')) await agentFigures(figures);
if (wanted('telemetry')) await telemetryFigures(figures, IDLE_SECONDS);
if (wanted('image')) await imageFigures(figures);

let modelPath: string | null = null;
if (wanted('download') || wanted('models')) {
  progress('the 1.1B-shape synthetic model (Q8_0, ~1.17 GB): generated once, then cached in the temp folder');
  const ts = performance.now();
  modelPath = await cachedSyntheticModel({ shape: '1b', type: 'q8_0' });
  progress(`model ready in ${((performance.now() - ts) / 1000).toFixed(1)} s: ${modelPath}`);
}

let bandwidth: Bandwidth | null = null;
if (wanted('bandwidth')) bandwidth = await measureBandwidth();
if (wanted('download')) await downloadRate(figures, modelPath!);
let fullDecode: number | null = null;
if (wanted('models')) {
  const full = await throughHearthd(figures, modelPath!);
  fullDecode = full.fullDecode;
  await directNodeLlamaCpp(figures, modelPath!, full);
}
if (bandwidth) bandwidthBound(figures, bandwidth, fullDecode);

const seconds = Math.round((performance.now() - t0) / 1000);
const loadAfter = loadAverage();
progress(`done in ${seconds} s; 1-min load average now ${loadAfter}`);

const list = figures.list;
const width = Math.max(...list.map((f) => f.name.length));
const valueWidth = Math.max(10, ...list.map((f) => String(f.value).length));
const unitWidth = Math.max(4, ...list.map((f) => f.unit.length));
console.log(`\n${'figure'.padEnd(width)}  ${'value'.padStart(valueWidth)}  ${'unit'.padEnd(unitWidth)}  note`);
console.log(`${'-'.repeat(width)}  ${'-'.repeat(valueWidth)}  ${'-'.repeat(unitWidth)}  ----`);
for (const f of list) console.log(`${f.name.padEnd(width)}  ${String(f.value).padStart(valueWidth)}  ${f.unit.padEnd(unitWidth)}  ${f.note ?? ''}`);
console.log(`\n${seconds} s in all; 1-min load average ${loadBefore} before, ${loadAfter} after (other work on the box skews these figures)`);
const out = join(ROOT, 'bench-results.json');
const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), memoryBytes: totalmem(), loadAverageBefore: loadBefore, loadAverageAfter: loadAfter };
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, idleSeconds: IDLE_SECONDS, seconds, machine, parts: only ?? [...PARTS], figures: list }, null, 2) + '\n');
console.log(`written to ${out}`);
