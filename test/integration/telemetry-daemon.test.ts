// Telemetry through the built hearthd pointed at a fixture /sys (HEARTH_SYS_ROOT): the readings and
// their sources in the API, the CLI and /metrics (read with a bearer token and parsed by a real
// Prometheus parser); the thermal governor pausing background agents when the fixture CPU heats
// past the owner's threshold, with the reading in the activity log, and resuming once it cools;
// bad settings refused without a change.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { controlRequest, removeDir, runHearth, startDaemon, tempDataDir, type RunningDaemon } from '../helpers/daemon.js';
import { HttpClient } from '../helpers/http-client.js';

interface PromFamily {
  name: string;
  type: string;
  help: string;
  metrics: Array<{ value: string; labels?: Record<string, string> }>;
}
// The package ships CommonJS without types.
const parsePrometheusTextFormat = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => PromFamily[];
const PASSWORD = 'correct horse battery';
let d: RunningDaemon;
let owner: HttpClient;
let sys: string;
const cpuTemp = () => join(sys, 'class/hwmon/hwmon0/temp1_input');
const setCpuTemp = (c: number) => writeFileSync(cpuTemp(), `${c * 1000}\n`);

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${d.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  sys = await tempDataDir('hearth-sys-');
  const files: Record<string, string> = {
    'class/hwmon/hwmon0/name': 'coretemp',
    'class/hwmon/hwmon0/temp1_input': '50000',
    'class/hwmon/hwmon0/temp1_label': 'Package id 0',
    'class/hwmon/hwmon1/name': 'nct6775',
    'class/hwmon/hwmon1/fan1_input': '900',
    'class/hwmon/hwmon1/fan1_label': 'CPU fan',
  };
  for (const [p, v] of Object.entries(files)) {
    mkdirSync(join(sys, p, '..'), { recursive: true });
    writeFileSync(join(sys, p), `${v}\n`);
  }
  d = await startDaemon({ env: { HEARTH_SMB: 'off', HEARTH_SYS_ROOT: sys } });
  await controlRequest(d.socketPath, 'POST', '/setup', { owner: 'alice', password: PASSWORD, name: 'Lab' });
  owner = new HttpClient(d.url);
  assert.equal((await owner.post('/api/auth/login', { username: 'alice', password: PASSWORD })).status, 200);
});

after(async () => {
  const stopped = await d?.stop();
  if (d) {
    assert.equal(stopped?.code, 0, d.output());
    await removeDir(d.dataDir);
  }
  if (sys) await removeDir(sys);
});

test('readings from the fixture /sys, each with its source; no power sensor means an estimate, labelled', async () => {
  const now = await waitFor('a sample', async () => {
    const r = await owner.get('/api/telemetry/now');
    return r.status === 200 ? r.body : null;
  });
  const cpu = now.temperatures.find((t: { id: string }) => t.id === 'hwmon.coretemp.temp1');
  assert.deepEqual(cpu, { id: 'hwmon.coretemp.temp1', label: 'coretemp Package id 0', kind: 'cpu-package', reading: { value: 50, unit: 'C', source: `hwmon:${cpuTemp()}` } });
  assert.equal(now.fans[0].reading.value, 900);
  assert.equal(now.power.system.estimated, true, 'no power sensor in the fixture: an estimate, said to be one');
  assert.match(now.power.system.source, /^estimate:generic/);
  assert.ok(now.absent.some((a: { what: string }) => /power/.test(a.what)), JSON.stringify(now.absent));
  const cli = await runHearth(['telemetry', '--json'], d.dataDir);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(JSON.parse(cli.stdout).temperatures[0].reading.value, 50);
  const human = await runHearth(['telemetry'], d.dataDir);
  assert.match(human.stdout, /coretemp Package id 0/);
  assert.match(human.stdout, /estimated/);
  const energy = await runHearth(['energy', '--json'], d.dataDir);
  assert.equal(energy.code, 0, energy.stderr);
  assert.ok('today' in JSON.parse(energy.stdout));
});

test('/metrics: owner or bearer token only; a real Prometheus parser reads it', async () => {
  assert.equal((await new HttpClient(d.url).get('/metrics')).status, 401);
  const token = await controlRequest<{ token: string }>(d.socketPath, 'POST', '/tokens', { name: 'prometheus' });
  assert.equal(token.status, 200);
  const r = await new HttpClient(d.url).get('/metrics', { authorization: `Bearer ${token.body.token}` });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /text\/plain/);
  const families = parsePrometheusTextFormat(r.text);
  const temp = families.find((f) => f.name === 'hearth_temperature_celsius');
  assert.ok(temp, r.text);
  assert.equal(temp.type, 'GAUGE');
  assert.ok(temp.metrics.some((m) => Number(m.value) === 50));
  for (const f of families) assert.ok(f.help.length > 0, `${f.name} has HELP`);
});

test('bad settings are refused with a reason and change nothing', async () => {
  const before = await readFile(join(d.dataDir, 'config.json'), 'utf8');
  for (const body of [
    { intervalSeconds: 0 },
    { intervalSeconds: 61 },
    { profile: 'toaster' },
    { thresholds: { warnC: 90, throttleC: 80, criticalC: 100 } },
    { quietHours: { start: '25:00', end: '06:00' } },
    { alerts: { webhookUrl: 'ftp://example.test/x', ntfyUrl: null } },
    { tariff: { currency: 'EUR', pricePerKwh: -1 } },
    { colour: 'blue' },
  ]) {
    const r = await owner.put('/api/telemetry/settings', body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
    assert.match(r.body.detail, /\w{4,}/);
  }
  assert.equal(await readFile(join(d.dataDir, 'config.json'), 'utf8'), before);
});

test('the governor pauses background agents when the CPU passes its threshold, logs the reading, and resumes once cooled', async () => {
  const set = await owner.put('/api/telemetry/settings', { thresholds: { warnC: 60, throttleC: 70, criticalC: 95 } });
  assert.equal(set.status, 200, set.text);
  assert.deepEqual(set.body.thresholds, { warnC: 60, throttleC: 70, criticalC: 95 });
  setCpuTemp(75);
  const paused = await waitFor('agents paused by the governor', async () => {
    const o = (await owner.get('/api/agents')).body;
    return o.pausedReasons.some((r: string) => /75|hot|temperature|thermal/i.test(r)) ? o : null;
  });
  assert.equal(paused.paused, true);
  const activity = (await owner.get('/api/activity?limit=50')).body.entries as Array<{ kind: string; data: { reading?: { value: number; source: string } } }>;
  const throttle = activity.find((e) => e.kind === 'governor.throttle');
  assert.ok(throttle, JSON.stringify(activity.map((e) => e.kind)));
  assert.equal(throttle.data.reading?.value, 75);
  assert.equal(throttle.data.reading?.source, `hwmon:${cpuTemp()}`);
  const alerts = (await owner.get('/api/alerts')).body;
  assert.ok(alerts.active.some((a: { kind: string }) => a.kind === 'temperature'), JSON.stringify(alerts));

  setCpuTemp(40);
  await waitFor('agents resumed after cooling', async () => {
    const o = (await owner.get('/api/agents')).body;
    return !o.pausedReasons.some((r: string) => /hot|temperature|thermal|°C/i.test(r));
  }, 60_000);
  const after = (await owner.get('/api/activity?limit=50')).body.entries as Array<{ kind: string }>;
  assert.ok(after.some((e) => e.kind === 'governor.resume' || e.kind === 'governor.ok'), JSON.stringify(after.map((e) => e.kind)));
});
