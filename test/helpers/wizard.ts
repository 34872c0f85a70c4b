import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { controlRequest, removeDir, startDaemon, type RunningDaemon } from './daemon.js';

/** A page's main heading: how the e2e tests know which step or page is on screen. */
export const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { name, level: 1 });

/**
 * The first steps of the wizard as a person takes them: claim with the setup code (read from the
 * control socket, as from the console), make the owner, name the box, skip the model. Leaves the
 * page on the Share folders step.
 */
export async function wizardToShares(page: Page, d: RunningDaemon, who: { owner: string; password: string; name: string }): Promise<void> {
  const code = (await controlRequest<{ setupCode: string }>(d.socketPath, 'GET', '/setup-code')).body.setupCode;
  await page.goto(`${d.url}/`);
  await page.getByRole('button', { name: 'Get started' }).click();
  await page.getByLabel('Setup code').fill(code);
  await page.keyboard.press('Enter');
  await heading(page, 'Create the owner account').waitFor();
  await page.getByLabel('User name').fill(who.owner);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByLabel('Confirm password').fill(who.password);
  await page.keyboard.press('Enter');
  await heading(page, 'Name your Hearth').waitFor();
  await page.getByLabel('Name', { exact: true }).fill(who.name);
  await page.keyboard.press('Enter');
  await heading(page, 'Choose a model').waitFor();
  await page.getByRole('radio', { name: /Demo model/ }).waitFor();
  await page.getByRole('button', { name: 'Skip for now' }).click();
  await heading(page, 'Share folders').waitFor();
  await page.waitForURL((url) => url.pathname === '/setup/shares');
}

/** Sign in through the page, as the owner, and wait for the dashboard. */
export async function signIn(page: Page, url: string, who: { owner: string; password: string }): Promise<void> {
  await page.goto(`${url}/`);
  await heading(page, 'Sign in').waitFor();
  await page.getByLabel('User name').fill(who.owner);
  await page.getByLabel('Password').fill(who.password);
  await page.keyboard.press('Enter');
  await heading(page, 'Dashboard').waitFor();
}

/**
 * A daemon already set up through the control socket (no wizard), without Samba, for tests of
 * the pages behind sign-in. The browser contexts pushed onto `contexts` are closed, and the
 * daemon stopped and its data removed, when the test ends.
 */
export async function setUpDaemon(t: TestContext, who: { owner: string; password: string; name: string }): Promise<{ d: RunningDaemon; contexts: BrowserContext[] }> {
  const d = await startDaemon({ env: { HEARTH_SMB: 'off' } });
  const contexts: BrowserContext[] = [];
  t.after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await d.stop();
    await removeDir(d.dataDir);
  });
  const setup = await controlRequest(d.socketPath, 'POST', '/setup', { owner: who.owner, password: who.password, name: who.name });
  assert.equal(setup.status, 200, JSON.stringify(setup.body));
  return { d, contexts };
}
