import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SysfsSensors, classifyTemp, energyDelta, readSysfs, type SysfsReadings } from '../../appliance/src/telemetry/sysfs.js';
import { execFileSync } from 'node:child_process';
import { ProcReaders, parseProcStat } from '../../appliance/src/telemetry/proc.js';
import { GpuSensors, parseNvidiaSmiLine } from '../../appliance/src/telemetry/gpu.js';
import { estimateSystemPower, systemPower } from '../../appliance/src/telemetry/power-estimate.js';
import { DEVICE_PROFILES, deviceProfile } from '../../appliance/src/telemetry/device-profiles.js';
import { Sampler } from '../../appliance/src/telemetry/sampler.js';
import { isAbsent, type Reading, type TelemetrySample } from '../../appliance/src/telemetry/types.js';

type Files = Record<string, string | number | null>;
type T = { after: (fn: () => void) => void };

/** A fixture tree: each key a path under the root, each value the file's content (null: an empty directory). */
function tree(t: T, files: Files): string {
  const root = mkdtempSync(join(tmpdir(), 'hearth-tree-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  write(root, files);
  return root;
}

function write(root: string, files: Files): void {
  for (const [p, v] of Object.entries(files)) {
    const path = join(root, p);
    if (v === null) { mkdirSync(path, { recursive: true }); continue; }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${v}\n`);
  }
}

const H = 'class/hwmon';
const SENSORS: Files = {
  'class/thermal/thermal_zone0/type': 'x86_pkg_temp',
  'class/thermal/thermal_zone0/temp': 54000,
  'class/thermal/thermal_zone1/type': 'acpitz',
  'class/thermal/thermal_zone1/temp': 27800,
  'class/thermal/thermal_zone2/type': 'iwlwifi_1', // a radio that is off: no temp file
  [`${H}/hwmon0/name`]: 'coretemp',
  [`${H}/hwmon0/temp1_input`]: 55000,
  [`${H}/hwmon0/temp1_label`]: 'Package id 0',
  [`${H}/hwmon0/temp2_input`]: 51000,
  [`${H}/hwmon0/temp2_label`]: 'Core 0',
  [`${H}/hwmon1/name`]: 'nvme',
  [`${H}/hwmon1/temp1_input`]: 38900,
  [`${H}/hwmon1/temp1_label`]: 'Composite',
  [`${H}/hwmon2/name`]: 'amdgpu',
  [`${H}/hwmon2/temp1_input`]: 61000,
  [`${H}/hwmon2/temp1_label`]: 'edge',
  [`${H}/hwmon2/power1_average`]: 23_450_000,
  [`${H}/hwmon2/fan1_input`]: 1200,
  [`${H}/hwmon10/name`]: 'nct6775',
  [`${H}/hwmon10/temp1_input`]: 31000,
  [`${H}/hwmon10/temp1_label`]: 'SYSTIN',
  [`${H}/hwmon10/fan2_input`]: 850,
  [`${H}/hwmon10/fan2_label`]: 'CPU fan',
  [`${H}/hwmon10/temp9_input`]: -273000, // a disconnected probe: not a reading
};

test('thermal zones and hwmon give exact temperatures, fans and power with their sources and stable ids', (t) => {
  const root = tree(t, SENSORS);
  const r = new SysfsSensors(root).read(1000);
  const src = (p: string) => join(root, p);
  assert.deepEqual(r.temperatures, [
    { id: 'thermal.x86_pkg_temp', label: 'x86_pkg_temp', kind: 'cpu-package', reading: { value: 54, unit: 'C', source: `thermal:${src('class/thermal/thermal_zone0/temp')}` } },
    { id: 'thermal.acpitz', label: 'acpitz', kind: 'chassis', reading: { value: 27.8, unit: 'C', source: `thermal:${src('class/thermal/thermal_zone1/temp')}` } },
    { id: 'hwmon.amdgpu.temp1', label: 'amdgpu edge', kind: 'gpu', reading: { value: 61, unit: 'C', source: `hwmon:${src(`${H}/hwmon2/temp1_input`)}` } },
    { id: 'hwmon.coretemp.temp1', label: 'coretemp Package id 0', kind: 'cpu-package', reading: { value: 55, unit: 'C', source: `hwmon:${src(`${H}/hwmon0/temp1_input`)}` } },
    { id: 'hwmon.coretemp.temp2', label: 'coretemp Core 0', kind: 'cpu-core', reading: { value: 51, unit: 'C', source: `hwmon:${src(`${H}/hwmon0/temp2_input`)}` } },
    { id: 'hwmon.nct6775.temp1', label: 'nct6775 SYSTIN', kind: 'chassis', reading: { value: 31, unit: 'C', source: `hwmon:${src(`${H}/hwmon10/temp1_input`)}` } },
    { id: 'hwmon.nvme.temp1', label: 'nvme Composite', kind: 'nvme', reading: { value: 38.9, unit: 'C', source: `hwmon:${src(`${H}/hwmon1/temp1_input`)}` } },
  ]);
  assert.deepEqual(r.fans, [
    { id: 'hwmon.amdgpu.fan1', label: 'amdgpu fan1', reading: { value: 1200, unit: 'rpm', source: `hwmon:${src(`${H}/hwmon2/fan1_input`)}` } },
    { id: 'hwmon.nct6775.fan2', label: 'nct6775 CPU fan', reading: { value: 850, unit: 'rpm', source: `hwmon:${src(`${H}/hwmon10/fan2_input`)}` } },
  ]);
  assert.deepEqual(r.powerParts, [
    { id: 'hwmon.amdgpu.power1', label: 'amdgpu power1', reading: { value: 23.45, unit: 'W', source: `hwmon:${src(`${H}/hwmon2/power1_average`)}` } },
  ]);
  // A GPU's power is a part, not the box: no whole-system figure, and the reason names what is measured.
  assert.deepEqual(r.systemPower, { absent: true, reason: 'no whole-system power sensor on this machine; measured parts only: amdgpu power1' });
  assert.deepEqual(r.battery, { absent: true, reason: 'no battery or UPS on this machine' });
  assert.deepEqual(r.absent.map((a) => a.what), ['power', 'RAPL power', 'battery']);
});

test('a sensor that stops answering drops out of the next reading and the sensors are looked for again', (t) => {
  const root = tree(t, SENSORS);
  const sensors = new SysfsSensors(root);
  assert.equal(sensors.read(0).temperatures.length, 7);
  rmSync(join(root, `${H}/hwmon1`), { recursive: true });
  const r = sensors.read(1000);
  assert.equal(r.temperatures.some((x) => x.id === 'hwmon.nvme.temp1'), false);
  assert.equal(r.temperatures.length, 6);
  // A new chip appears (the nvme came back as hwmon5): not looked for again within 5 s of the last look,
  // so a flapping sensor cannot make every tick a discovery...
  write(root, { [`${H}/hwmon5/name`]: 'nvme', [`${H}/hwmon5/temp1_input`]: 40000 });
  assert.equal(sensors.read(2000).temperatures.length, 6);
  // ...then found on the look the failed read asked for, under the same id.
  assert.equal(sensors.read(5000).temperatures.find((x) => x.id === 'hwmon.nvme.temp1')?.reading.source, `hwmon:${join(root, `${H}/hwmon5/temp1_input`)}`);
});

test('same-named chips get distinct ids and a voltage/current rail without a power file gives P = V × I', (t) => {
  const root = tree(t, {
    [`${H}/hwmon0/name`]: 'nvme',
    [`${H}/hwmon0/temp1_input`]: 41000,
    [`${H}/hwmon1/name`]: 'nvme',
    [`${H}/hwmon1/temp1_input`]: 44000,
    [`${H}/hwmon2/name`]: 'ina3221',
    [`${H}/hwmon2/in1_label`]: 'VDD_IN',
    [`${H}/hwmon2/in1_input`]: 19000,
    [`${H}/hwmon2/curr1_label`]: 'VDD_IN',
    [`${H}/hwmon2/curr1_input`]: 1500,
    [`${H}/hwmon2/in2_label`]: 'VDD_CPU_GPU_CV',
    [`${H}/hwmon2/in2_input`]: 19000,
    [`${H}/hwmon2/curr2_label`]: 'VDD_CPU_GPU_CV',
    [`${H}/hwmon2/curr2_input`]: 400,
  });
  const r = new SysfsSensors(root).read(0);
  assert.deepEqual(r.temperatures.map((x) => [x.id, x.reading.value]), [['hwmon.nvme.temp1', 41], ['hwmon.nvme-2.temp1', 44]]);
  const rail = join(root, `${H}/hwmon2`);
  // The input rail is the whole board's draw: 19 V × 1.5 A.
  assert.deepEqual(r.systemPower, { value: 28.5, unit: 'W', source: `hwmon:${rail}/in1_input×curr1_input` });
  assert.deepEqual(r.powerParts, [{ id: 'hwmon.ina3221.vdd_cpu_gpu_cv', label: 'ina3221 VDD_CPU_GPU_CV', reading: { value: 7.6, unit: 'W', source: `hwmon:${rail}/in2_input×curr2_input` } }]);
});

const MAX_RANGE = 262_143_328_850;
const RAPL: Files = {
  'class/powercap/intel-rapl/enabled': 1, // the control type: no counter
  'class/powercap/intel-rapl:0/name': 'package-0',
  'class/powercap/intel-rapl:0/energy_uj': MAX_RANGE - 3_000_000,
  'class/powercap/intel-rapl:0/max_energy_range_uj': MAX_RANGE,
  'class/powercap/intel-rapl:0:0/name': 'core',
  'class/powercap/intel-rapl:0:0/energy_uj': 1_000_000,
  'class/powercap/intel-rapl:0:0/max_energy_range_uj': MAX_RANGE,
  'class/powercap/intel-rapl-mmio:0/name': 'package-0', // the same package through MMIO: not counted twice
  'class/powercap/intel-rapl-mmio:0/energy_uj': 5,
};

test('RAPL power is the energy delta over time, across a counter wrap; the first read is "measuring", never 0 W', (t) => {
  const root = tree(t, RAPL);
  const sensors = new SysfsSensors(root);
  const first = sensors.read(10_000);
  assert.deepEqual(first.powerParts, []);
  assert.deepEqual(first.absent.find((a) => a.what === 'RAPL power'), { what: 'RAPL power', reason: 'measuring: CPU package 0, CPU cores (package-0) need two samples' });
  assert.equal(isAbsent(first.systemPower), true);

  // Two seconds later the package counter has wrapped: 3 J to the top, then 12 J from zero = 15 J / 2 s.
  write(root, { 'class/powercap/intel-rapl:0/energy_uj': 12_000_000, 'class/powercap/intel-rapl:0:0/energy_uj': 9_000_000 });
  const second = sensors.read(12_000);
  assert.deepEqual(second.powerParts, [
    { id: 'rapl.package-0', label: 'CPU package 0', reading: { value: 7.5, unit: 'W', source: 'rapl:package-0' } },
    { id: 'rapl.package-0.core', label: 'CPU cores (package-0)', reading: { value: 4, unit: 'W', source: 'rapl:package-0/core' } },
  ]);
  assert.deepEqual(second.systemPower, { absent: true, reason: 'no whole-system power sensor on this machine; measured parts only: CPU package 0, CPU cores (package-0)' });
  assert.equal(second.absent.some((a) => a.what === 'RAPL power'), false);
});

test('energyDelta handles wrap-around and refuses a reset it cannot measure', () => {
  assert.equal(energyDelta(100, 250, 1000), 150);
  assert.equal(energyDelta(900, 50, 1000), 150);
  assert.equal(energyDelta(900, 50, null), null);
  assert.equal(energyDelta(2000, 50, 1000), null);
});

test('RAPL psys is the whole system; a battery that discharges is too, and peripherals\' batteries are ignored', (t) => {
  const root = tree(t, {
    'class/powercap/intel-rapl:1/name': 'psys',
    'class/powercap/intel-rapl:1/energy_uj': 1_000_000,
    'class/powercap/intel-rapl:1/max_energy_range_uj': MAX_RANGE,
  });
  const sensors = new SysfsSensors(root);
  assert.deepEqual(sensors.read(0).systemPower, { absent: true, reason: 'measuring: the platform (psys) energy counter needs two samples' });
  write(root, { 'class/powercap/intel-rapl:1/energy_uj': 31_000_000 });
  assert.deepEqual(sensors.read(1000).systemPower, { value: 30, unit: 'W', source: 'rapl:psys' });

  const laptop = tree(t, {
    'class/power_supply/AC/type': 'Mains',
    'class/power_supply/AC/online': 0,
    'class/power_supply/BAT0/type': 'Battery',
    'class/power_supply/BAT0/capacity': 76,
    'class/power_supply/BAT0/status': 'Discharging',
    'class/power_supply/BAT0/power_now': 9_500_000,
    'class/power_supply/hidpp_battery_0/type': 'Battery',
    'class/power_supply/hidpp_battery_0/scope': 'Device',
    'class/power_supply/hidpp_battery_0/capacity': 20,
  });
  const bat = join(laptop, 'class/power_supply/BAT0');
  const r = readSysfs(laptop);
  assert.deepEqual(r.battery, {
    percent: { value: 76, unit: '%', source: `power_supply:${bat}/capacity` },
    charging: false,
    power: { value: 9.5, unit: 'W', source: `power_supply:${bat}/power_now` },
  });
  assert.deepEqual(r.systemPower, { value: 9.5, unit: 'W', source: `power_supply:${bat}/power_now` });

  // Charging: the battery's draw is not the box's, and current × voltage stands in for power_now.
  rmSync(join(bat, 'power_now'));
  write(laptop, { 'class/power_supply/BAT0/status': 'Charging', 'class/power_supply/BAT0/current_now': 2_000_000, 'class/power_supply/BAT0/voltage_now': 12_000_000 });
  const charging = readSysfs(laptop);
  assert.deepEqual(charging.battery, {
    percent: { value: 76, unit: '%', source: `power_supply:${bat}/capacity` },
    charging: true,
    power: { value: 24, unit: 'W', source: `power_supply:${bat}/current_now×voltage_now` },
  });
  assert.equal(isAbsent(charging.systemPower), true);
});

test('RAPL counters only root can read (the kernel\'s default since 2020) are reported as such', (t) => {
  const root = tree(t, RAPL);
  chmodSync(root, 0o755); // let an unprivileged reader walk the fixture
  for (const z of ['intel-rapl:0', 'intel-rapl:0:0', 'intel-rapl-mmio:0']) chmodSync(join(root, 'class/powercap', z, 'energy_uj'), 0o400);
  const read = (): SysfsReadings => {
    if (process.getuid?.() !== 0) return new SysfsSensors(root).read(0);
    // Root reads any file: look as nobody, the way an unprivileged hearthd would.
    const script = `import { SysfsSensors } from ${JSON.stringify(new URL('../../appliance/src/telemetry/sysfs.ts', import.meta.url).pathname)};
      process.stdout.write(JSON.stringify(new SysfsSensors(${JSON.stringify(root)}).read(0)));`;
    const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    return JSON.parse(out) as SysfsReadings;
  };
  const r = read();
  const reason = `RAPL energy counters exist but only root can read them (${join(root, 'class/powercap/intel-rapl:0/energy_uj')}: permission denied and 1 more)`; // the MMIO duplicate is not counted
  assert.deepEqual(r.absent.find((a) => a.what === 'RAPL power'), { what: 'RAPL power', reason });
  assert.deepEqual(r.systemPower, { absent: true, reason: `no power sensor readable on this machine: ${reason}` });
});

test('an empty tree gives absent everywhere with reasons, and power is absent, never 0 W', (t) => {
  const root = tree(t, {});
  const r = new SysfsSensors(root, { virtualMachine: true }).read(0);
  assert.deepEqual(r.temperatures, []);
  assert.deepEqual(r.fans, []);
  assert.deepEqual(r.powerParts, []);
  assert.deepEqual(r.systemPower, { absent: true, reason: 'no power sensor on this machine (a virtual machine exposes none)' });
  assert.deepEqual(r.battery, { absent: true, reason: 'no battery or UPS on this machine' });
  assert.deepEqual(r.absent, [
    { what: 'temperatures', reason: `no temperature sensor on this machine (${root}/class/thermal and ${root}/class/hwmon are empty or missing; a virtual machine exposes none)` },
    { what: 'fans', reason: 'no fan sensor on this machine (no hwmon fan*_input; a virtual machine exposes none)' },
    { what: 'power', reason: 'no power sensor on this machine (a virtual machine exposes none)' },
    { what: 'RAPL power', reason: `no RAPL energy counters on this machine (${root}/class/powercap missing; a virtual machine exposes none)` },
    { what: 'battery', reason: 'no battery or UPS on this machine' },
  ]);
  // Without a profile the absence stays; with one, an estimate labelled as such.
  assert.deepEqual(systemPower(r.systemPower, 50, null), r.systemPower);
  assert.deepEqual(systemPower(r.systemPower, 50, deviceProfile('generic')), { value: 21.5, unit: 'W', source: 'estimate:generic', estimated: true });
  // A real sensor still warming up is not papered over with an estimate.
  assert.deepEqual(systemPower({ absent: true, reason: 'measuring: x' }, 50, deviceProfile('generic')), { absent: true, reason: 'measuring: x' });
});

test('device profiles and the estimate: idle + load × (max − idle), clamped, always estimated', () => {
  assert.deepEqual(DEVICE_PROFILES.generic, { id: 'generic', name: 'Generic small computer', idleW: 8, maxW: 35, thresholds: { warnC: 80, throttleC: 90, criticalC: 100 } });
  assert.deepEqual(DEVICE_PROFILES['rtx-spark'].thresholds, { warnC: 85, throttleC: 95, criticalC: 105 });
  const spark = deviceProfile('rtx-spark');
  assert.deepEqual(estimateSystemPower(spark, 0), { value: 30, unit: 'W', source: 'estimate:rtx-spark', estimated: true });
  assert.equal(estimateSystemPower(spark, 100).value, 240);
  assert.equal(estimateSystemPower(spark, 150).value, 240);
  assert.equal(estimateSystemPower(spark, 25).value, 82.5);
});

test('classifyTemp sorts sensors into kinds', () => {
  assert.equal(classifyTemp('k10temp', 'Tctl'), 'cpu-package');
  assert.equal(classifyTemp('k10temp', 'Tccd1'), 'cpu-core');
  assert.equal(classifyTemp('coretemp', 'Core 3'), 'cpu-core');
  assert.equal(classifyTemp('nouveau', ''), 'gpu');
  assert.equal(classifyTemp('cpu-thermal', ''), 'cpu-package');
  assert.equal(classifyTemp('drivetemp', ''), 'other');
});

// ---- /proc readers ----

function procFixture(t: T, dataDir: string) {
  // The data dir's real device number, so the fixture's diskstats line is "its" device.
  const dev = statSync(dataDir, { bigint: true }).dev;
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  const diskLine = (read: number, written: number) =>
    `   7       0 loop0 9 0 999 0 0 0 999 0 0 0 0\n ${major} ${minor} fixdisk 100 0 ${read} 0 50 0 ${written} 0 0 0 0 0 0 0 0 0 0`;
  const netDev = (rx: number, tx: number) =>
    'Inter-|   Receive                                                |  Transmit\n' +
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n' +
    `    lo: 999999 10 0 0 0 0 0 0 999999 10 0 0 0 0 0 0\n` +
    `  eth0: ${rx} 10 0 0 0 0 0 0 ${tx} 10 0 0 0 0 0 0\n` +
    ` wlan0: 1000 1 0 0 0 0 0 0 2000 1 0 0 0 0 0 0`;
  const proc = tree(t, {
    // user nice system idle iowait irq softirq steal
    stat: 'cpu  300 0 100 500 100 0 0 0 0 0\ncpu0 200 0 50 200 50 0 0 0 0 0\ncpu1 100 0 50 300 50 0 0 0 0 0\nintr 1 2 3',
    meminfo: 'MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:   12000000 kB\n',
    diskstats: diskLine(1000, 2000),
    'net/dev': netDev(10_000, 20_000),
    cpuinfo: 'processor\t: 0\nflags\t\t: fpu vme hypervisor\n',
  });
  const next = () => {
    write(proc, {
      stat: 'cpu  400 0 150 700 150 0 0 0 0 0\ncpu0 300 0 100 250 50 0 0 0 0 0\ncpu1 100 0 50 450 100 0 0 0 0 0\nintr 1 2 3',
      diskstats: diskLine(3000, 2200),
      'net/dev': netDev(510_000, 70_000),
      meminfo: 'MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:   11000000 kB\n',
    });
  };
  return { proc, next, major, minor };
}

test('/proc readers: load per core from deltas, memory, the data dir\'s disk and the network, with exact figures', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-data-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const { proc, next } = procFixture(t, dataDir);
  const sys = tree(t, {
    'devices/system/cpu/cpu0/cpufreq/scaling_cur_freq': 2_400_000,
    'devices/system/cpu/cpu1/cpufreq/scaling_cur_freq': 3_000_000,
    'devices/system/cpu/cpufreq': null,
  });
  const r = new ProcReaders({ procRoot: proc, sysRoot: sys, dataDir });
  const stat = join(proc, 'stat');
  // First look: the average since boot, said so. busy = total − idle − iowait = 1000 − 600 of 1000.
  assert.deepEqual(r.cpu(), { loadPct: { value: 40, unit: '%', source: `proc:${stat} (since boot)` }, perCorePct: [50, 30] });
  assert.deepEqual(r.disk(0), { absent: true, reason: 'measuring: disk I/O needs two samples' });
  assert.deepEqual(r.net(0), { absent: true, reason: 'measuring: network throughput needs two samples' });

  next();
  // Δ total 400, Δ idle+iowait 250 -> 37.5 %; cpu0 Δ 200 of which 50 idle -> 75 %; cpu1 Δ 200 of which 200 idle -> 0 %.
  assert.deepEqual(r.cpu(), { loadPct: { value: 37.5, unit: '%', source: `proc:${stat}` }, perCorePct: [75, 0] });
  assert.deepEqual(r.cpuFreq(0), { value: 2700, unit: 'MHz', source: `cpufreq:${sys}/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq (mean of 2)` });
  const meminfo = `proc:${join(proc, 'meminfo')}`;
  assert.deepEqual(r.memory(), { used: { value: 5_000_000 * 1024, unit: 'B', source: meminfo }, total: { value: 16_000_000 * 1024, unit: 'B', source: meminfo } });

  const disk = r.disk(2000);
  assert.ok(!isAbsent(disk));
  // 2000 sectors read and 200 written in 2 s, 512 bytes each.
  assert.deepEqual(disk.readBps, { value: 512_000, unit: 'B/s', source: 'diskstats:fixdisk' });
  assert.deepEqual(disk.writeBps, { value: 51_200, unit: 'B/s', source: 'diskstats:fixdisk' });
  assert.equal(disk.used.unit, 'B');
  assert.equal(disk.used.source, `statfs:${dataDir}`);
  assert.ok(disk.total.value > 0 && disk.used.value >= 0 && disk.used.value <= disk.total.value);

  const netSource = `proc:${join(proc, 'net/dev')} (eth0+wlan0)`;
  assert.deepEqual(r.net(2000), { rxBps: { value: 250_000, unit: 'B/s', source: netSource }, txBps: { value: 25_000, unit: 'B/s', source: netSource } });
});

test('no cpufreq and no diskstats line for the device: honest absences, and the whole disks stand in for I/O', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-data-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const proc = tree(t, {
    stat: 'cpu  1 0 1 8 0 0 0 0\ncpu0 1 0 1 8 0 0 0 0',
    diskstats: ' 259 0 nvme0n1 1 0 100 0 1 0 10 0 0 0 0\n 259 1 nvme0n1p1 1 0 100 0 1 0 10 0 0 0 0\n 7 0 loop0 1 0 100 0 1 0 10 0 0 0 0',
    'self/mountinfo': '27 1 0:99 / / rw - overlay overlay rw',
  });
  const sys = tree(t, { 'block/nvme0n1': null, 'block/loop0': null });
  const r = new ProcReaders({ procRoot: proc, sysRoot: sys, dataDir, virtualMachine: true });
  assert.deepEqual(r.cpuFreq(0), { absent: true, reason: `no CPU frequency readings (no cpufreq under ${sys}/devices/system/cpu; a virtual machine exposes none)` });
  r.disk(0);
  const d = r.disk(1000);
  assert.ok(!isAbsent(d));
  assert.deepEqual(d.readBps, { value: 0, unit: 'B/s', source: "diskstats:nvme0n1 (all disks; the data dir's device has no line)" });
  assert.deepEqual(r.net(0), { absent: true, reason: `no network counters (${join(proc, 'net/dev')} missing)` });
});

test('parseProcStat reads only the cpu lines', () => {
  assert.deepEqual(parseProcStat('cpu  10 0 5 80 5 0 0 0 0 0\ncpu0 10 0 5 80 5 0 0 0 0 0\nintr 5\ncpu_fake 1'), [{ busy: 15, total: 100 }, { busy: 15, total: 100 }]);
});

// ---- GPU ----

test('nvidia-smi lines parse, and fields it cannot report are null', () => {
  assert.deepEqual(parseNvidiaSmiLine('0, NVIDIA GB10, 37, 41.52, 48, 3100, [N/A]', 5), { index: 0, name: 'NVIDIA GB10', util: 37, power: 41.52, temp: 48, memUsed: 3100, memTotal: null, at: 5 });
  assert.equal(parseNvidiaSmiLine('garbage', 0), null);
});

test('no NVIDIA driver: the GPU is absent with the reason and nvidia-smi never runs', (t) => {
  const sys = tree(t, { 'module/snd': null });
  const gpu = new GpuSensors({ sysRoot: sys, procRoot: sys, nvidiaSmi: '/nonexistent/nvidia-smi' });
  gpu.start(1000);
  assert.deepEqual(gpu.read(), { absent: true, reason: 'no NVIDIA GPU (the nvidia driver is not loaded)' });
  gpu.stop();
  const withDriver = new GpuSensors({ sysRoot: tree(t, { 'module/nvidia': null }), procRoot: sys, nvidiaSmi: null });
  withDriver.start(1000);
  assert.deepEqual(withDriver.read(), { absent: true, reason: 'the NVIDIA driver is loaded but nvidia-smi is not installed (not on PATH)' });
});

test('with the NVIDIA driver loaded, one looping nvidia-smi feeds the GPU readings (fixture nvidia-smi)', async (t) => {
  const sys = tree(t, { 'module/nvidia': null });
  // Stands in for nvidia-smi --loop-ms: prints a line per GPU on its own rhythm until killed.
  const smi = join(sys, 'nvidia-smi');
  const argsFile = join(sys, 'args');
  writeFileSync(smi, `#!/bin/sh\necho "$@" > ${argsFile}\nwhile true; do echo "0, NVIDIA GB10, 37, 41.52, 48, 3100, [N/A]"; sleep 0.05; done\n`, { mode: 0o755 });
  const gpu = new GpuSensors({ sysRoot: sys, procRoot: sys, nvidiaSmi: smi });
  t.after(() => gpu.stop());
  gpu.start(1000);
  let r = gpu.read();
  for (let i = 0; i < 100 && isAbsent(r); i++) {
    await new Promise((res) => setTimeout(res, 20));
    r = gpu.read();
  }
  assert.deepEqual(r, {
    name: 'NVIDIA GB10',
    utilPct: { value: 37, unit: '%', source: 'nvidia-smi:0:utilization.gpu' },
    power: { value: 41.52, unit: 'W', source: 'nvidia-smi:0:power.draw' },
    temp: { value: 48, unit: 'C', source: 'nvidia-smi:0:temperature.gpu' },
    memUsed: { value: 3100 * 1024 * 1024, unit: 'B', source: 'nvidia-smi:0:memory.used' },
    memTotal: { absent: true, reason: 'nvidia-smi does not report memory total (unified memory) for GPU 0' },
  });
  assert.match(readFileSync(argsFile, 'utf8'), /--loop-ms=1000/);
});

// ---- Sampler ----

function walkReadings(sample: TelemetrySample): Reading[] {
  const out: Reading[] = [];
  const visit = (v: unknown) => {
    if (v && typeof v === 'object') {
      if ('unit' in v && 'value' in v) out.push(v as Reading);
      else for (const x of Object.values(v)) visit(x);
    }
  };
  visit(sample);
  return out;
}

test('the Sampler over fixture trees: exact readings, deltas between ticks, and its own cost', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-data-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const { proc, next } = procFixture(t, dataDir);
  const sys = tree(t, { ...SENSORS, ...RAPL });
  let now = 1_000_000;
  const sampler = new Sampler({ sysRoot: sys, procRoot: proc, dataDir, profile: () => deviceProfile('generic'), intervalMs: () => 1000, now: () => now, primeMs: 0 });
  t.after(() => sampler.stop());
  const first = await sampler.sampleOnce();
  // Primed and sampled at the same instant on an unchanged tree: rates over zero time are not invented.
  assert.equal(isAbsent(first.disk), true);
  assert.deepEqual(first.cpu.loadPct, { value: 40, unit: '%', source: `proc:${join(proc, 'stat')} (since boot)` });

  next();
  write(sys, { 'class/powercap/intel-rapl:0/energy_uj': 12_000_000, 'class/powercap/intel-rapl:0:0/energy_uj': 9_000_000 });
  now += 2000;
  const s = await sampler.sampleOnce();
  assert.equal(s.at, now);
  assert.deepEqual(s.cpu.perCorePct, [75, 0]);
  assert.equal(s.cpu.loadPct.value, 37.5);
  assert.deepEqual(s.cpu.freqMhz, { absent: true, reason: `no CPU frequency readings (no cpufreq under ${sys}/devices/system/cpu; a virtual machine exposes none)` });
  assert.equal(s.temperatures.length, 7);
  assert.equal(s.fans.length, 2);
  assert.deepEqual(s.power.parts.map((p) => [p.id, p.reading.value]), [['hwmon.amdgpu.power1', 23.45], ['rapl.package-0', 7.5], ['rapl.package-0.core', 4]]);
  // Parts are measured but nothing measures the box: the estimate, labelled, at 37.5 % load: 8 + 0.375 × 27.
  assert.deepEqual(s.power.system, { value: 18.1, unit: 'W', source: 'estimate:generic', estimated: true });
  assert.match(s.absent.find((a) => a.what === 'power')!.reason, /^no whole-system power sensor on this machine; measured parts only: .*; shown: an estimate from CPU load and the Generic small computer profile \(8–35 W\)$/);
  assert.ok(!isAbsent(s.disk));
  assert.equal(s.disk.readBps.value, 512_000);
  assert.ok(!isAbsent(s.net));
  assert.equal(s.net.rxBps.value, 250_000);
  assert.deepEqual(s.gpu, { absent: true, reason: 'no NVIDIA GPU (the nvidia driver is not loaded)' });
  assert.equal(typeof s.costMs, 'number');
  assert.ok(s.costMs >= 0 && s.costMs < 50, `costMs ${s.costMs}`);
  assert.equal(sampler.latest(), s);
  for (const r of walkReadings(s)) assert.ok(Number.isFinite(r.value) && r.source.length > 0, JSON.stringify(r));
});

test('the Sampler over an empty sysfs tree: absent everywhere, power absent (not 0 W) unless the estimate is asked for', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-data-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const { proc } = procFixture(t, dataDir);
  const sys = tree(t, {});
  const honest = new Sampler({ sysRoot: sys, procRoot: proc, dataDir, profile: () => deviceProfile('generic'), intervalMs: () => 1000, estimatePower: false, primeMs: 0 });
  t.after(() => honest.stop());
  const s = await honest.sampleOnce();
  assert.deepEqual(s.power, { system: { absent: true, reason: 'no power sensor on this machine (a virtual machine exposes none)' }, parts: [] });
  assert.deepEqual(s.temperatures, []);
  assert.deepEqual(s.fans, []);
  assert.equal(isAbsent(s.battery), true);
  assert.equal(isAbsent(s.gpu), true);
  assert.equal(isAbsent(s.cpu.freqMhz), true);
  assert.deepEqual(s.absent.map((a) => a.what), ['temperatures', 'fans', 'power', 'RAPL power', 'battery', 'cpu frequency', 'gpu']);
  for (const r of walkReadings(s)) assert.notEqual(r.unit, 'W', `no watt reading may appear: ${JSON.stringify(r)}`);

  const estimating = new Sampler({ sysRoot: sys, procRoot: proc, dataDir, profile: () => deviceProfile('rtx-spark'), intervalMs: () => 1000, primeMs: 0 });
  t.after(() => estimating.stop());
  const e = await estimating.sampleOnce();
  assert.deepEqual(e.power.system, { value: 114, unit: 'W', source: 'estimate:rtx-spark', estimated: true }); // 30 + 0.4 × 210
});

test('started, the Sampler emits a sample per interval on its timer and stops cleanly', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-data-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const { proc } = procFixture(t, dataDir);
  const sampler = new Sampler({ sysRoot: tree(t, SENSORS), procRoot: proc, dataDir, profile: () => deviceProfile('generic'), intervalMs: () => 30 });
  const seen: TelemetrySample[] = [];
  sampler.on('sample', (s: TelemetrySample) => seen.push(s));
  sampler.start();
  await new Promise((res) => setTimeout(res, 200));
  sampler.stop();
  const count = seen.length;
  assert.ok(count >= 3 && count <= 8, `samples in 200 ms at 30 ms: ${count}`);
  assert.equal(sampler.latest(), seen.at(-1));
  // Every emitted sample had a prime before it: disk and network rates are real (zero on a still fixture), not "measuring".
  assert.ok(seen.every((s) => !isAbsent(s.disk) && !isAbsent(s.net)));
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(seen.length, count);
});
