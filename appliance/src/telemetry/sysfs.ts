import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { listDir, readError, readNumber, readTrimmed } from './read-small.js';
import type { Absent, Maybe, Reading, TempKind } from './types.js';

export interface TemperatureReading { id: string; label: string; kind: TempKind; reading: Reading }
export interface LabelledReading { id: string; label: string; reading: Reading }
export interface BatteryReading { percent: Reading; charging: boolean; power: Maybe<Reading> }

/** What sysfs gives in one tick: temperatures, fans, power and the battery, each with its source, and what was not found. */
export interface SysfsReadings {
  temperatures: TemperatureReading[];
  fans: LabelledReading[];
  /** Measured power of parts (RAPL zones, hwmon power sensors of a chip). */
  powerParts: LabelledReading[];
  /** A whole-system power measurement (an input rail or power meter, RAPL psys, a battery while it powers the box), or why there is none. */
  systemPower: Maybe<Reading>;
  battery: Maybe<BatteryReading>;
  absent: { what: string; reason: string }[];
}

interface ValueProbe {
  id: string;
  label: string;
  path: string;
  /** Multiplier from the file's unit to ours (millidegrees -> °C is 0.001). */
  scale: number;
  source: string;
}
interface TempProbe extends ValueProbe { kind: TempKind }
interface PowerProbe {
  id: string;
  label: string;
  /** µW file, or a voltage (mV) and current (mA) pair of the same rail. */
  paths: [string] | [string, string];
  source: string;
  system: boolean;
}
interface RaplZone { id: string; label: string; energyPath: string; maxRange: number | null; system: boolean }
interface BatteryProbe {
  dir: string;
  name: string;
  power: { path: string } | { current: string; voltage: string } | null;
}

interface Discovery {
  temps: TempProbe[];
  fans: ValueProbe[];
  power: PowerProbe[];
  rapl: RaplZone[];
  /** Why RAPL gives nothing although zones exist (root-only counters), else null. */
  raplBlocked: string | null;
  batteries: BatteryProbe[];
  /** Whether the classes exist at all, for the reasons. */
  hasThermal: boolean;
  hasHwmon: boolean;
  hasPowercap: boolean;
}

const TEMP_MIN_C = -40;
const TEMP_MAX_C = 200;

// Labels that name a whole-board input rail or a power meter rather than one chip (ina3221 "VDD_IN" on Jetson-class boards, acpi power_meter).
const SYSTEM_POWER_LABEL = /^(vdd_in|vin|sys|system|system power|total|total power|psu|platform|board|input power)$/i;
const SYSTEM_POWER_CHIP = /^(power_meter|acpi_power_meter|psu|ups)/i;

/** Which kind of temperature a sensor reports, from its chip (or zone type) and label. */
export function classifyTemp(chip: string, label: string): TempKind {
  const c = chip.toLowerCase();
  const l = label.toLowerCase();
  if (/^core \d+/.test(l)) return 'cpu-core';
  if (/^package id/.test(l) || c === 'x86_pkg_temp') return 'cpu-package';
  if (c === 'coretemp') return 'cpu-package';
  if (c === 'k10temp' || c === 'zenpower') return /^tccd/.test(l) ? 'cpu-core' : 'cpu-package';
  if (c === 'nvme' || c.startsWith('nvme')) return 'nvme';
  if (c === 'amdgpu' || c === 'nouveau' || c === 'radeon' || c.includes('gpu')) return 'gpu';
  if (c === 'acpitz' || c === 'chassis' || /^(systin|system|chassis|ambient|board|motherboard)/.test(l)) return 'chassis';
  if (c.includes('cpu') || c.includes('soc')) return 'cpu-package';
  return 'other';
}

/** Energy counter delta in µJ with the counter wrapping at maxRange; null when it cannot be known (a reset without a range). */
export function energyDelta(prevUj: number, curUj: number, maxRangeUj: number | null): number | null {
  if (curUj >= prevUj) return curUj - prevUj;
  if (maxRangeUj === null || maxRangeUj <= 0 || prevUj > maxRangeUj) return null;
  return maxRangeUj - prevUj + curUj;
}

/**
 * The sysfs sensors of one machine (or a fixture tree): thermal zones, hwmon, powercap/RAPL and power_supply.
 * Paths are found once and again every `rediscoverMs` or after a read fails; a tick only reads small files.
 */
export class SysfsSensors {
  private found: Discovery | null = null;
  private foundAt = 0;
  private stale = false;
  private lastEnergy = new Map<string, { uj: number; at: number }>();

  constructor(
    readonly root = '/sys',
    private readonly options: { rediscoverMs?: number; virtualMachine?: boolean } = {},
  ) {}

  /** Force a fresh look for sensors on the next read. */
  rediscover(): void {
    this.stale = true;
  }

  read(at: number): SysfsReadings {
    const since = at - this.foundAt;
    // After a failed read, look again, but not more than every 5 s: a sensor that flaps must not make every tick a discovery.
    if (this.found === null || (this.stale && since >= 5000) || since >= (this.options.rediscoverMs ?? 60_000) || since < 0) {
      this.found = this.discover();
      this.foundAt = at;
      this.stale = false;
    }
    const d = this.found;
    const out: SysfsReadings = { temperatures: [], fans: [], powerParts: [], systemPower: absent(''), battery: absent(''), absent: [] };

    for (const p of d.temps) {
      const raw = readNumber(p.path);
      if (raw === null) { this.stale = true; continue; }
      const c = round(raw * p.scale, 1);
      if (c < TEMP_MIN_C || c > TEMP_MAX_C) continue;
      out.temperatures.push({ id: p.id, label: p.label, kind: p.kind, reading: { value: c, unit: 'C', source: p.source } });
    }
    for (const p of d.fans) {
      const raw = readNumber(p.path);
      if (raw === null) { this.stale = true; continue; }
      out.fans.push({ id: p.id, label: p.label, reading: { value: raw, unit: 'rpm', source: p.source } });
    }

    const systemCandidates: { reading: Reading; label: string }[] = [];
    for (const p of d.power) {
      const watts = readPower(p.paths);
      if (watts === null) { this.stale = true; continue; }
      const reading: Reading = { value: round(watts, 2), unit: 'W', source: p.source };
      if (p.system) systemCandidates.push({ reading, label: p.label });
      else out.powerParts.push({ id: p.id, label: p.label, reading });
    }

    const measuring: string[] = [];
    for (const z of d.rapl) {
      const uj = readNumber(z.energyPath);
      if (uj === null) { this.stale = true; this.lastEnergy.delete(z.id); continue; }
      const prev = this.lastEnergy.get(z.id);
      this.lastEnergy.set(z.id, { uj, at });
      const delta = prev ? energyDelta(prev.uj, uj, z.maxRange) : null;
      if (!prev || delta === null || at <= prev.at) {
        measuring.push(z.label);
        continue;
      }
      const reading: Reading = { value: round(delta / 1e6 / ((at - prev.at) / 1000), 2), unit: 'W', source: `rapl:${z.id.slice('rapl.'.length).replace(/\./g, '/')}` };
      if (z.system) systemCandidates.push({ reading, label: z.label });
      else out.powerParts.push({ id: z.id, label: z.label, reading });
    }
    if (measuring.length > 0) out.absent.push({ what: 'RAPL power', reason: `measuring: ${measuring.join(', ')} need two samples` });

    out.battery = this.readBattery(d, systemCandidates, out.absent);

    out.systemPower = systemCandidates[0]?.reading ?? absent(this.whyNoSystemPower(d, out.powerParts, measuring));
    this.describeAbsences(d, out);
    return out;
  }

  private readBattery(d: Discovery, systemCandidates: { reading: Reading; label: string }[], notes: SysfsReadings['absent']): Maybe<BatteryReading> {
    if (d.batteries.length === 0) return absent('no battery or UPS on this machine');
    for (const b of d.batteries) {
      const capacity = readNumber(join(b.dir, 'capacity'));
      if (capacity === null) { this.stale = true; continue; }
      const status = readTrimmed(join(b.dir, 'status')) ?? 'Unknown';
      let power: Maybe<Reading> = absent(`${b.name} reports no power draw`);
      if (b.power) {
        const watts = 'path' in b.power ? scaled(readNumber(b.power.path), 1e-6) : product(readNumber(b.power.current), readNumber(b.power.voltage), 1e-12);
        const source = 'path' in b.power ? `power_supply:${b.power.path}` : `power_supply:${b.power.current}×voltage_now`;
        if (watts !== null) power = { value: round(Math.abs(watts), 2), unit: 'W', source };
      }
      // On battery the battery feeds the whole box, so its draw is the system's.
      if (status === 'Discharging' && !('absent' in power)) systemCandidates.push({ reading: power, label: b.name });
      return { percent: { value: capacity, unit: '%', source: `power_supply:${join(b.dir, 'capacity')}` }, charging: status === 'Charging', power };
    }
    notes.push({ what: 'battery', reason: 'battery present but its capacity cannot be read' });
    return absent('battery present but its capacity cannot be read');
  }

  private whyNoSystemPower(d: Discovery, parts: LabelledReading[], measuring: string[]): string {
    const vm = this.options.virtualMachine ? ' (a virtual machine exposes none)' : '';
    if (d.rapl.some((z) => z.system) && measuring.length > 0) return 'measuring: the platform (psys) energy counter needs two samples';
    if (parts.length > 0) return `no whole-system power sensor on this machine; measured parts only: ${parts.map((p) => p.label).join(', ')}`;
    if (d.raplBlocked) return `no power sensor readable on this machine: ${d.raplBlocked}`;
    if (measuring.length > 0) return `no whole-system power sensor on this machine; measuring parts: ${measuring.join(', ')}`;
    return `no power sensor on this machine${vm}`;
  }

  private describeAbsences(d: Discovery, out: SysfsReadings): void {
    const vm = this.options.virtualMachine ? '; a virtual machine exposes none' : '';
    if (out.temperatures.length === 0) {
      const where = !d.hasThermal && !d.hasHwmon ? `${this.root}/class/thermal and ${this.root}/class/hwmon are empty or missing` : 'no thermal zone or hwmon temperature sensor gives a reading';
      out.absent.push({ what: 'temperatures', reason: `no temperature sensor on this machine (${where}${vm})` });
    }
    if (out.fans.length === 0) out.absent.push({ what: 'fans', reason: `no fan sensor on this machine (no hwmon fan*_input${vm})` });
    if ('absent' in out.systemPower) out.absent.push({ what: 'power', reason: out.systemPower.reason });
    if (d.raplBlocked) out.absent.push({ what: 'RAPL power', reason: d.raplBlocked });
    else if (d.rapl.length === 0) {
      const where = d.hasPowercap ? 'no powercap zone has an energy_uj counter' : `${this.root}/class/powercap missing`;
      out.absent.push({ what: 'RAPL power', reason: `no RAPL energy counters on this machine (${where}${vm})` });
    }
    if ('absent' in out.battery && !out.absent.some((a) => a.what === 'battery')) out.absent.push({ what: 'battery', reason: out.battery.reason });
  }

  private discover(): Discovery {
    const d: Discovery = { temps: [], fans: [], power: [], rapl: [], raplBlocked: null, batteries: [], hasThermal: false, hasHwmon: false, hasPowercap: false };
    this.discoverThermal(d);
    this.discoverHwmon(d);
    this.discoverPowercap(d);
    this.discoverPowerSupply(d);
    return d;
  }

  private discoverThermal(d: Discovery): void {
    const base = join(this.root, 'class/thermal');
    const zones = listDir(base).filter((n) => n.startsWith('thermal_zone'));
    d.hasThermal = zones.length > 0;
    const seen = new Map<string, number>();
    for (const zone of zones) {
      const dir = join(base, zone);
      const type = readTrimmed(join(dir, 'type')) ?? zone;
      const path = join(dir, 'temp');
      const raw = readNumber(path);
      if (raw === null || raw / 1000 < TEMP_MIN_C || raw / 1000 > TEMP_MAX_C) continue; // a zone that does not answer now (e.g. a radio that is off)
      d.temps.push({ id: uniqueId(`thermal.${slug(type)}`, seen), label: type, kind: classifyTemp(type, ''), path, scale: 0.001, source: `thermal:${path}` });
    }
  }

  private discoverHwmon(d: Discovery): void {
    const base = join(this.root, 'class/hwmon');
    const chips = listDir(base).filter((n) => n.startsWith('hwmon'));
    d.hasHwmon = chips.length > 0;
    // Stable ids across boots: hwmonN numbering is not, so order same-named chips by their device path.
    const withNames = chips.map((n) => {
      const dir = join(base, n);
      let attrDir = dir;
      let name = readTrimmed(join(dir, 'name'));
      if (name === null && readTrimmed(join(dir, 'device/name')) !== null) { attrDir = join(dir, 'device'); name = readTrimmed(join(attrDir, 'name')); }
      return { dir, attrDir, name: name ?? n, order: devicePath(dir) };
    }).sort((a, b) => a.name.localeCompare(b.name) || a.order.localeCompare(b.order));
    const seenChip = new Map<string, number>();
    for (const chip of withNames) {
      const chipId = uniqueId(`hwmon.${slug(chip.name)}`, seenChip);
      const files = listDir(chip.attrDir);
      const label = (attr: string) => readTrimmed(join(chip.attrDir, `${attr}_label`));
      for (const f of files) {
        let m = /^temp(\d+)_input$/.exec(f);
        if (m) {
          const attr = `temp${m[1]}`;
          const path = join(chip.attrDir, f);
          const raw = readNumber(path);
          if (raw === null || raw / 1000 < TEMP_MIN_C || raw / 1000 > TEMP_MAX_C) continue;
          const l = label(attr);
          d.temps.push({ id: `${chipId}.${attr}`, label: l ? `${chip.name} ${l}` : `${chip.name} ${attr}`, kind: classifyTemp(chip.name, l ?? ''), path, scale: 0.001, source: `hwmon:${path}` });
          continue;
        }
        m = /^fan(\d+)_input$/.exec(f);
        if (m) {
          const attr = `fan${m[1]}`;
          const path = join(chip.attrDir, f);
          if (readNumber(path) === null) continue;
          const l = label(attr);
          d.fans.push({ id: `${chipId}.${attr}`, label: l ? `${chip.name} ${l}` : `${chip.name} ${attr}`, path, scale: 1, source: `hwmon:${path}` });
          continue;
        }
        m = /^power(\d+)_(input|average)$/.exec(f);
        if (m) {
          const attr = `power${m[1]}`;
          // power*_input is instantaneous; take power*_average only where there is no input.
          if (m[2] === 'average' && files.includes(`${attr}_input`)) continue;
          const path = join(chip.attrDir, f);
          if (readNumber(path) === null) continue;
          const l = label(attr);
          d.power.push({
            id: `${chipId}.${attr}`,
            label: l ? `${chip.name} ${l}` : `${chip.name} ${attr}`,
            paths: [path],
            source: `hwmon:${path}`,
            system: SYSTEM_POWER_CHIP.test(chip.name) || (l !== null && SYSTEM_POWER_LABEL.test(l)),
          });
        }
      }
      // Rails with a voltage and a current under the same label (ina3221 and similar) but no power file: P = V × I.
      const rails = new Map<string, { v?: string; i?: string; vi?: string }>();
      for (const f of files) {
        const m = /^(in|curr)(\d+)_input$/.exec(f);
        if (!m) continue;
        const l = label(`${m[1]}${m[2]}`);
        if (!l) continue;
        const r = rails.get(l) ?? {};
        if (m[1] === 'in') r.v = join(chip.attrDir, f);
        else { r.i = join(chip.attrDir, f); r.vi = `curr${m[2]}`; }
        rails.set(l, r);
      }
      for (const [l, r] of rails) {
        if (!r.v || !r.i) continue;
        if (d.power.some((p) => p.label === `${chip.name} ${l}`)) continue;
        if (product(readNumber(r.v), readNumber(r.i), 1e-6) === null) continue;
        d.power.push({
          id: `${chipId}.${slug(l)}`,
          label: `${chip.name} ${l}`,
          paths: [r.v, r.i],
          source: `hwmon:${r.v}×${r.vi}_input`,
          system: SYSTEM_POWER_LABEL.test(l),
        });
      }
    }
  }

  private discoverPowercap(d: Discovery): void {
    const base = join(this.root, 'class/powercap');
    const zones = listDir(base).filter((n) => n.includes(':'));
    d.hasPowercap = zones.length > 0;
    const names = new Map<string, string>();
    for (const z of zones) names.set(z, readTrimmed(join(base, z, 'name')) ?? z);
    const msrNames = new Set(zones.filter((z) => !z.includes('-mmio')).map((z) => names.get(z)));
    const blocked: string[] = [];
    for (const z of zones) {
      const name = names.get(z) ?? z;
      // intel-rapl-mmio zones repeat a package domain that the MSR zones already count.
      if (z.includes('-mmio') && msrNames.has(name)) continue;
      const energyPath = join(base, z, 'energy_uj');
      const why = readError(energyPath);
      if (why === 'missing') continue;
      if (why !== null) { blocked.push(`${energyPath}: ${why}`); continue; }
      const parts = z.split(':');
      const parent = parts.length > 2 ? names.get(parts.slice(0, -1).join(':')) : undefined;
      const id = parent ? `rapl.${slug(parent)}.${slug(name)}` : `rapl.${slug(name)}`;
      d.rapl.push({ id, label: raplLabel(name, parent), energyPath, maxRange: readNumber(join(base, z, 'max_energy_range_uj')), system: name === 'psys' });
    }
    if (blocked.length > 0 && d.rapl.length === 0) {
      d.raplBlocked = `RAPL energy counters exist but only root can read them (${blocked[0]}${blocked.length > 1 ? ` and ${blocked.length - 1} more` : ''})`;
    }
  }

  private discoverPowerSupply(d: Discovery): void {
    const base = join(this.root, 'class/power_supply');
    for (const n of listDir(base)) {
      const dir = join(base, n);
      const type = readTrimmed(join(dir, 'type'));
      if (type !== 'Battery' && type !== 'UPS') continue;
      // A wireless mouse's battery is scope "Device"; only the box's own supply counts.
      if (readTrimmed(join(dir, 'scope')) === 'Device') continue;
      let power: BatteryProbe['power'] = null;
      if (readNumber(join(dir, 'power_now')) !== null) power = { path: join(dir, 'power_now') };
      else if (readNumber(join(dir, 'current_now')) !== null && readNumber(join(dir, 'voltage_now')) !== null) power = { current: join(dir, 'current_now'), voltage: join(dir, 'voltage_now') };
      d.batteries.push({ dir, name: n, power });
    }
  }
}

/** One look at the sensors under `root` (RAPL power needs two reads, so it shows as measuring). */
export function readSysfs(root = '/sys', at = Date.now()): SysfsReadings {
  return new SysfsSensors(root).read(at);
}

function readPower(paths: PowerProbe['paths']): number | null {
  if (paths.length === 1) return scaled(readNumber(paths[0]), 1e-6);
  return product(readNumber(paths[0]), readNumber(paths[1]), 1e-6);
}

function raplLabel(name: string, parent: string | undefined): string {
  if (name === 'psys') return 'Platform (RAPL psys)';
  const pkg = /^package-(\d+)$/.exec(name);
  if (pkg) return `CPU package ${pkg[1]}`;
  const what = name === 'core' ? 'CPU cores' : name === 'uncore' ? 'CPU uncore (integrated GPU)' : name === 'dram' ? 'Memory (DRAM)' : name;
  return parent ? `${what} (${parent})` : what;
}

function devicePath(dir: string): string {
  try {
    return realpathSync(join(dir, 'device'));
  } catch {
    return dir;
  }
}

function uniqueId(id: string, seen: Map<string, number>): string {
  const n = (seen.get(id) ?? 0) + 1;
  seen.set(id, n);
  return n === 1 ? id : `${id}-${n}`;
}

function slug(s: string): string {
  return s.trim().toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'unnamed';
}

function scaled(n: number | null, k: number): number | null {
  return n === null ? null : n * k;
}

function product(a: number | null, b: number | null, k: number): number | null {
  return a === null || b === null ? null : a * b * k;
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function absent(reason: string): Absent {
  return { absent: true, reason };
}
