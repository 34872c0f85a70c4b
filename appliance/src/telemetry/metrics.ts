import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { AuthState } from '../http/middleware.js';
import { Problem } from '../http/problem.js';
import { VERSION } from '../version.js';
import { isAbsent, type Maybe, type Reading, type TelemetrySample } from './types.js';

/** What /metrics reports besides the latest sample. */
export interface MetricsInput {
  sample: TelemetrySample | null;
  /** All-time joules (a counter), measured and estimated apart. */
  energy: { measured: number; estimated: number };
  agentEnergy: { agent: string; joules: number }[];
  /** Jobs by state (queued, running, done, failed, dead). */
  jobs: Record<string, number> | null;
}

export interface MetricsDeps {
  latest(): TelemetrySample | null;
  energy: { totalJoules(): { measured: number; estimated: number }; agentTotals(): { agent: string; joules: number }[] };
  jobCounts?(): Record<string, number>;
  /** The name of a valid API token (ApiTokens.verify), or null. */
  verifyToken(token: string): string | null;
}

type Labels = Record<string, string>;
interface Family {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  samples: { labels: Labels; value: number }[];
}

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Prometheus text exposition format 0.0.4; families without a value (absent sensors) are left out, never reported as 0. */
export function renderMetrics(input: MetricsInput): string {
  const families: Family[] = [];
  const family = (name: string, type: Family['type'], help: string): Family['samples'] => {
    const f: Family = { name, type, help, samples: [] };
    families.push(f);
    return f.samples;
  };
  const reading = (samples: Family['samples'], r: Maybe<Reading> | undefined, factor = 1, labels: Labels = {}) => {
    if (r && !isAbsent(r) && Number.isFinite(r.value)) samples.push({ labels, value: r.value * factor });
  };

  family('hearth_build_info', 'gauge', 'Always 1; the version of hearthd in a label.').push({ labels: { version: VERSION }, value: 1 });
  const s = input.sample;
  if (s) {
    family('hearth_sample_timestamp_seconds', 'gauge', 'When the latest telemetry sample was taken (seconds since 1970).').push({ labels: {}, value: s.at / 1000 });
    family('hearth_sample_cost_seconds', 'gauge', 'CPU time hearthd spent taking the latest sample.').push({ labels: {}, value: s.costMs / 1000 });
    reading(family('hearth_cpu_load_ratio', 'gauge', 'CPU load over all cores (0 to 1).'), s.cpu.loadPct, 0.01);
    const cores = family('hearth_cpu_core_load_ratio', 'gauge', 'CPU load per core (0 to 1).');
    s.cpu.perCorePct.forEach((v, i) => Number.isFinite(v) && cores.push({ labels: { core: String(i) }, value: v / 100 }));
    reading(family('hearth_cpu_frequency_hertz', 'gauge', 'Current CPU clock frequency.'), s.cpu.freqMhz, 1e6);
    reading(family('hearth_memory_used_bytes', 'gauge', 'Memory in use (total minus available).'), s.memory.used);
    reading(family('hearth_memory_total_bytes', 'gauge', 'Memory installed.'), s.memory.total);
    const disk = isAbsent(s.disk) ? undefined : s.disk;
    reading(family('hearth_disk_used_bytes', 'gauge', 'Space used on the data directory’s file system.'), disk?.used);
    reading(family('hearth_disk_total_bytes', 'gauge', 'Size of the data directory’s file system.'), disk?.total);
    reading(family('hearth_disk_read_bytes_per_second', 'gauge', 'Disk read throughput of the data directory’s device.'), disk?.readBps);
    reading(family('hearth_disk_write_bytes_per_second', 'gauge', 'Disk write throughput of the data directory’s device.'), disk?.writeBps);
    const net = isAbsent(s.net) ? undefined : s.net;
    reading(family('hearth_network_receive_bytes_per_second', 'gauge', 'Bytes received per second on all non-loopback interfaces.'), net?.rxBps);
    reading(family('hearth_network_transmit_bytes_per_second', 'gauge', 'Bytes sent per second on all non-loopback interfaces.'), net?.txBps);
    const temps = family('hearth_temperature_celsius', 'gauge', 'Temperature by sensor.');
    for (const t of s.temperatures) reading(temps, t.reading, 1, { sensor: t.id, kind: t.kind, label: t.label });
    const fans = family('hearth_fan_rpm', 'gauge', 'Fan speed by fan (revolutions per minute).');
    for (const f of s.fans) reading(fans, f.reading, 1, { fan: f.id, label: f.label });
    const sys = s.power.system;
    if (!isAbsent(sys)) reading(family('hearth_power_watts', 'gauge', 'System power draw: measured, or estimated from load and the device profile (estimated="true").'), sys, 1, { estimated: String(sys.estimated === true), source: sys.source });
    const parts = family('hearth_power_part_watts', 'gauge', 'Power draw of a part that has its own sensor (CPU package, DRAM, ...).');
    for (const p of s.power.parts) reading(parts, p.reading, 1, { part: p.id, label: p.label });
    if (!isAbsent(s.gpu)) {
      const g = { gpu: s.gpu.name };
      reading(family('hearth_gpu_utilization_ratio', 'gauge', 'GPU utilisation (0 to 1).'), s.gpu.utilPct, 0.01, g);
      reading(family('hearth_gpu_power_watts', 'gauge', 'GPU power draw.'), s.gpu.power, 1, g);
      reading(family('hearth_gpu_temperature_celsius', 'gauge', 'GPU temperature.'), s.gpu.temp, 1, g);
      reading(family('hearth_gpu_memory_used_bytes', 'gauge', 'GPU memory in use.'), s.gpu.memUsed, 1, g);
      reading(family('hearth_gpu_memory_total_bytes', 'gauge', 'GPU memory installed.'), s.gpu.memTotal, 1, g);
    }
    if (!isAbsent(s.battery)) {
      reading(family('hearth_battery_charge_ratio', 'gauge', 'Battery or UPS charge (0 to 1).'), s.battery.percent, 0.01);
      family('hearth_battery_charging', 'gauge', '1 while the battery charges.').push({ labels: {}, value: s.battery.charging ? 1 : 0 });
      reading(family('hearth_battery_power_watts', 'gauge', 'Battery charge or discharge power.'), s.battery.power);
    }
    const absent = family('hearth_sensor_absent', 'gauge', 'Always 1: something looked for and not found on this machine, with the reason.');
    for (const a of s.absent) absent.push({ labels: { what: a.what, reason: a.reason }, value: 1 });
  }
  const energy = family('hearth_energy_joules_total', 'counter', 'System energy counted since the history began; estimated="true" for energy from estimated power.');
  energy.push({ labels: { estimated: 'false' }, value: input.energy.measured });
  energy.push({ labels: { estimated: 'true' }, value: input.energy.estimated });
  if (input.jobs) {
    const jobs = family('hearth_agent_jobs', 'gauge', 'Agent jobs in the queue by state.');
    for (const [state, n] of Object.entries(input.jobs)) jobs.push({ labels: { state }, value: n });
  }
  const agents = family('hearth_agent_energy_joules_total', 'counter', 'Energy attributed to each agent’s runs.');
  for (const a of input.agentEnergy) agents.push({ labels: { agent: a.agent }, value: a.joules });

  const lines: string[] = [];
  for (const f of families) {
    if (!f.samples.length) continue;
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const x of f.samples) {
      const labels = Object.entries(x.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      lines.push(`${f.name}${labels.length ? `{${labels.join(',')}}` : ''} ${formatValue(x.value)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function authorised(ctx: Context, deps: MetricsDeps): boolean {
  if ((ctx.state as AuthState).user) return true;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('Authorization'));
  return !!m && deps.verifyToken(m[1]!) !== null;
}

/** GET /metrics at the root: the owner's session, or `Authorization: Bearer <API token>` (what a Prometheus scrape config sends). */
export function metricsRouter(deps: MetricsDeps): Router {
  const r = new Router();
  r.get('/metrics', (ctx) => {
    if (!authorised(ctx, deps)) {
      throw new Problem(401, 'Not signed in', 'Send an API token (hearth token create prometheus) as Authorization: Bearer <token>, or sign in as the owner.', {}, { 'WWW-Authenticate': 'Bearer realm="Hearth"' });
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/plain; version=0.0.4; charset=utf-8';
    ctx.body = renderMetrics({ sample: deps.latest(), energy: deps.energy.totalJoules(), agentEnergy: deps.energy.agentTotals(), jobs: deps.jobCounts?.() ?? null });
  });
  return r;
}
