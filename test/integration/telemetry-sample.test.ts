import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as si from 'systeminformation';
import { Sampler } from '../../appliance/src/telemetry/sampler.js';
import { deviceProfile } from '../../appliance/src/telemetry/device-profiles.js';
import { isAbsent, type Maybe, type Reading, type TelemetrySample } from '../../appliance/src/telemetry/types.js';

const UNITS = new Set(['C', 'W', 'rpm', '%', 'MHz', 'B', 'B/s', 'A', 'V', 'J']);

function reading(r: Reading, where: string): void {
  assert.equal(typeof r.value, 'number', `${where}: value`);
  assert.ok(Number.isFinite(r.value), `${where}: finite (${r.value})`);
  assert.ok(UNITS.has(r.unit), `${where}: unit ${r.unit}`);
  assert.ok(typeof r.source === 'string' && r.source.length > 0, `${where}: source`);
  if ('estimated' in r) assert.equal(r.estimated, true, `${where}: estimated`);
}

function maybe<T>(m: Maybe<T>, where: string, check: (v: T) => void): void {
  if (isAbsent(m)) assert.ok(typeof m.reason === 'string' && m.reason.length > 0, `${where}: absent needs a reason`);
  else check(m);
}

/** Every field of a sample is a number (a Reading with its source) or explicitly Absent with a reason. */
function checkSample(s: TelemetrySample): void {
  assert.ok(Number.isFinite(s.at));
  reading(s.cpu.loadPct, 'cpu.loadPct');
  assert.ok(s.cpu.perCorePct.length > 0 && s.cpu.perCorePct.every((n) => Number.isFinite(n) && n >= 0 && n <= 100), 'perCorePct');
  maybe(s.cpu.freqMhz, 'cpu.freqMhz', (r) => reading(r, 'cpu.freqMhz'));
  reading(s.memory.used, 'memory.used');
  reading(s.memory.total, 'memory.total');
  maybe(s.disk, 'disk', (d) => { reading(d.used, 'disk.used'); reading(d.total, 'disk.total'); reading(d.readBps, 'disk.readBps'); reading(d.writeBps, 'disk.writeBps'); });
  maybe(s.net, 'net', (n) => { reading(n.rxBps, 'net.rxBps'); reading(n.txBps, 'net.txBps'); });
  for (const x of s.temperatures) { assert.ok(x.id && x.label && x.kind); reading(x.reading, `temp ${x.id}`); }
  for (const x of s.fans) { assert.ok(x.id && x.label); reading(x.reading, `fan ${x.id}`); }
  maybe(s.power.system, 'power.system', (r) => reading(r, 'power.system'));
  for (const x of s.power.parts) reading(x.reading, `power ${x.id}`);
  maybe(s.gpu, 'gpu', (g) => {
    assert.ok(g.name);
    for (const k of ['utilPct', 'power', 'temp', 'memUsed', 'memTotal'] as const) maybe(g[k], `gpu.${k}`, (r) => reading(r, `gpu.${k}`));
  });
  maybe(s.battery, 'battery', (b) => { reading(b.percent, 'battery.percent'); assert.equal(typeof b.charging, 'boolean'); maybe(b.power, 'battery.power', (r) => reading(r, 'battery.power')); });
  for (const a of s.absent) assert.ok(a.what && a.reason, JSON.stringify(a));
  assert.ok(Number.isFinite(s.costMs) && s.costMs >= 0);
}

function dataDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-telemetry-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

test('a real sample from the Sampler on this machine: every field a number or explicitly absent, and what it cost', async (t) => {
  const sampler = new Sampler({ dataDir: dataDir(t), profile: () => deviceProfile('generic'), intervalMs: () => 1000 });
  t.after(() => sampler.stop());
  const first = await sampler.sampleOnce();
  checkSample(first);
  t.diagnostic(`this machine: ${first.temperatures.length} temperature sensors, ${first.fans.length} fans, ${first.power.parts.length} power parts; system power ${isAbsent(first.power.system) ? 'absent' : `${first.power.system.value} W from ${first.power.system.source}`}`);
  for (const a of first.absent) t.diagnostic(`absent ${a.what}: ${a.reason}`);
  // Power is a measurement, an estimate that says so, or absent: never a bare 0 W.
  if (!isAbsent(first.power.system) && first.power.system.source.startsWith('estimate:')) assert.equal(first.power.system.estimated, true);

  const costs: number[] = [];
  for (let i = 0; i < 30; i++) {
    await new Promise((res) => setTimeout(res, 20));
    const s = await sampler.sampleOnce();
    checkSample(s);
    costs.push(s.costMs);
  }
  t.diagnostic(`costMs per sample (CPU, 30 samples): median ${median(costs)} ms, max ${Math.max(...costs)} ms (goal < 1 ms)`);
  assert.ok(median(costs) < 5, `median cost ${median(costs)} ms`);
});

test('the started Sampler emits real samples on its own timer', async (t) => {
  const sampler = new Sampler({ dataDir: dataDir(t), profile: () => deviceProfile('generic'), intervalMs: () => 100 });
  t.after(() => sampler.stop());
  const samples: TelemetrySample[] = [];
  const three = new Promise<void>((resolve) => sampler.on('sample', (s: TelemetrySample) => { samples.push(s); if (samples.length === 3) resolve(); }));
  // The sampler's timer is unref'd (it must not keep hearthd alive); here the test holds the loop open.
  const keepAlive = setInterval(() => {}, 1000);
  sampler.start();
  await three;
  clearInterval(keepAlive);
  sampler.stop();
  for (const s of samples) checkSample(s);
  // Primed at start: rates are real from the first emitted sample.
  assert.equal(isAbsent(samples[0]!.net) && samples[0]!.net.reason.startsWith('measuring'), false);
  t.diagnostic(`timer samples costMs: ${samples.map((s) => s.costMs).join(', ')} ms`);
});

test('a real sample from systeminformation completes: every field a number or explicitly absent, and it agrees with /proc', async (t) => {
  const dir = dataDir(t);
  const num = (v: unknown, why: string): Maybe<number> => (typeof v === 'number' && Number.isFinite(v) ? v : { absent: true, reason: why });
  const [load, mem, temp, battery, graphics, speed, fs, net] = await Promise.all([
    si.currentLoad(), si.mem(), si.cpuTemperature(), si.battery(), si.graphics(), si.cpuCurrentSpeed(), si.fsSize(), si.networkStats(),
  ]);
  const root = fs.filter((f) => dir.startsWith(f.mount)).sort((a, b) => b.mount.length - a.mount.length)[0];
  const gpu = graphics.controllers[0];
  const sample = {
    cpuLoadPct: num(load.currentLoad, 'systeminformation gave no load'),
    perCorePct: load.cpus.map((c, i) => num(c.load, `no load for core ${i}`)),
    cpuFreqMhz: num(speed.avg > 0 ? speed.avg * 1000 : null, 'no CPU frequency from systeminformation'),
    memUsed: num(mem.total - mem.available, 'no memory figures'),
    memTotal: num(mem.total, 'no memory total'),
    cpuTempC: num(temp.main, 'no CPU temperature from systeminformation'),
    diskUsed: num(root?.used, 'no file system for the data dir'),
    diskTotal: num(root?.size, 'no file system for the data dir'),
    netRxBps: num(net[0]?.rx_sec, 'no network rate yet (systeminformation needs two calls)'),
    batteryPct: battery.hasBattery ? num(battery.percent, 'battery without a percentage') : { absent: true as const, reason: 'no battery' },
    gpuUtilPct: gpu ? num(gpu.utilizationGpu, `${gpu.model}: no utilisation`) : { absent: true as const, reason: 'no GPU found by systeminformation' },
    gpuPowerW: gpu ? num(gpu.powerDraw, `${gpu.model}: no power draw`) : { absent: true as const, reason: 'no GPU found by systeminformation' },
  };
  for (const [k, v] of Object.entries(sample)) {
    for (const x of Array.isArray(v) ? v : [v]) {
      assert.ok(typeof x === 'number' ? Number.isFinite(x) : isAbsent(x) && x.reason.length > 0, `${k}: ${JSON.stringify(x)}`);
    }
    t.diagnostic(`systeminformation ${k}: ${JSON.stringify(v)}`);
  }

  // Cross-check with the Sampler's /proc readers.
  const sampler = new Sampler({ dataDir: dir, profile: () => deviceProfile('generic'), intervalMs: () => 1000, detectGpus: false });
  t.after(() => sampler.stop());
  const s = await sampler.sampleOnce();
  assert.equal(s.memory.total.value, mem.total, 'MemTotal is MemTotal');
  assert.ok(Math.abs(s.memory.used.value - (mem.total - mem.available)) < mem.total * 0.05, 'used memory within 5 % of systeminformation');
  assert.equal(s.cpu.perCorePct.length, load.cpus.length, 'same core count');
  if (!isAbsent(s.disk) && root) assert.ok(Math.abs(s.disk.total.value - root.size) <= root.size * 0.01, `disk total ${s.disk.total.value} vs ${root.size}`);
  if (!graphics.controllers.some((c) => /nvidia/i.test(c.vendor))) assert.ok(isAbsent(s.gpu), 'no NVIDIA GPU: the GPU is absent');
});
