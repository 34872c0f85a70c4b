import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { Context, Next } from 'koa';
import { createLogger } from '../../appliance/src/log.js';
import { problemResponses } from '../../appliance/src/http/problem.js';
import { jsonBodies } from '../../appliance/src/http/middleware.js';
import { AlertCenter, type Alert, type AlertTargets, type DeliveryResult } from '../../appliance/src/telemetry/alerts.js';
import { alertRoutes } from '../../appliance/src/telemetry/alert-routes.js';
import type { TelemetrySample } from '../../appliance/src/telemetry/types.js';

const log = createLogger('test', 'error');
const T0 = Date.parse('2026-11-27T14:00:00Z');
const absent = (reason: string) => ({ absent: true as const, reason });

interface Parts {
  diskUsed?: number;
  temps?: string[];
  fans?: string[];
  power?: 'measured' | 'estimated' | 'absent';
  gpu?: boolean;
  absentList?: { what: string; reason: string }[];
}

function sample(at: number, p: Parts = {}): TelemetrySample {
  const r = (value: number, unit: 'C' | 'W' | 'rpm' | 'B', source: string) => ({ value, unit, source });
  const power = p.power ?? 'absent';
  return {
    at,
    cpu: { loadPct: { value: 10, unit: '%', source: 'proc:/proc/stat' }, perCorePct: [10], freqMhz: absent('no cpufreq') },
    memory: { used: r(1e9, 'B', 'proc:/proc/meminfo'), total: r(8e9, 'B', 'proc:/proc/meminfo') },
    disk:
      p.diskUsed === undefined
        ? absent('statfs failed')
        : { used: r(p.diskUsed * 1e9, 'B', 'statfs:/var/lib/hearth'), total: r(100e9, 'B', 'statfs:/var/lib/hearth'), readBps: { value: 0, unit: 'B/s', source: 'proc' }, writeBps: { value: 0, unit: 'B/s', source: 'proc' } },
    net: absent('test'),
    temperatures: (p.temps ?? []).map((id) => ({ id, label: `Label ${id}`, kind: 'cpu-package' as const, reading: r(50, 'C', `hwmon:${id}`) })),
    fans: (p.fans ?? []).map((id) => ({ id, label: `Fan ${id}`, reading: r(1200, 'rpm', `hwmon:${id}`) })),
    power: {
      system: power === 'absent' ? absent('no power sensor on this machine') : power === 'measured' ? r(20, 'W', 'rapl:package-0') : { ...r(20, 'W', 'estimate:generic'), estimated: true },
      parts: [],
    },
    gpu: p.gpu ? { name: 'RTX', utilPct: absent('n/a'), power: r(90, 'W', 'nvidia-smi'), temp: r(60, 'C', 'nvidia-smi'), memUsed: absent('n/a'), memTotal: absent('n/a') } : absent('no GPU'),
    battery: absent('no battery'),
    absent: p.absentList ?? [],
    costMs: 0.1,
  };
}

const NO_TARGETS: AlertTargets = { webhookUrl: null, ntfyUrl: null };

function center(extra: Partial<ConstructorParameters<typeof AlertCenter>[0]> = {}) {
  let now = T0;
  const c = new AlertCenter({ log, targets: () => NO_TARGETS, now: () => now, ...extra });
  const changes: string[] = [];
  c.on('alert', (a: Alert, change: string) => changes.push(`${change} ${a.key} ${a.severity}`));
  return { c, changes, set: (ms: number) => (now = ms) };
}

test('disk: warning at 90 %, critical at 97 %, resolved only below 88 %', () => {
  const { c, changes } = center();
  c.observe(sample(T0, { diskUsed: 89.9 }));
  assert.equal(c.list().active.length, 0);
  c.observe(sample(T0, { diskUsed: 90 }));
  const [a] = c.list().active;
  assert.equal(a?.kind, 'disk');
  assert.equal(a?.severity, 'warning');
  assert.equal(a?.message, 'The data disk is 90 % full (10.0 GB free). Free some space: models, shares and history all live there.');
  c.observe(sample(T0, { diskUsed: 97.5 }));
  assert.equal(c.list().active[0]?.severity, 'critical');
  c.observe(sample(T0, { diskUsed: 89 }));
  assert.equal(c.list().active.length, 1, 'still near the line: not resolved');
  c.observe(sample(T0, { diskUsed: 70 }));
  assert.equal(c.list().active.length, 0);
  assert.equal(c.list().recent[0]?.id, a?.id);
  assert.deepEqual(changes, ['raised disk warning', 'escalated disk critical', 'resolved disk critical']);
  c.observe(sample(T0, { diskUsed: 95 }));
  assert.notEqual(c.list().active[0]?.id, a?.id, 'the same condition again is a new alert');
});

test('a sensor that disappears for 3 samples is an alert, resolved when it answers again; an estimate is not a sensor', () => {
  const { c } = center();
  const full: Parts = { temps: ['hwmon.coretemp.temp1', 'hwmon.nvme.temp1'], fans: ['hwmon.it87.fan1'], power: 'measured', gpu: true };
  c.observe(sample(T0, full));
  const fanGone: Parts = { ...full, fans: [], power: 'estimated', absentList: [{ what: 'fan', reason: 'hwmon it87 not found' }] };
  c.observe(sample(T0 + 1000, fanGone));
  c.observe(sample(T0 + 2000, fanGone));
  assert.equal(c.list().active.length, 0, 'one or two failed reads are not a lost sensor');
  c.observe(sample(T0 + 3000, fanGone));
  const keys = c.list().active.map((a) => a.key).sort();
  assert.deepEqual(keys, ['sensor:fan:hwmon.it87.fan1', 'sensor:power:system']);
  const fan = c.list().active.find((a) => a.key === 'sensor:fan:hwmon.it87.fan1')!;
  assert.equal(fan.kind, 'sensor-missing');
  assert.equal(fan.message, 'The sensor "Fan hwmon.it87.fan1" (fan:hwmon.it87.fan1) stopped reporting: hwmon it87 not found. Readings from it are shown as absent.');
  c.observe(sample(T0 + 4000, full));
  assert.equal(c.list().active.length, 0);
  assert.equal(c.list().recent.length, 2);

  // A box that never had a sensor has nothing to lose.
  const bare = center().c;
  for (let i = 0; i < 5; i++) bare.observe(sample(T0 + i * 1000, { power: 'estimated' }));
  assert.equal(bare.list().active.length, 0);
});

test('a model worker crashing 3 times in 10 minutes is an alert, resolved 10 minutes after the last crash', () => {
  const worker = { crashes: 2, lastCrash: { at: '', detail: 'killed by SIGKILL' } as { at: string; detail: string } | null };
  const { c, set } = center({ worker });
  const at = (min: number) => {
    set(T0 + min * 60_000);
    c.observe(sample(T0 + min * 60_000));
  };
  at(0); // crashes before telemetry started are not counted
  worker.crashes = 3;
  at(1);
  worker.crashes = 4;
  at(5);
  assert.equal(c.list().active.length, 0, 'two crashes');
  at(10.9);
  worker.crashes = 5;
  at(11.5); // crash 1 (minute 1) is out of the window: minutes 5 and 11.5
  assert.equal(c.list().active.length, 0);
  worker.crashes = 6;
  at(12);
  const [a] = c.list().active;
  assert.equal(a?.kind, 'worker-crashes');
  assert.equal(a?.severity, 'critical');
  assert.equal(a?.message, 'The model worker crashed 3 times in 10 minutes (last: killed by SIGKILL). Hearth keeps restarting it; a smaller model or a restart of the box may help.');
  at(15.5);
  assert.equal(c.list().active.length, 0, 'at 15.5 the crash of minute 5 left the window');
  assert.match(c.list().recent[0]!.message, /Resolved: no crash loop in the last 10 minutes\.$/);
});

test('dismissed alerts leave the active list and are not raised again while the condition lasts; getting worse shows them again', () => {
  const { c, changes } = center();
  c.observe(sample(T0, { diskUsed: 92 }));
  const id = c.list().active[0]!.id;
  assert.equal(c.dismiss('nope'), null);
  assert.equal(c.dismiss(id)?.dismissedAt, new Date(T0).toISOString());
  assert.equal(c.list().active.length, 0);
  assert.equal(c.list().recent[0]?.id, id);
  c.observe(sample(T0, { diskUsed: 92 }));
  assert.equal(c.list().active.length, 0, 'not raised again');
  c.observe(sample(T0, { diskUsed: 98 }));
  assert.equal(c.list().active[0]?.id, id);
  assert.equal(c.list().active[0]?.dismissedAt, null);
  assert.deepEqual(changes, ['raised disk warning', 'dismissed disk warning', 'escalated disk critical']);
});

// ---- delivery to a local server on 127.0.0.1 ----

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function localServer(t: { after: (fn: () => Promise<void>) => void }, answer: (n: number, req: IncomingMessage, res: ServerResponse) => void) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(received.length, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { received, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const deliveries = (c: AlertCenter) => {
  const out: DeliveryResult[] = [];
  c.on('delivery', (d: DeliveryResult) => out.push(d));
  return out;
};

test('new alerts are posted to the webhook (JSON) and ntfy (text with title and priority), and their resolution too', async (t) => {
  const { received, base } = await localServer(t, (_n, _req, res) => res.end('ok'));
  const { c } = center({ targets: () => ({ webhookUrl: `${base}/hook`, ntfyUrl: `${base}/hearth-topic` }), deviceName: () => 'Kitchen box' });
  const results = deliveries(c);
  c.observe(sample(T0, { diskUsed: 95 }));
  await c.idle();
  const hook = received.find((r) => r.path === '/hook')!;
  assert.equal(hook.headers['content-type'], 'application/json');
  const payload = JSON.parse(hook.body) as { event: string; device: string; alert: Alert };
  assert.equal(payload.event, 'alert.raised');
  assert.equal(payload.device, 'Kitchen box');
  assert.equal(payload.alert.kind, 'disk');
  assert.equal(payload.alert.message, c.list().active[0]!.message);
  const ntfy = received.find((r) => r.path === '/hearth-topic')!;
  assert.equal(ntfy.body, c.list().active[0]!.message);
  assert.equal(ntfy.headers.title, 'Kitchen box: disk nearly full');
  assert.equal(ntfy.headers.priority, '4');
  assert.equal(ntfy.headers.tags, 'warning');

  c.observe(sample(T0, { diskUsed: 50 }));
  await c.idle();
  assert.equal(received.length, 4);
  const resolved = received.slice(2).find((r) => r.path === '/hearth-topic')!;
  assert.equal(resolved.headers.title, 'Kitchen box: resolved: disk nearly full');
  assert.equal(resolved.headers.priority, '3');
  assert.deepEqual(results.map((r) => [r.change, r.target, r.ok, r.attempts]).sort(), [
    ['raised', 'ntfy', true, 1],
    ['raised', 'webhook', true, 1],
    ['resolved', 'ntfy', true, 1],
    ['resolved', 'webhook', true, 1],
  ]);
});

test('a failing endpoint is retried with back-off until it answers', async (t) => {
  const times: number[] = [];
  const { received, base } = await localServer(t, (n, _req, res) => {
    times.push(performance.now());
    res.statusCode = n <= 2 ? 503 : 200;
    res.end();
  });
  const { c } = center({ targets: () => ({ webhookUrl: `${base}/hook`, ntfyUrl: null }), retryDelaysMs: [50, 150, 1000] });
  const results = deliveries(c);
  c.raise({ key: 'temperature', kind: 'temperature', severity: 'critical', message: 'Critical temperature: CPU at 101.0 °C' });
  await c.idle();
  assert.equal(received.length, 3);
  assert.ok(times[1]! - times[0]! >= 45, `first retry after ${times[1]! - times[0]!} ms`);
  assert.ok(times[2]! - times[1]! >= 145, `second retry after ${times[2]! - times[1]!} ms`);
  assert.deepEqual(results, [{ alertId: results[0]!.alertId, change: 'raised', target: 'webhook', ok: true, attempts: 3, error: null }]);
});

test('an unreachable or hanging endpoint never blocks or throws into sampling; it is given up after the last retry', async (t) => {
  // A port on 127.0.0.1 that nothing listens on.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const hanging = await localServer(t, () => undefined); // never answers
  const { c } = center({
    targets: () => ({ webhookUrl: `http://127.0.0.1:${closedPort}/hook`, ntfyUrl: `${hanging.base}/topic` }),
    retryDelaysMs: [20, 20],
    timeoutMs: 150,
  });
  const results = deliveries(c);
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) c.observe(sample(T0 + i * 1000, { diskUsed: 91 + (i % 2) * 7 }));
  const spent = performance.now() - t0;
  assert.ok(spent < 100, `20 samples took ${spent} ms while deliveries failed`);
  await c.idle();
  const byTarget = (target: string) => results.filter((r) => r.target === target);
  assert.ok(byTarget('webhook').length >= 1);
  for (const r of results) {
    assert.equal(r.ok, false);
    assert.equal(r.attempts, 3);
  }
  assert.match(byTarget('webhook')[0]!.error!, /ECONNREFUSED/);
  assert.match(byTarget('ntfy')[0]!.error!, /no answer within 150 ms/);
  assert.equal(hanging.received.length, byTarget('ntfy').length * 3);
});

test('a 4xx answer (wrong URL or topic) is not retried; stop() cancels waiting retries', async (t) => {
  const { received, base } = await localServer(t, (_n, req, res) => {
    res.statusCode = req.url === '/missing' ? 404 : 500;
    res.end();
  });
  const missing = center({ targets: () => ({ webhookUrl: `${base}/missing`, ntfyUrl: null }), retryDelaysMs: [10, 10, 10] });
  const results = deliveries(missing.c);
  missing.c.raise({ key: 'disk', kind: 'disk', severity: 'warning', message: 'full' });
  await missing.c.idle();
  assert.deepEqual(results.map((r) => [r.ok, r.attempts, r.error]), [[false, 1, 'the server answered 404']]);

  const failing = center({ targets: () => ({ webhookUrl: `${base}/broken`, ntfyUrl: null }), retryDelaysMs: [60_000] });
  failing.c.raise({ key: 'disk', kind: 'disk', severity: 'warning', message: 'full' });
  while (received.filter((r) => r.path === '/broken').length < 1) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  await failing.c.stop();
  assert.ok(performance.now() - t0 < 1000, 'stop does not wait for the minute-long retry');
  assert.equal(received.filter((r) => r.path === '/broken').length, 1);
});

// ---- routes ----

test('GET /api/alerts and POST /api/alerts/:id/dismiss, for the owner only', async (t) => {
  const { c } = center();
  const app = new Koa();
  app.use(problemResponses(log));
  app.use(jsonBodies());
  app.use(async (ctx: Context, next: Next) => {
    ctx.state.user = ctx.get('X-Test-Owner') ? 'owner' : null;
    await next();
  });
  const { Router } = await import('@koa/router');
  const api = new Router({ prefix: '/api' });
  const routes = alertRoutes(c);
  api.use(routes.routes(), routes.allowedMethods({ throw: true }));
  app.use(api.routes());
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  const owner = { 'X-Test-Owner': '1' };

  c.observe(sample(T0, { diskUsed: 93 }));
  c.raise({ key: 'temperature', kind: 'temperature', severity: 'critical', message: 'Critical temperature' });

  const anon = await fetch(`${base}/alerts`);
  assert.equal(anon.status, 401);
  assert.equal(anon.headers.get('content-type'), 'application/problem+json');
  assert.equal((await fetch(`${base}/alerts/x/dismiss`, { method: 'POST' })).status, 401);

  const list = (await (await fetch(`${base}/alerts`, { headers: owner })).json()) as { active: Alert[]; recent: Alert[] };
  assert.deepEqual(list.active.map((a) => a.kind), ['temperature', 'disk'], 'critical first');
  assert.deepEqual(list.recent, []);

  const res = await fetch(`${base}/alerts/${list.active[1]!.id}/dismiss`, { method: 'POST', headers: owner });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as Alert).dismissedAt, new Date(T0).toISOString());
  const after = (await (await fetch(`${base}/alerts`, { headers: owner })).json()) as { active: Alert[]; recent: Alert[] };
  assert.deepEqual(after.active.map((a) => a.kind), ['temperature']);
  assert.deepEqual(after.recent.map((a) => a.kind), ['disk']);

  const missing = await fetch(`${base}/alerts/nope/dismiss`, { method: 'POST', headers: owner });
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as { detail: string }).detail, /There is no alert "nope"/);
});
