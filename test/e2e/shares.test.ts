import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, shooter, watch, type Shooter, type Watch } from '../helpers/browser.js';
import { controlRequest, freePort, removeDir, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { heading, wizardToShares } from '../helpers/wizard.js';

// Shares in a real browser against a real hearthd (and its own smbd when Samba is installed): the
// wizard's Share folders step, then the Shares page's file browser: upload, download, new folder,
// delete, a file arriving from elsewhere, rename, the folder password and removing a share.

const OWNER = 'alice';
const PASSWORD = 'correct horse battery';
const SMB_PASSWORD = 'folders-for-alice';

let browser: Browser | undefined;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

interface Walk {
  d: RunningDaemon;
  page: Page;
  w: Watch;
  shot: Shooter;
  factory: string;
  smbState: string;
}

/** A hearthd with its own smbd on a free port (tests run side by side), a browser at `width`x`height`. */
async function begin(t: { after: (fn: () => Promise<void>) => void }, width: number, height: number, env: Record<string, string> = {}): Promise<Walk> {
  assert.ok(browser, 'the browser did not start');
  const d = await startDaemon({ env: { HEARTH_SMB: 'private', HEARTH_SMB_PORT: String(await freePort()), ...env } });
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  t.after(async () => {
    await context.close().catch(() => undefined);
    await d.stop();
    await removeDir(d.dataDir);
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const w = await watch(context, page);
  const state = (await (await fetch(`${d.url}/api/setup/state`)).json()) as { device: { factoryHostname: string } };
  return { d, page, w, shot: shooter(page, 'shares', width, height), factory: state.device.factoryHostname, smbState: '' };
}


/** Claim, owner, name and model (skipped): up to the Share folders step. */
const toShares = (walk: Walk) => wizardToShares(walk.page, walk.d, { owner: OWNER, password: PASSWORD, name: 'Den Hearth' });

async function sharesApi<T>(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const res = await fetch(`/api/shares${path}`, {
        method,
        credentials: 'same-origin',
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    },
    { method, path, body },
  );
}

test('shares: the wizard step makes Inbox and Notes and sets the folder password; the Shares page uploads, downloads, makes folders, deletes', async (t) => {
  const walk = await begin(t, 1280, 800);
  const { d, page, w, shot, factory } = walk;
  await toShares(walk);

  // The step: Inbox and Notes proposed and ticked, focus on the first; the password rule shown.
  const inbox = page.getByRole('checkbox', { name: 'Inbox' });
  const notes = page.getByRole('checkbox', { name: 'Notes' });
  assert.ok(await inbox.isChecked(), 'Inbox is ticked to begin with');
  assert.ok(await notes.isChecked(), 'Notes is ticked to begin with');
  await page.waitForFunction(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return el?.id === 'share-inbox';
  });
  const overview = await sharesApi<{ smb: { state: string } }>(page, 'GET', '');
  walk.smbState = overview.body.smb.state;
  const samba = walk.smbState !== 'not-installed' && walk.smbState !== 'off';
  if (samba) {
    assert.ok(await page.getByText('Use at least 8 characters').isVisible(), 'the password rule is shown');
    // Reached in this visit, right after choosing the web password: the step offers to reuse it.
    assert.ok(await page.getByLabel('Use the same password as for this web page').isVisible());
    // Too short: refused next to the field, before anything is made.
    await page.getByLabel('Folder password').fill('short');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'too short' }).waitFor();
    assert.equal(await page.getByLabel('Folder password').getAttribute('aria-invalid'), 'true');
    assert.equal((await sharesApi<{ shares: unknown[] }>(page, 'GET', '')).body.shares.length, 0, 'nothing made after a refused password');
    await page.getByLabel('Folder password').fill(SMB_PASSWORD);
  } else {
    await page.getByTestId('smb-missing').waitFor();
  }
  await shot('wizard-share-step');
  await page.getByRole('button', { name: 'Continue' }).click();

  // The connection instructions, with the box's name (without Samba: the folders, and why computers cannot connect).
  await heading(page, samba ? 'Connect from your computers' : 'Your folders are ready').waitFor();
  const addresses = page.locator('hearth-step-shares section[data-share="Inbox"] hearth-share-connect');
  if (samba) {
    const mac = await addresses.locator('li[data-os="macos"] .address').innerText();
    assert.match(mac, new RegExp(`^smb://${factory}\\.local(:\\d+)?/Inbox$`), 'the macOS address names the box');
    assert.equal(await page.getByTestId('smb-username').innerText(), OWNER);
    await page.locator('hearth-step-shares section[data-share="Notes"]').waitFor();
    // Copy puts the address on the clipboard.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: d.url });
    await addresses.getByRole('button', { name: /Copy the macOS address of Inbox/ }).click();
    await addresses.locator('li[data-os="macos"] button').filter({ hasText: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), mac);
  }
  const after = await sharesApi<{ shares: { name: string; agents: string; network: boolean }[]; smb: { passwordSet: boolean } }>(page, 'GET', '');
  assert.deepEqual(
    after.body.shares.map((s) => [s.name, s.agents, s.network]).sort(),
    [
      ['Inbox', 'read', true],
      ['Notes', 'read-write', true],
    ],
  );
  if (samba) assert.equal(after.body.smb.passwordSet, true, 'the folder password is set');
  await shot('wizard-connect');
  await page.getByRole('button', { name: 'Continue' }).click();
  await heading(page, 'Turn on agents').waitFor();
  await page.getByRole('button', { name: 'Skip for now' }).click();

  await heading(page, "You're all set").waitFor();
  await page.getByTestId('summary-shares').filter({ hasText: 'Inbox, Notes' }).waitFor();
  await page.getByRole('button', { name: 'Finish' }).click();
  await heading(page, 'Dashboard').waitFor();

  // The Shares page, from the main navigation.
  await page.getByRole('link', { name: 'Shares' }).click();
  await heading(page, 'Shares').waitFor();
  await page.waitForURL((url) => url.pathname === '/shares');
  const card = page.locator('hearth-share-card').filter({ has: page.locator('section[data-share="Inbox"]') });
  await card.waitFor();
  await page.locator('hearth-share-card').filter({ has: page.locator('section[data-share="Notes"]') }).waitFor();
  await shot('page');

  // Upload through the file input: listed, on disk, and downloaded byte for byte.
  await card.getByRole('button', { name: 'Browse files of Inbox' }).click();
  const files = card.locator('hearth-share-browser');
  await files.getByText('This folder is empty').waitFor();
  const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7 + 3) % 256));
  await files.locator('input[type="file"]').setInputFiles({ name: 'report 2025.bin', mimeType: 'application/octet-stream', buffer: bytes });
  const link = files.getByRole('link', { name: 'report 2025.bin', exact: true });
  await link.waitFor();
  const onDisk = join(d.dataDir, 'shares', 'Inbox', 'report 2025.bin');
  assert.deepEqual(await readFile(onDisk), bytes, 'the uploaded file is on disk, whole');
  // The usage follows by itself (hearthd measures again and tells the page over its event stream).
  await card.locator('.facts').filter({ hasText: '1 file, 300 kB' }).waitFor({ timeout: 15_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.equal(download.suggestedFilename(), 'report 2025.bin');
  const downloaded = await download.path();
  assert.deepEqual(await readFile(downloaded), bytes, 'the download has the same bytes');

  // A slow upload shows its progress (the browser's upload throttled to 1 MB/s), then lands.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1_000_000 });
  await files.locator('input[type="file"]').setInputFiles({ name: 'slow.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(3_000_000, 1) });
  const progress = files.getByRole('progressbar', { name: 'Uploading slow.bin' });
  await page.waitForFunction(
    (el) => Number(el?.getAttribute('value')) > 0,
    await progress.elementHandle(),
  );
  await shot('uploading', card);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await files.getByRole('link', { name: 'slow.bin', exact: true }).waitFor({ timeout: 30_000 });
  await progress.waitFor({ state: 'detached' });
  assert.equal((await stat(join(d.dataDir, 'shares', 'Inbox', 'slow.bin'))).size, 3_000_000);

  // New folder; open it; back by the breadcrumb.
  await files.getByRole('button', { name: 'New folder' }).click();
  await files.getByLabel('New folder name').fill('Letters');
  await page.keyboard.press('Enter');
  const folder = files.getByRole('button', { name: 'Letters', exact: true });
  await folder.waitFor();
  assert.ok((await stat(join(d.dataDir, 'shares', 'Inbox', 'Letters'))).isDirectory());
  // Folders first.
  assert.deepEqual(await files.locator('ul.files > li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-entry'))), ['Letters', 'report 2025.bin', 'slow.bin']);
  await shot('file-browser', card);
  await folder.click();
  await files.getByText('This folder is empty').waitFor();
  // A file that arrives another way (over SMB, by an agent) shows up by itself.
  await writeFile(join(d.dataDir, 'shares', 'Inbox', 'Letters', 'from-elsewhere.txt'), 'dropped in\n');
  await files.getByRole('link', { name: 'from-elsewhere.txt', exact: true }).waitFor({ timeout: 15_000 });
  await files.getByRole('button', { name: 'Inbox', exact: true }).click();
  await link.waitFor();

  // Delete asks first, then the file is gone from the list and the disk.
  await files.getByRole('button', { name: 'Delete report 2025.bin' }).click();
  await shot('delete-confirm', card);
  await files.getByRole('button', { name: 'Yes, delete report 2025.bin' }).click();
  await link.waitFor({ state: 'detached' });
  assert.equal(existsSync(onDisk), false, 'the file is deleted on disk');

  // Settings: Notes read-only over the network.
  const notesCard = page.locator('hearth-share-card').filter({ has: page.locator('section[data-share="Notes"]') });
  await notesCard.locator('summary', { hasText: 'Settings' }).click();
  await notesCard.getByLabel('Read-only for computers').check();
  await notesCard.getByRole('button', { name: 'Save settings' }).click();
  await notesCard.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
  const notesNow = await sharesApi<{ shares: { name: string; readOnly: boolean }[] }>(page, 'GET', '');
  assert.equal(notesNow.body.shares.find((s) => s.name === 'Notes')?.readOnly, true);

  // Rename Notes to Journal.
  await notesCard.getByRole('button', { name: 'Rename Notes' }).click();
  await notesCard.getByLabel('New name for Notes').fill('Journal');
  await page.keyboard.press('Enter');
  const journal = page.locator('hearth-share-card').filter({ has: page.locator('section[data-share="Journal"]') });
  await journal.waitFor();

  // Remove it, keeping the files (the default).
  await journal.getByRole('button', { name: 'Remove Journal' }).click();
  const dialog = journal.getByRole('dialog');
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel(/Also delete the files/).isChecked(), false, 'keeping the files is the default');
  await dialog.getByLabel(/Also delete the files/).check();
  assert.ok(await dialog.getByRole('button', { name: 'Remove and delete files' }).isDisabled(), 'deleting files needs the name typed');
  await shot('remove-dialog', journal);
  await dialog.getByLabel(/Also delete the files/).uncheck();
  await dialog.getByRole('button', { name: 'Remove share' }).click();
  await journal.waitFor({ state: 'detached' });
  assert.ok((await sharesApi<{ shares: { name: string }[] }>(page, 'GET', '')).body.shares.every((s) => s.name !== 'Journal'));

  // Change the folder password.
  if (samba) {
    await page.getByRole('button', { name: 'Change folder password' }).click();
    await page.getByLabel('New folder password').fill('another-folder-password');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Folder password saved' }).waitFor();
  }
  await shot('page-after');

  assert.deepEqual(w.problems, [], 'no console errors, CSP violations or unexpected failed requests');
});

test('shares at 375x812: the step and the Shares page on a phone', async (t) => {
  const walk = await begin(t, 375, 812);
  const { page, w, shot } = walk;
  await toShares(walk);
  await page.getByLabel(/Another folder/).fill('Scans');
  const samba = !(await page.getByTestId('smb-missing').isVisible());
  if (samba) await page.getByLabel('Use the same password as for this web page').check();
  await shot('wizard-share-step');
  await page.getByRole('button', { name: 'Continue' }).click();
  await heading(page, samba ? 'Connect from your computers' : 'Your folders are ready').waitFor();
  const made1 = await sharesApi<{ shares: { name: string }[]; smb: { passwordSet: boolean } }>(page, 'GET', '');
  assert.deepEqual(made1.body.shares.map((s) => s.name).sort(), ['Inbox', 'Notes', 'Scans']);
  if (samba) assert.equal(made1.body.smb.passwordSet, true, 'the web password was taken for the folders too');
  await shot('wizard-connect');
  await page.getByRole('button', { name: 'Continue' }).click();
  await heading(page, 'Turn on agents').waitFor();
  await page.getByRole('button', { name: 'Skip for now' }).click();
  await heading(page, "You're all set").waitFor();
  await page.getByRole('button', { name: 'Finish' }).click();
  await heading(page, 'Dashboard').waitFor();

  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('link', { name: 'Shares' }).click();
  await heading(page, 'Shares').waitFor();
  const scans = page.locator('hearth-share-card').filter({ has: page.locator('section[data-share="Scans"]') });
  await scans.waitFor();
  await shot('page');
  await scans.getByRole('button', { name: 'Browse files of Scans' }).click();
  const files = scans.locator('hearth-share-browser');
  await files.locator('input[type="file"]').setInputFiles({ name: 'scan-0001.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 not really\n') });
  await files.getByRole('link', { name: 'scan-0001.pdf', exact: true }).waitFor();
  await files.getByRole('button', { name: 'New folder' }).click();
  await files.getByLabel('New folder name').fill('2025');
  await page.keyboard.press('Enter');
  await files.getByRole('button', { name: '2025', exact: true }).waitFor();
  await shot('file-browser', scans);
  if (samba) {
    await scans.locator('summary', { hasText: 'Connect from a computer' }).click();
    await shot('connect', scans.locator('details.connect'));
  }

  // A share on a folder that vanishes (a USB disk pulled): reported on its card, not browsable.
  const usb = await mkdtemp(join(tmpdir(), 'hearth-usb-'));
  t.after(() => rm(usb, { recursive: true, force: true }));
  const made = await sharesApi<{ name: string }>(page, 'POST', '', { name: 'USB', path: usb });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  await rm(usb, { recursive: true, force: true });
  await page.reload();
  const usbCard = page.locator('hearth-share-card').filter({ has: page.locator('section[data-share="USB"]') });
  await usbCard.getByText('Folder missing').waitFor();
  await usbCard.getByRole('alert').waitFor();
  assert.equal(await usbCard.getByRole('button', { name: /Browse files/ }).count(), 0, 'a missing folder cannot be browsed');
  await shot('folder-missing', usbCard);
  assert.deepEqual(w.problems, [], 'no console errors, CSP violations or unexpected failed requests');
});

test('shares without Samba: the step says so plainly, the folders are still made, the page says why computers cannot connect', async (t) => {
  // Samba looked for in an empty folder: as on a box without it.
  const empty = await mkdtemp(join(tmpdir(), 'hearth-no-samba-'));
  t.after(() => rm(empty, { recursive: true, force: true }));
  const walk = await begin(t, 1280, 800, { HEARTH_SAMBA_DIR: empty });
  const { page, w, shot } = walk;
  await toShares(walk);
  const missing = page.getByTestId('smb-missing');
  await missing.waitFor();
  assert.match(await missing.innerText(), /not installed/);
  assert.equal(await page.getByLabel('Folder password').count(), 0, 'no password to set without Samba');
  await shot('no-samba-step');
  await page.keyboard.press('Enter');
  await heading(page, 'Your folders are ready').waitFor();
  const made = await sharesApi<{ shares: { name: string }[]; smb: { state: string } }>(page, 'GET', '');
  assert.equal(made.body.smb.state, 'not-installed');
  assert.deepEqual(made.body.shares.map((s) => s.name).sort(), ['Inbox', 'Notes']);
  await shot('no-samba-ready');
  await page.getByRole('button', { name: 'Continue' }).click();
  await heading(page, 'Turn on agents').waitFor();
  await page.getByRole('button', { name: 'Skip for now' }).click();
  await heading(page, "You're all set").waitFor();
  await page.getByRole('button', { name: 'Finish' }).click();
  await heading(page, 'Dashboard').waitFor();
  await page.getByRole('link', { name: 'Shares' }).click();
  await heading(page, 'Shares').waitFor();
  await page.getByTestId('smb-state').filter({ hasText: 'Samba is not installed' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /folder password/ }).count(), 0);
  // The files still work through the web page.
  const inbox = page.locator('hearth-share-card').filter({ has: page.locator('section[data-share="Inbox"]') });
  await inbox.getByRole('button', { name: 'Browse files of Inbox' }).click();
  await inbox.locator('input[type="file"]').setInputFiles({ name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('hi\n') });
  await inbox.getByRole('link', { name: 'note.txt', exact: true }).waitFor();
  await shot('no-samba-page');
  assert.deepEqual(w.problems, [], 'no console errors, CSP violations or unexpected failed requests');
});
