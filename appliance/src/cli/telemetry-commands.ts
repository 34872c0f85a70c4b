import type { TelemetryNow } from '../telemetry/routes.js';
import type { EnergyPeriod, EnergyReport } from '../telemetry/energy.js';
import { isAbsent, type Maybe, type Reading } from '../telemetry/types.js';
import { callDaemon } from './control-client.js';

export interface TelemetryCommandContext {
  dataDir: string;
  print: (value: unknown, human: string) => void;
}

const UNIT_TEXT: Record<string, string> = { C: ' °C', W: ' W', rpm: ' rpm', '%': ' %', MHz: ' MHz', A: ' A', V: ' V', J: ' J' };

export function formatBytes(n: number, perSecond = false): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}${perSecond ? '/s' : ''}`;
}

function value(r: Reading): string {
  if (r.unit === 'B') return formatBytes(r.value);
  if (r.unit === 'B/s') return formatBytes(r.value, true);
  return `${Number.isInteger(r.value) ? r.value : r.value.toFixed(1)}${UNIT_TEXT[r.unit] ?? ` ${r.unit}`}${r.estimated ? ' (estimated)' : ''}`;
}

const maybe = (m: Maybe<Reading>): string => (isAbsent(m) ? `absent: ${m.reason}` : value(m));

/** One status-page line: what, value, where it came from. */
const line = (what: string, text: string, source = '') => `${what.padEnd(24)} ${text.padEnd(36)} ${source}`.trimEnd();

function energyLine(name: string, p: EnergyPeriod): string {
  if (p.kwh === null) return line(name, 'no power readings');
  const offPeak = p.offPeakKwh !== null ? `, ${p.offPeakKwh.toFixed(3)} kWh off-peak` : '';
  const coverage = p.coverage < 0.99 ? `, readings for ${Math.round(p.coverage * 100)} % of the time` : '';
  return line(name, `${p.kwh.toFixed(3)} kWh  ${p.cost!.toFixed(2)} ${p.currency}`, `${p.estimated ? 'estimated' : 'measured'}${offPeak}${coverage}`);
}

/** `hearth telemetry`: the current readings with their sources, like a router's status page. */
export async function telemetryCommand(c: TelemetryCommandContext): Promise<number> {
  const s = await callDaemon<TelemetryNow>(c.dataDir, 'GET', '/telemetry');
  const out: string[] = [`Readings at ${new Date(s.at).toLocaleString()} (this sample cost ${s.costMs.toFixed(2)} ms of CPU)`, ''];
  out.push(line('CPU load', `${value(s.cpu.loadPct)} over ${s.cpu.perCorePct.length} cores`, s.cpu.loadPct.source));
  out.push(line('CPU clock', maybe(s.cpu.freqMhz), isAbsent(s.cpu.freqMhz) ? '' : s.cpu.freqMhz.source));
  out.push(line('Memory', `${value(s.memory.used)} of ${value(s.memory.total)}`, s.memory.used.source));
  if (isAbsent(s.disk)) out.push(line('Disk', `absent: ${s.disk.reason}`));
  else {
    out.push(line('Disk', `${value(s.disk.used)} of ${value(s.disk.total)}`, s.disk.used.source));
    out.push(line('Disk I/O', `read ${value(s.disk.readBps)}, write ${value(s.disk.writeBps)}`, s.disk.readBps.source));
  }
  out.push(isAbsent(s.net) ? line('Network', `absent: ${s.net.reason}`) : line('Network', `in ${value(s.net.rxBps)}, out ${value(s.net.txBps)}`, s.net.rxBps.source));
  out.push(line('Power', maybe(s.power.system), isAbsent(s.power.system) ? '' : s.power.system.source));
  for (const p of s.power.parts) out.push(line(`  ${p.label}`, value(p.reading), p.reading.source));
  if (isAbsent(s.gpu)) out.push(line('GPU', `absent: ${s.gpu.reason}`));
  else {
    const g = s.gpu;
    out.push(line('GPU', g.name));
    for (const [what, r] of [['load', g.utilPct], ['power', g.power], ['temperature', g.temp], ['memory used', g.memUsed]] as const) {
      out.push(line(`  ${what}`, maybe(r), isAbsent(r) ? '' : r.source));
    }
  }
  out.push(isAbsent(s.battery) ? line('Battery', `absent: ${s.battery.reason}`) : line('Battery', `${value(s.battery.percent)}${s.battery.charging ? ', charging' : ''}`, s.battery.percent.source));
  out.push('', s.temperatures.length ? 'Temperatures' : 'Temperatures: none found');
  for (const t of [...s.temperatures].sort((a, b) => b.reading.value - a.reading.value)) out.push(line(`  ${t.label} (${t.kind})`, value(t.reading), t.reading.source));
  if (s.fans.length) out.push('', 'Fans');
  for (const f of s.fans) out.push(line(`  ${f.label}`, value(f.reading), f.reading.source));
  out.push('', 'Energy');
  out.push(energyLine('  today', s.energy.today), energyLine('  this week', s.energy.week), energyLine('  this month', s.energy.month));
  if (s.absent.length) {
    out.push('', 'Not on this machine');
    for (const a of s.absent) out.push(`  ${a.what}: ${a.reason}`);
  }
  c.print(s, out.join('\n'));
  return 0;
}

const kj = (j: number) => (j >= 3.6e6 ? `${(j / 3.6e6).toFixed(3)} kWh` : `${(j / 1000).toFixed(1)} kJ`);

/** `hearth energy`: today, this week and month, and per agent. */
export async function energyCommand(c: TelemetryCommandContext): Promise<number> {
  const r = await callDaemon<EnergyReport>(c.dataDir, 'GET', '/energy');
  const out = [energyLine('Today', r.today), energyLine('This week', r.week), energyLine('This month', r.month), ''];
  if (r.agents.length) {
    out.push(`${'Agent'.padEnd(24)} ${'today'.padStart(12)} ${'this month'.padStart(12)}  runs`);
    for (const a of r.agents) out.push(`${a.name.padEnd(24)} ${kj(a.todayJ).padStart(12)} ${kj(a.monthJ).padStart(12)}  ${a.runs}`);
  } else out.push('No agent run has an energy figure this month.');
  if (r.joulesPer1kTokens) {
    const j = r.joulesPer1kTokens;
    out.push('', `${j.model}: ${j.value.toFixed(1)} J per 1,000 generated tokens (${j.runs} run${j.runs === 1 ? '' : 's'}, last 30 days${j.estimated ? ', estimated power' : ''})`);
  }
  c.print(r, out.join('\n'));
  return 0;
}
