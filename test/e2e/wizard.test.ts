import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, shooter, watch } from '../helpers/browser.js';
import { controlRequest, freePort, removeDir, startDaemon, type RunningDaemon } from '../helpers/daemon.js';

// The first-run wizard in a real browser against a real hearthd, at desktop and phone sizes.

const OWNER = 'alice';
const PASSWORD = 'correct horse battery';
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 375, height: 812 },
] as const;

let browser: Browser | undefined;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** The id of the focused element, looking inside shadow roots. */
function waitForFocus(page: Page, id: string) {
  return page.waitForFunction((want) => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return el?.id === want;
  }, id);
}

async function waitForPath(page: Page, path: string): Promise<void> {
  await page.waitForURL((url) => url.pathname === path);
}

async function apiState(d: RunningDaemon): Promise<{ setup: string; device: { factoryHostname: string } }> {
  return (await fetch(`${d.url}/api/setup/state`)).json() as Promise<{ setup: string; device: { factoryHostname: string } }>;
}

for (const vp of VIEWPORTS) {
  const size = `${vp.width}x${vp.height}`;

  test(`the wizard at ${size}: claim, owner, name, model, shares, finish; sign out and in; a second browser cannot claim`, async (t) => {
    assert.ok(browser, 'the browser did not start');
    // Its own SMB port: the test files run side by side, each hearthd with its own smbd.
    const d = await startDaemon({ env: { HEARTH_SMB_PORT: String(await freePort()) } });
    const contexts: BrowserContext[] = [];
    t.after(async () => {
      for (const c of contexts) await c.close().catch(() => undefined);
      await d.stop();
      await removeDir(d.dataDir);
    });
    const code = (await controlRequest<{ setupCode: string }>(d.socketPath, 'GET', '/setup-code')).body.setupCode;
    assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    const factory = `${(await apiState(d)).device.factoryHostname}.local`;

    // The served page obeys the CSP: no inline script at all.
    const indexHtml = await (await fetch(`${d.url}/setup`)).text();
    assert.doesNotMatch(indexHtml, /<script(?![^>]*\bsrc=)[^>]*>/, 'index.html has an inline <script>');

    const context = await browser.newContext({ viewport: { width: vp.width, height: vp.height } });
    contexts.push(context);
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const w = await watch(context, page);

    // Screenshots as <viewport>-<nn>-<step>.png, the page left where the walk has it.
    const shot = shooter(page, '', vp.width, vp.height, { scrollToTop: false });
    const heading = (name: string | RegExp) => page.getByRole('heading', { name, level: 1 });

    // Welcome
    await page.goto(`${d.url}/`);
    await heading('Welcome to Hearth').waitFor();
    await waitForPath(page, '/setup/welcome');
    assert.equal(await page.title(), 'Hearth');
    assert.ok(await page.getByText('Step 1 of 8').isVisible());
    await shot('welcome');
    await page.getByRole('button', { name: 'Get started' }).click();

    // Claim: a wrong code is refused with a visible message next to the field, then the right one is accepted.
    await heading('Claim your Hearth').waitFor();
    await waitForFocus(page, 'code');
    assert.ok(await page.getByText('hearth setup-code').isVisible(), 'the claim step says where to find the code');
    await shot('claim');
    const codeInput = page.getByLabel('Setup code');
    w.expect('POST /api/setup/claim 401');
    await codeInput.pressSequentially('abcd 2345');
    assert.equal(await codeInput.inputValue(), 'ABCD-2345', 'the code is formatted while typing');
    await page.keyboard.press('Enter');
    const wrong = page.getByRole('alert').filter({ hasText: 'not this box’s setup code' });
    await wrong.waitFor();
    assert.equal(await codeInput.getAttribute('aria-invalid'), 'true');
    assert.match((await codeInput.getAttribute('aria-describedby')) ?? '', /\bcode-error\b/);
    await shot('claim-wrong-code');
    await codeInput.fill(code.toLowerCase());
    await page.keyboard.press('Enter');

    // Owner; a reload keeps this step (the server owns the wizard's state).
    await heading('Create the owner account').waitFor();
    await waitForPath(page, '/setup/owner');
    await page.reload();
    await heading('Create the owner account').waitFor();
    await waitForFocus(page, 'username');
    assert.ok(await page.getByText('At least 10 characters').isVisible(), 'the password rule is shown');
    await page.getByLabel('User name').fill(OWNER);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill('something else entirely');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'The two passwords differ' }).waitFor();
    await shot('owner');
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await page.keyboard.press('Enter');

    // Name, with the live host name preview computed by hearthd's own slugify.
    await heading('Name your Hearth').waitFor();
    await waitForPath(page, '/setup/name');
    await waitForFocus(page, 'name');
    await page.getByLabel('Name', { exact: true }).fill('Kitchen Hearth');
    const preview = page.locator('#hostname-preview');
    assert.match(await preview.innerText(), new RegExp(`${factory.replace(/\./g, '\\.')}`), 'the factory name is mentioned');
    await page.getByLabel('Host name').fill('Kitchen Hearth!');
    await preview.getByText('kitchen-hearth.local').waitFor();
    assert.match(await preview.innerText(), /keeps working/);
    await shot('name');
    await page.keyboard.press('Enter');

    // Choose a model: the desktop walk skips it, the phone walk sets up the demo model (made on the box at once).
    await heading('Choose a model').waitFor();
    await waitForPath(page, '/setup/model');
    await page.getByRole('radio', { name: /Demo model/ }).waitFor();
    await shot('model');
    if (vp.width >= 1024) {
      await page.getByRole('button', { name: 'Skip for now' }).click();
    } else {
      await page.getByRole('radio', { name: /Demo model/ }).check();
      await page.getByRole('button', { name: 'Set up the demo and continue' }).click();
    }

    // Share folders: the desktop walk skips it, the phone walk takes Inbox and Notes and sets the folder password.
    await heading('Share folders').waitFor();
    await waitForPath(page, '/setup/shares');
    await waitForFocus(page, 'share-inbox');
    assert.ok(await page.getByRole('checkbox', { name: 'Inbox' }).isChecked());
    assert.ok(await page.getByRole('checkbox', { name: 'Notes' }).isChecked());
    await shot('shares');
    if (vp.width >= 1024) {
      await page.getByRole('button', { name: 'Skip for now' }).click();
    } else {
      const samba = !(await page.getByTestId('smb-missing').isVisible());
      if (samba) await page.getByLabel('Folder password').fill('folders-for-alice');
      await page.getByRole('button', { name: 'Continue' }).click();
      await heading(samba ? 'Connect from your computers' : 'Your folders are ready').waitFor();
      if (samba) assert.match(await page.locator('hearth-step-shares section[data-share="Inbox"] li[data-os="macos"] .address').innerText(), new RegExp(`smb://${factory.replace(/\./g, '\\.')}(:\\d+)?/Inbox`));
      await shot('shares-connect');
      await page.getByRole('button', { name: 'Continue' }).click();
    }

    // Agents (their own test turns them on): skipped.
    await heading('Turn on agents').waitFor();
    await waitForPath(page, '/setup/agents');
    await page.getByRole('button', { name: 'Skip for now' }).click();

    // Finish: the summary, a reload (session cookie), then the dashboard.
    await heading("You're all set").waitFor();
    await waitForPath(page, '/setup/finish');
    await page.reload();
    await heading("You're all set").waitFor();
    const summary = await page.locator('hearth-step-finish dl').innerText();
    for (const expected of [OWNER, 'Kitchen Hearth', 'kitchen-hearth.local', factory]) assert.ok(summary.includes(expected), `summary shows ${expected}`);
    // The model's name arrives with the catalog a moment after a reload: wait for it rather than read once.
    await page
      .locator('[data-testid="summary-model"]')
      .filter({ hasText: vp.width >= 1024 ? /None yet/ : /Demo model/ })
      .waitFor({ timeout: 10_000 });
    await shot('finish');
    await page.getByRole('button', { name: 'Finish' }).click();

    await heading('Dashboard').waitFor();
    await waitForPath(page, '/');
    assert.equal(await page.getByTestId('box-name').innerText(), 'Kitchen Hearth');
    assert.equal(await page.getByTestId('local-name').innerText(), 'kitchen-hearth.local');
    assert.equal((await apiState(d)).setup, 'complete');
    await shot('dashboard');

    if (vp.width >= 1024) {
      // Settings: rename the box; the header follows.
      await page.getByRole('link', { name: 'Settings' }).click();
      await heading('Settings').waitFor();
      await page.getByLabel('Host name').fill('den');
      await page.getByRole('button', { name: 'Save name' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
      assert.equal(await page.getByTestId('local-name').innerText(), 'den.local');
      await shot('settings');
    } else {
      // The phone layout keeps the navigation behind a menu button.
      await page.getByRole('button', { name: 'Menu' }).click();
      await page.getByRole('link', { name: 'Settings' }).waitFor();
      await shot('menu');
      await page.getByRole('button', { name: 'Menu' }).click();
    }

    // Sign out, then in again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading('Sign in').waitFor();
    await waitForPath(page, '/login');
    await waitForFocus(page, 'username');
    await shot('login');
    await page.getByLabel('User name').fill(OWNER);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.keyboard.press('Enter');
    await heading('Dashboard').waitFor();
    await waitForPath(page, '/');
    await shot('signed-in-again');

    // A second, fresh browser: setup is done, so it sees the sign-in page and cannot claim.
    const other = await browser.newContext({ viewport: { width: vp.width, height: vp.height } });
    contexts.push(other);
    other.setDefaultTimeout(10_000);
    const otherPage = await other.newPage();
    const w2 = await watch(other, otherPage);
    await otherPage.goto(`${d.url}/setup/claim`);
    await otherPage.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    await otherPage.waitForURL((url) => url.pathname === '/login');
    w2.expect('POST /api/setup/claim 409');
    const claimStatus = await otherPage.evaluate(async (c) => {
      const res = await fetch('/api/setup/claim', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ code: c }),
      });
      return res.status;
    }, code);
    assert.equal(claimStatus, 409);
    await otherPage.screenshot({ path: shot.next('second-browser'), fullPage: true });

    assert.deepEqual(w.problems, [], 'no console errors, CSP violations or unexpected failed requests');
    assert.deepEqual(w2.problems, [], 'no console errors in the second browser');
  });
}
