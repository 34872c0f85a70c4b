import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa, { type Context, type Next } from 'koa';
import { Router } from '@koa/router';
import { createLogger } from '../../appliance/src/log.js';
import { HearthDatabase } from '../../appliance/src/store/store.js';
import { ConfigStore } from '../../appliance/src/config/config-store.js';
import { ApiTokens } from '../../appliance/src/models/api/api-tokens.js';
import { problemResponses } from '../../appliance/src/http/problem.js';
import { ControlSocket } from '../../appliance/src/control/control-socket.js';
import { controlRoutes } from '../../appliance/src/control/routes.js';
import { RunLog } from '../../appliance/src/agents/run-log.js';
import { JobQueue } from '../../appliance/src/agents/job-queue.js';
import { TelemetryHistory } from '../../appliance/src/telemetry/history.js';
import { EnergyMeter } from '../../appliance/src/telemetry/energy.js';
import { telemetryRoutes, type TelemetryApiDeps } from '../../appliance/src/telemetry/routes.js';
import { metricsRouter } from '../../appliance/src/telemetry/metrics.js';
import { energyCommand, telemetryCommand } from '../../appliance/src/cli/telemetry-commands.js';
import type { TelemetrySample } from '../../appliance/src/telemetry/types.js';
import { HttpClient } from '../helpers/http-client.js';
import { makeSample, TYPICAL_TEMPS } from '../helpers/telemetry-history.js';

interface PromFamily {
  name: string;
  help: string;
  type: string;
  metrics: { value: string; labels?: Record<string, string> }[];
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => PromFamily[];

const log = createLogger('test', 'error');
const SESSION = 'owner-session-cookie';

/** The telemetry parts as the lead wires them: a feed of samples into history and energy, the routers on a real Koa server. */
async function setup(t: { after: (fn: () => Promise<void> | void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-telemetry-api-'));
  const store = new HearthDatabase(dir, log);
  store.open();
  const config = new ConfigStore(dir, log);
  await config.start();
  const tokens = new ApiTokens(config);
  const jobs = new JobQueue(store);
  const interval = 1000;
  const history = new TelemetryHistory({ store, intervalMs: () => interval });
  const energy = new EnergyMeter({
    store,
    intervalMs: () => interval,
    tariff: () => ({ currency: 'EUR', pricePerKwh: 0.3, offPeak: { start: '22:00', end: '06:00', pricePerKwh: 0.1 } }),
    agentName: (id) => (id === 'librarian' ? 'Librarian' : id),
    activeModel: () => 'tiny-model',
  });
  history.start();
  energy.start();
  const feed = new EventEmitter();
  let latest: TelemetrySample | null = null;
  /** The scripted sampler: one sample, recorded and sent to whoever listens. */
  const emit = (s: TelemetrySample) => {
    latest = s;
    history.add(s);
    energy.add(s);
    feed.emit('sample', s);
  };
  const deps: TelemetryApiDeps = {
    latest: () => latest,
    subscribe: (listener) => {
      feed.on('sample', listener);
      return () => feed.off('sample', listener);
    },
    history,
    energy,
  };

  const app = new Koa();
  app.silent = true;
  app.use(problemResponses(log));
  // hearthd's identify step: the owner's session cookie (Auth.sessionUser in the daemon).
  app.use(async (ctx: Context, next: Next) => {
    ctx.state.user = ctx.cookies.get('hearth_session') === SESSION ? 'owner' : null;
    await next();
  });
  const root = metricsRouter({ latest: deps.latest, energy, jobCounts: () => jobs.counts(), verifyToken: (token) => tokens.verify(token) });
  app.use(root.routes());
  const api = new Router({ prefix: '/api' });
  const tr = telemetryRoutes(deps);
  api.use(tr.routes(), tr.allowedMethods({ throw: true }));
  app.use(api.routes());
  const server: Server = createServer(app.callback());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const owner = new HttpClient(base);
  owner.cookies.set('hearth_session', SESSION);
  const stranger = new HttpClient(base);

  const control = new ControlSocket(join(dir, 'hearthd.sock'), controlRoutes({ telemetry: deps } as unknown as Parameters<typeof controlRoutes>[0]), log);
  await control.start();

  t.after(async () => {
    await control.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    history.stop();
    energy.stop();
    await config.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, store, base, owner, stranger, emit, feed, tokens, jobs, history, energy, interval };
}

/** A scripted run of samples every `interval` ms up to now: power 20-30 W, the hottest sensor moving. */
function script(emit: (s: TelemetrySample) => void, interval: number, count: number, extra: Parameters<typeof makeSample>[1] = {}) {
  const end = Date.now();
  for (let i = count - 1; i >= 0; i--) {
    const at = end - i * interval;
    emit(makeSample(at, { powerW: 20 + (i % 10), loadPct: 10 + (i % 50), temps: TYPICAL_TEMPS, gpuPowerW: 45, ...extra }));
  }
}

test('the telemetry API is the owner’s; /metrics takes the owner’s session or an API token', async (t) => {
  const { owner, stranger, tokens, emit, interval } = await setup(t);
  script(emit, interval, 5);
  for (const path of ['/api/telemetry/now', '/api/telemetry/history?metric=cpu.load.pct', '/api/telemetry/metrics', '/api/energy', '/metrics']) {
    const r = await stranger.get(path);
    assert.equal(r.status, 401, path);
    assert.equal(r.body?.status, 401, `${path} answers problem JSON`);
  }
  const noToken = await stranger.get('/metrics', { authorization: 'Bearer hth_not-a-token' });
  assert.equal(noToken.status, 401);
  assert.match(noToken.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.match(noToken.body.detail, /Authorization: Bearer/);
  const { token } = await tokens.create('prometheus');
  const withToken = await stranger.get('/metrics', { authorization: `Bearer ${token}` });
  assert.equal(withToken.status, 200);
  assert.equal(withToken.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal((await owner.get('/metrics')).status, 200);
  assert.equal((await owner.get('/api/telemetry/nothing')).status, 404);
});

test('now, history, metrics and energy answer from real samples; bad input is a 400 with a message', async (t) => {
  const { owner, emit, interval, store } = await setup(t);
  const early = await owner.get('/api/telemetry/now');
  assert.equal(early.status, 503);
  assert.match(early.body.detail, /first sample/);

  script(emit, interval, 50);
  const now = await owner.get('/api/telemetry/now');
  assert.equal(now.status, 200);
  assert.equal(now.body.power.system.unit, 'W');
  assert.equal(now.body.power.system.source, 'rapl:package-0');
  assert.deepEqual(now.body.battery, { absent: true, reason: 'no battery or UPS' });
  assert.ok(now.body.energy.today.kwh > 0);
  assert.equal(now.body.energy.today.estimated, false);
  assert.equal(now.body.energy.month.currency, 'EUR');

  const h = await owner.get('/api/telemetry/history?metric=power.system.w');
  assert.equal(h.status, 200);
  assert.equal(h.body.source, 'ring');
  assert.equal(h.body.unit, 'W');
  assert.equal(h.body.step, 1);
  assert.equal(h.body.points.length, 50, 'the last hour at full resolution: one point per sample');
  for (const p of h.body.points) assert.equal(p.length, 4);
  const perMinute = await owner.get(`/api/telemetry/history?metric=cpu.load.pct&from=${new Date(Date.now() - 3 * 3600_000).toISOString()}&step=1m`);
  assert.equal(perMinute.status, 200);
  assert.equal(perMinute.body.step, 60);
  assert.ok(perMinute.body.points.length >= 1);

  const bad: [string, RegExp][] = [
    ['/api/telemetry/history', /Name the metric.*cpu\.load\.pct/],
    ['/api/telemetry/history?metric=cpu.temp', /no metric "cpu\.temp"/],
    ['/api/telemetry/history?metric=cpu.load.pct&step=fast', /step must be "auto"/],
    ['/api/telemetry/history?metric=cpu.load.pct&from=yesterday', /from must be a time/],
    ['/api/telemetry/history?metric=cpu.load.pct&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', /from must be before to/],
    [`/api/telemetry/history?metric=cpu.load.pct&from=${Date.now() - 30 * 86_400_000}&step=1m`, /more than 20000 points/],
    ['/api/telemetry/history?metric=cpu.load.pct&from=0', /at most 20 years/],
  ];
  for (const [path, message] of bad) {
    const r = await owner.get(path);
    assert.equal(r.status, 400, path);
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    assert.match(r.body.detail, message, path);
  }

  const metrics = await owner.get('/api/telemetry/metrics');
  const names = metrics.body.metrics.map((m: { name: string }) => m.name);
  assert.ok(names.includes('temp.hwmon.nvme.temp1.c'));
  assert.ok(names.includes('gpu.power.w'));
  assert.deepEqual(metrics.body.metrics.find((m: { name: string }) => m.name === 'power.system.w'), { name: 'power.system.w', unit: 'W', label: 'System power' });

  const runs = new RunLog(store);
  const id = runs.start({ jobId: null, agent: 'librarian', trigger: 'folder', input: {}, model: 'tiny-model' });
  runs.finish(id, { outcome: 'done', model: 'tiny-model', usage: { calls: 1, promptTokens: 10, generatedTokens: 90, ttftMs: 1, modelMs: 1 } });
  store.db.prepare('UPDATE runs SET energy_j = 45 WHERE id = ?').run(id);
  const energy = await owner.get('/api/energy');
  assert.equal(energy.status, 200);
  for (const period of ['today', 'week', 'month']) assert.deepEqual(Object.keys(energy.body[period]).sort(), ['cost', 'coverage', 'currency', 'estimated', 'from', 'kwh', 'offPeakKwh']);
  assert.deepEqual(energy.body.agents, [{ agent: 'librarian', name: 'Librarian', todayJ: 45, monthJ: 45, runs: 1 }]);
  assert.deepEqual(energy.body.joulesPer1kTokens, { model: 'tiny-model', value: 500, runs: 1, estimated: false });
});

test('/metrics parses as Prometheus text: HELP and TYPE for every family, units in names, absent sensors left out', async (t) => {
  const { owner, emit, interval, jobs } = await setup(t);
  jobs.enqueue('librarian', 'folder', {}, 'k1');
  script(emit, interval, 20, {
    estimated: true,
    temps: [...TYPICAL_TEMPS!, { id: 'acpitz.0', label: 'ACPI "zone" \\ 0', kind: 'chassis', c: 38.5 }],
    disk: null,
  });
  const r = await owner.get('/metrics');
  assert.equal(r.status, 200);
  const text = r.text;
  const families = parsePrometheus(text);
  const byName = new Map(families.map((f) => [f.name, f]));
  // The parser is lenient: check what it would let through.
  for (const f of families) {
    assert.notEqual(f.type, 'UNTYPED', `${f.name} has a TYPE line`);
    assert.ok(f.help.length > 0, `${f.name} has a HELP line`);
    assert.match(f.name, /^hearth_[a-z_]+$/);
    if (f.type === 'COUNTER') assert.match(f.name, /_total$/);
    for (const m of f.metrics) assert.ok(!Number.isNaN(Number(m.value)), `${f.name} ${m.value}`);
  }
  const lines = text.trimEnd().split('\n');
  const declared = new Set<string>();
  for (const line of lines) {
    const typeLine = /^# TYPE (\S+) (gauge|counter)$/.exec(line);
    if (typeLine) declared.add(typeLine[1]!);
    else if (!line.startsWith('# HELP ')) assert.ok(declared.has(line.split(/[{ ]/)[0]!), `sample before its TYPE: ${line}`);
  }

  assert.equal(byName.get('hearth_cpu_load_ratio')?.type, 'GAUGE');
  const load = Number(byName.get('hearth_cpu_load_ratio')!.metrics[0]!.value);
  assert.ok(load >= 0 && load <= 1);
  const power = byName.get('hearth_power_watts')!.metrics[0]!;
  assert.equal(power.labels?.estimated, 'true');
  assert.equal(power.labels?.source, 'estimate:generic');
  const temps = byName.get('hearth_temperature_celsius')!.metrics;
  assert.equal(temps.length, 5);
  assert.deepEqual(temps.find((m) => m.labels?.sensor === 'acpitz.0'), { value: '38.5', labels: { sensor: 'acpitz.0', kind: 'chassis', label: 'ACPI "zone" \\ 0' } });
  assert.equal(byName.get('hearth_energy_joules_total')?.type, 'COUNTER');
  const energy = Object.fromEntries(byName.get('hearth_energy_joules_total')!.metrics.map((m) => [m.labels!.estimated, Number(m.value)]));
  assert.ok(energy.true! > 0, 'energy from estimated power counted apart');
  assert.equal(energy.false, 0);
  assert.equal(Number(byName.get('hearth_agent_jobs')!.metrics.find((m) => m.labels?.state === 'queued')!.value), 1);
  assert.ok(Number(byName.get('hearth_sample_cost_seconds')!.metrics[0]!.value) > 0);
  assert.equal(byName.get('hearth_fan_rpm')?.metrics[0]?.value, '900');
  assert.equal(byName.get('hearth_gpu_power_watts')?.metrics[0]?.value, '45');
  // Absent: no battery, no disk. Reported as absent, with the reason; never as 0.
  for (const name of ['hearth_battery_charge_ratio', 'hearth_disk_used_bytes', 'hearth_disk_read_bytes_per_second']) assert.equal(byName.has(name), false, name);
  const absent = byName.get('hearth_sensor_absent')!.metrics.map((m) => m.labels?.what);
  assert.ok(absent.includes('battery'));
});

test('the live stream sends each sample while someone listens, and stops listening when they go', async (t) => {
  const { base, emit, feed, interval } = await setup(t);
  script(emit, interval, 1);
  const received: { event: string; data: TelemetrySample }[] = [];
  const req = request(`${base}/api/telemetry/events`, { headers: { cookie: `hearth_session=${SESSION}` } });
  req.end();
  const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] ?? '', /^text\/event-stream/);
  let buffer = '';
  const got = new Promise<void>((resolve) => {
    res.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let i: number;
      while ((i = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event && data) received.push({ event, data: JSON.parse(data) });
        if (received.length === 3) resolve();
      }
    });
  });
  // The current sample at once, then each new one.
  while (feed.listenerCount('sample') === 0) await new Promise((r) => setTimeout(r, 5));
  const a = makeSample(Date.now() + 1000, { powerW: 31 });
  const b = makeSample(Date.now() + 2000, { powerW: 32 });
  emit(a);
  emit(b);
  await got;
  assert.deepEqual(
    received.map((e) => e.event),
    ['sample', 'sample', 'sample'],
  );
  assert.deepEqual(received[1]!.data, a);
  assert.deepEqual(received[2]!.data, b);
  assert.equal(feed.listenerCount('sample'), 1);
  req.destroy();
  const deadline = Date.now() + 2000;
  while (feed.listenerCount('sample') > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(feed.listenerCount('sample'), 0, 'nobody listening: no work per sample for the stream');
});

test('hearth telemetry and hearth energy over the control socket print readings with their sources, and JSON', async (t) => {
  const { dir, emit, interval } = await setup(t);
  script(emit, interval, 10, { powerW: null });
  const out: { value: unknown; human: string }[] = [];
  const ctx = { dataDir: dir, print: (value: unknown, human: string) => out.push({ value, human }) };
  assert.equal(await telemetryCommand(ctx), 0);
  const human = out[0]!.human;
  assert.match(human, /CPU load\s+\d+(\.\d)? % over 2 cores\s+proc:\/proc\/stat/);
  assert.match(human, /Power\s+absent: no power sensor on this machine/);
  assert.match(human, /Battery\s+absent: no battery or UPS/);
  assert.match(human, /Package id 0 \(cpu-package\)\s+55 °C\s+hwmon:/);
  assert.match(human, /today\s+no power readings/);
  assert.match(human, /Not on this machine\n {2}power: no power sensor on this machine/);
  assert.equal((out[0]!.value as TelemetrySample).cpu.perCorePct.length, 2);
  assert.equal(await energyCommand(ctx), 0);
  assert.match(out[1]!.human, /^Today\s+no power readings/);
  assert.match(out[1]!.human, /No agent run has an energy figure this month\./);
});
