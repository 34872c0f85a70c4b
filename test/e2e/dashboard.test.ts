import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchBrowser, shooter, watch } from '../helpers/browser.js';
import { heading, setUpDaemon, signIn } from '../helpers/wizard.js';
import type { TelemetrySample } from '../../appliance/src/telemetry/types.js';

// The dashboard in a real browser against a real hearthd sampling this machine: the status at a glance
// updates live from the event stream, absent readings say so (never 0), the charts draw, the time span
// changes, the alerts bell opens; at 1280 and 375 px.

const OWNER = 'alice';
const PASSWORD = 'correct horse battery';

let browser: Browser | undefined;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

const owner = { owner: OWNER, password: PASSWORD };

/** The text of a locator once it differs from `before` (the live stream moved it on). */
async function changedText(loc: Locator, before: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = (await loc.textContent())?.trim() ?? '';
    if (now !== before) return now;
    assert.ok(Date.now() < deadline, `"${before}" did not change within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A chart's canvas, drawn, with a size. */
async function drawnChart(page: Page, metric: string): Promise<{ width: number; height: number }> {
  const chart = page.locator(`hearth-metric-chart[data-metric="${metric}"]`);
  const canvas = chart.locator('.plot canvas');
  await canvas.waitFor();
  // The readout shows the latest point once there is one to draw.
  await chart.locator('.readout strong').waitFor();
  const box = await canvas.boundingBox();
  assert.ok(box && box.width > 50 && box.height > 50, `the ${metric} chart has a size (${JSON.stringify(box)})`);
  return { width: box.width, height: box.height };
}

test('dashboard: live status at a glance, absent readings said plainly, charts over hour and day, alerts; 1280 and 375 px', async (t) => {
  assert.ok(browser, 'the browser did not start');
  const { d, contexts } = await setUpDaemon(t, { owner: OWNER, password: PASSWORD, name: 'Study Hearth' });

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const w = await watch(context, page);
  const shot = shooter(page, 'dashboard', 1280, 800);
  await signIn(page, d.url, owner);

  // Live: the sample time moves on by itself (one sample a second by default), and so do the readings.
  const when = page.getByTestId('sample-time');
  await when.filter({ hasText: /^Live · / }).waitFor();
  const first = (await when.textContent())!.trim();
  const second = await changedText(when, first);
  assert.match(second, /^Live · \d\d:\d\d:\d\d$/);
  const cpu = page.getByTestId('glance-cpu').locator('[data-value]');
  assert.match((await cpu.textContent())!, /^\s*\d+ %/, 'CPU load is a percentage');

  // What the box reports, against what the page shows: an absent reading is "Not available" with its reason, never 0.
  const now = await page.evaluate(async () => (await (await fetch('/api/telemetry/now', { credentials: 'same-origin' })).json()) as TelemetrySample);
  const power = page.getByTestId('glance-power');
  if ('absent' in now.power.system) {
    await power.locator('[data-absent]').waitFor();
    assert.ok((await power.textContent())!.includes(now.power.system.reason), 'the power tile gives the reason');
  } else {
    assert.match((await power.locator('[data-value]').textContent())!, /\d W/);
    if (now.power.system.estimated) assert.match((await power.textContent())!, /estimated/i, 'an estimate says so');
  }
  const hot = page.getByTestId('glance-temperature');
  if (now.temperatures.length === 0) {
    await hot.locator('[data-absent]').waitFor();
    assert.match((await hot.textContent())!, /no temperature sensor/i);
    assert.doesNotMatch((await hot.textContent())!, /\d °C/);
    await page.locator('hearth-metric-chart[data-metric="temp.max.c"] [data-testid="chart-absent"]').waitFor();
  } else {
    assert.match((await hot.locator('[data-value]').textContent())!, /\d+ °C/);
  }
  await page.getByTestId('glance-model').filter({ hasText: 'No model' }).waitFor();
  await page.getByTestId('glance-agents').filter({ hasText: /\d+ running · \d+ queued/ }).waitFor();
  await page.getByTestId('glance-energy').waitFor();

  // Charts: drawn on a canvas with a size; the hour follows the live samples.
  const size = await drawnChart(page, 'cpu.load.pct');
  await drawnChart(page, 'mem.used.bytes');
  if (!('absent' in now.power.system)) await drawnChart(page, 'power.system.w');
  const readout = page.locator('hearth-metric-chart[data-metric="cpu.load.pct"] .readout');
  await changedText(readout, (await readout.textContent())!.trim());

  // Energy: today, this week, this month; the per-agent part is there even with no runs yet.
  await page.getByTestId('energy-today').waitFor();
  await page.getByTestId('energy').getByRole('heading', { name: 'Per agent' }).waitFor();
  await shot('dashboard');

  // Another span: the day, from the minute history.
  await page.getByRole('radio', { name: 'Day' }).check();
  await page.locator('hearth-metric-chart[data-metric="cpu.load.pct"] .readout strong').waitFor();
  await drawnChart(page, 'cpu.load.pct');
  await page.getByRole('radio', { name: 'Hour' }).check();

  // The notification area: the bell opens the list of alerts.
  const bell = page.getByTestId('alerts-bell');
  await bell.click();
  await page.getByRole('region', { name: 'Alerts' }).waitFor();
  await shot('alerts');
  await page.keyboard.press('Escape');
  await page.getByRole('region', { name: 'Alerts' }).waitFor({ state: 'detached' });
  assert.deepEqual(w.problems, [], 'no console errors, CSP violations or unexpected failed requests at 1280x800');

  // The phone: charts one per row, full width.
  const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
  contexts.push(phone);
  phone.setDefaultTimeout(15_000);
  const p = await phone.newPage();
  const pw = await watch(phone, p);
  const phoneShot = shooter(p, 'dashboard', 375, 812);
  await signIn(p, d.url, owner);
  await p.getByTestId('sample-time').filter({ hasText: /^Live · / }).waitFor();
  const phoneSize = await drawnChart(p, 'cpu.load.pct');
  assert.ok(phoneSize.width < size.width && phoneSize.width > 200, `at 375 px a chart takes the row (${phoneSize.width} px)`);
  const [a, b] = await Promise.all(
    ['cpu.load.pct', 'mem.used.bytes'].map((m) => p.locator(`hearth-metric-chart[data-metric="${m}"]`).boundingBox()),
  );
  assert.ok(a && b && b.y >= a.y + a.height, 'the charts stack, one per row');
  await phoneShot('dashboard');
  await phoneShot('dashboard-charts', p.locator('hearth-telemetry-charts'));
  assert.deepEqual(pw.problems, [], 'no console errors, CSP violations or unexpected failed requests at 375x812');
});
