import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchBrowser, shooter, watch } from '../helpers/browser.js';
import { heading, setUpDaemon } from '../helpers/wizard.js';

// The telemetry settings on the Settings page in a real browser against a real hearthd: the price and
// the thresholds set through the page, a bad value refused by the server with its reason next to the
// field (and nothing saved), the saved values there again after a reload; at 1280 and 375 px.

const OWNER = 'alice';
const PASSWORD = 'correct horse battery';

let browser: Browser | undefined;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});


async function openSettings(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/`);
  await heading(page, 'Sign in').waitFor();
  await page.getByLabel('User name').fill(OWNER);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.keyboard.press('Enter');
  await heading(page, 'Dashboard').waitFor();
  // On a phone the navigation sits behind the menu button.
  const menu = page.getByRole('button', { name: 'Menu', exact: true });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole('link', { name: 'Settings' }).click();
  await heading(page, 'Settings').waitFor();
  await page.getByRole('heading', { name: 'Power and cost', level: 2 }).waitFor();
}

/** Whether the element has the focus (inside its shadow root). */
const focused = (loc: Locator) => loc.evaluate((el) => (el.getRootNode() as Document | ShadowRoot).activeElement === el);

interface SettingsView {
  settings: { tariff: { currency: string; pricePerKwh: number; offPeak: unknown }; thresholds: unknown; intervalSeconds: number };
  thresholds: { warnC: number; throttleC: number; criticalC: number };
}

test('settings: price and thresholds set through the page, a bad value refused with the reason shown, kept after a reload; 1280 and 375 px', async (t) => {
  assert.ok(browser, 'the browser did not start');
  const { d, contexts } = await setUpDaemon(t, { owner: OWNER, password: PASSWORD, name: 'Study Hearth' });

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const w = await watch(context, page);
  w.expect('PUT /api/telemetry/settings 400');
  const shot = shooter(page, 'settings', 1280, 800);
  await openSettings(page, d.url);

  const power = page.getByTestId('power');
  const temperature = page.getByTestId('temperature');
  const quiet = page.getByTestId('quiet');
  const price = power.getByLabel('Price per kWh', { exact: true });
  const currency = power.getByLabel('Currency', { exact: true });

  // The defaults: the generic profile, with its nominal watts and what it is used for.
  assert.equal(await price.inputValue(), '0.3');
  assert.equal(await currency.inputValue(), 'EUR');
  const watts = (await power.getByTestId('profile-watts').textContent())!;
  assert.match(watts, /8 W at rest, 35 W flat out/);
  assert.match(watts, /only where the box has no power sensor/);
  assert.match((await temperature.getByTestId('thresholds-in-force').textContent())!, /warn 80, throttle 90, critical 100 °C/);
  assert.ok(await temperature.getByLabel('Warn at').isDisabled(), "the profile's thresholds are shown, not edited");
  await quiet.getByText('They go nowhere else unless you give an address here').waitFor();

  // A price the server refuses (over 100 a kWh): its reason next to the price, which has the focus; nothing saved.
  await price.fill('500');
  await price.press('Enter');
  const priceError = power.locator('#tariff-price-error');
  await priceError.waitFor();
  assert.match((await priceError.textContent())!, /tariff\.pricePerKwh/);
  assert.equal(await price.getAttribute('aria-invalid'), 'true');
  assert.ok(await focused(price), 'the price at fault has the focus');

  // The price and the off-peak hours, saved with Enter.
  await price.fill('0.42');
  assert.equal(await priceError.count(), 0, 'typing clears the error');
  await currency.fill('GBP');
  await power.getByRole('switch', { name: 'Off-peak hours at another price' }).check();
  await power.getByLabel('From').fill('23:30');
  await power.getByLabel('Until').fill('07:00');
  await power.getByLabel('Off-peak price').fill('0.15');
  await power.getByLabel('Off-peak price').press('Enter');
  await power.getByRole('status').filter({ hasText: 'Saved: 0.42 GBP per kWh, 0.15 GBP from 23:30 to 07:00' }).waitFor();

  // Thresholds out of order: the server says why, next to the thresholds; the first one is still in force.
  await temperature.getByRole('radio', { name: 'My own' }).check();
  await temperature.getByLabel('Warn at').fill('95');
  await temperature.getByLabel('Throttle at').fill('90');
  await temperature.getByLabel('Critical at').fill('100');
  await temperature.getByLabel('Critical at').press('Enter');
  const order = temperature.locator('#thresholds-error');
  await order.waitFor();
  assert.match((await order.textContent())!, /warn must be below throttle, and throttle below critical/);
  assert.ok(await focused(temperature.getByLabel('Warn at')), 'the first of the thresholds at fault has the focus');
  assert.match((await temperature.getByLabel('Warn at').getAttribute('aria-describedby'))!, /thresholds-error/);
  assert.match((await temperature.getByTestId('thresholds-in-force').textContent())!, /warn 80, throttle 90, critical 100 °C/);
  await shot('thresholds-refused', temperature);

  // In order, with a slower sampling interval.
  await temperature.getByLabel('Warn at').fill('78');
  await temperature.getByLabel('Throttle at').fill('88');
  await temperature.getByLabel('Critical at').fill('98');
  await temperature.getByLabel('Read the sensors every').fill('5');
  await temperature.getByLabel('Read the sensors every').press('Enter');
  await temperature.getByRole('status').filter({ hasText: 'Saved: your own thresholds' }).waitFor();
  await temperature.getByTestId('thresholds-in-force').filter({ hasText: 'warn 78, throttle 88, critical 98 °C' }).waitFor();

  // An alert address that is not http(s): refused next to the field.
  await quiet.getByLabel('Webhook URL').fill('ftp://example.com/hook');
  await quiet.getByLabel('Webhook URL').press('Enter');
  await quiet.locator('#webhook-url-error').waitFor();
  await quiet.getByLabel('Webhook URL').fill('');
  await quiet.getByRole('switch', { name: 'Hold heavy background work to quiet hours' }).check();
  await quiet.getByLabel('From').fill('22:00');
  await quiet.getByLabel('Until').fill('06:00');
  await quiet.getByRole('button', { name: 'Save quiet hours and alerts' }).click();
  await quiet.getByRole('status').filter({ hasText: 'heavy work waits for 22:00–06:00' }).waitFor();
  await shot('saved');

  // What the server holds, and the page after a reload.
  const held = await page.evaluate(async () => (await (await fetch('/api/telemetry/settings', { credentials: 'same-origin' })).json()) as SettingsView);
  assert.deepEqual(held.settings.tariff, { currency: 'GBP', pricePerKwh: 0.42, offPeak: { start: '23:30', end: '07:00', pricePerKwh: 0.15 } });
  assert.deepEqual(held.settings.thresholds, { warnC: 78, throttleC: 88, criticalC: 98 });
  assert.equal(held.settings.intervalSeconds, 5);
  await page.reload();
  await heading(page, 'Settings').waitFor();
  await power.waitFor();
  assert.equal(await price.inputValue(), '0.42');
  assert.equal(await currency.inputValue(), 'GBP');
  assert.ok(await power.getByRole('switch', { name: 'Off-peak hours at another price' }).isChecked());
  assert.equal(await power.getByLabel('Off-peak price').inputValue(), '0.15');
  assert.ok(await temperature.getByRole('radio', { name: 'My own' }).isChecked());
  assert.equal(await temperature.getByLabel('Warn at').inputValue(), '78');
  assert.equal(await temperature.getByLabel('Throttle at').inputValue(), '88');
  assert.equal(await temperature.getByLabel('Critical at').inputValue(), '98');
  assert.equal(await temperature.getByLabel('Read the sensors every').inputValue(), '5');
  assert.match((await temperature.getByTestId('thresholds-in-force').textContent())!, /warn 78, throttle 88, critical 98 °C/);
  assert.equal(await quiet.getByLabel('From').inputValue(), '22:00');
  assert.deepEqual(w.problems, [], 'no console errors, CSP violations or unexpected failed requests at 1280x800');

  // The phone: every card readable at 375 px, nothing scrolls sideways; a refused value there too.
  const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
  contexts.push(phone);
  phone.setDefaultTimeout(15_000);
  const p = await phone.newPage();
  const pw = await watch(phone, p);
  pw.expect('PUT /api/telemetry/settings 400');
  const phoneShot = shooter(p, 'settings', 375, 812);
  await openSettings(p, d.url);
  assert.equal(await p.getByTestId('power').getByLabel('Price per kWh', { exact: true }).inputValue(), '0.42');
  await phoneShot('settings');
  await phoneShot('power', p.getByTestId('power'));
  const warn = p.getByTestId('temperature').getByLabel('Warn at');
  await warn.fill('20');
  await warn.press('Enter');
  await p.getByTestId('temperature').locator('#warn-c-error').waitFor();
  await phoneShot('warn-refused', p.getByTestId('temperature'));
  await phoneShot('quiet', p.getByTestId('quiet'));
  assert.deepEqual(pw.problems, [], 'no console errors, CSP violations or unexpected failed requests at 375x812');
});

test('factory reset: the danger card asks for the box’s name, then the app shows that the box is resetting; 375 and 1280 px', async (t) => {
  assert.ok(browser, 'the browser did not start');
  const { d, contexts } = await setUpDaemon(t, { owner: OWNER, password: PASSWORD, name: 'Study Hearth' });
  const suffix = JSON.parse(await readFile(join(d.dataDir, 'config.json'), 'utf8')).device.suffix as string;
  const name = `hearth-${suffix}`;
  const marker = join(d.dataDir, 'factory-reset-request');

  for (const [width, height, mobile] of [
    [1280, 800, false],
    [375, 812, true],
  ] as const) {
    const context = await browser.newContext({ viewport: { width, height }, isMobile: mobile, hasTouch: mobile });
    contexts.push(context);
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const w = await watch(context, page);
    const shot = shooter(page, 'factory-reset', width, height);
    await openSettings(page, d.url);

    const card = page.getByRole('region', { name: 'Factory reset' });
    await card.waitFor();
    const input = card.getByLabel(`Type ${name} to confirm`);
    const erase = card.getByRole('button', { name: 'Erase everything' });
    assert.ok(await erase.isDisabled(), 'disabled until the name is typed');
    await input.fill(name.toUpperCase());
    assert.ok(await erase.isDisabled(), 'the name must match exactly');
    await input.fill(name);
    assert.ok(await erase.isEnabled());
    await shot('typed', card);

    if (width === 1280) {
      await input.fill('hearth-0000');
      assert.ok(await erase.isDisabled());
      assert.deepEqual(w.problems, [], `no console errors, CSP violations or unexpected failed requests at ${width}x${height}`);
      await context.close();
      continue;
    }
    await erase.click();
    await heading(page, 'Your box is resetting').waitFor();
    const status = page.getByRole('status').filter({ hasText: 'hearthd next starts' });
    await status.waitFor();
    assert.ok(await page.getByRole('link', { name: `http://${name}.local` }).isVisible());
    await shot('resetting');
    assert.ok(await stat(marker).then(() => true), 'the request is in the data dir');
    assert.deepEqual(w.problems, [], `no console errors, CSP violations or unexpected failed requests at ${width}x${height}`);
  }
});
