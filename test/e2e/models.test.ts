import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchBrowser, shooter, watch } from '../helpers/browser.js';
import { ROOT, controlRequest, removeDir, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { ModelServer, sha256Hex } from '../helpers/model-server.js';
import { tinyModelPath } from '../helpers/synth-model.js';

// Models in a real browser against a real hearthd: the wizard's model step with a download from a
// loopback "hub", progress on every page, the Models page (install, use, remove, keep-alive, tokens,
// a custom address), and a chat with the active model streamed from the real inference worker.

const OWNER = 'alice';
const PASSWORD = 'correct horse battery';
const TINY = 'Tiny Test Chat';
const SPARE = 'Tiny Spare';
const GIANT = 'Giant Test 4000T';
/** Bytes per second the loopback hub sends the wizard's model at: about 2.5 s for the tiny model. */
const TRICKLE = 220_000;

let browser: Browser | undefined;
let hub: ModelServer | undefined;
let catalogDir = '';
let tiny: Buffer;

before(async () => {
  browser = await launchBrowser();
  tiny = await readFile(await tinyModelPath());
  hub = await ModelServer.start();
});

after(async () => {
  await browser?.close();
  await hub?.close();
  if (catalogDir) await removeDir(catalogDir);
});

/** A catalog in the built-in one's schema: the demo, two tiny models on the loopback hub, and one that fits no machine. */
async function writeCatalog(server: ModelServer): Promise<string> {
  const builtIn = JSON.parse(await readFile(join(ROOT, 'appliance/src/models/catalog/catalog.json'), 'utf8')) as { models: { id: string }[] };
  const demo = builtIn.models.find((m) => m.id === 'demo');
  assert.ok(demo, 'the built-in catalog has the demo model');
  const sha256 = sha256Hex(tiny);
  const architecture = { vocab: 768, layers: 2, heads: 4, kvHeads: 2, headDim: 32, slidingWindow: null, fullAttentionLayers: null };
  const tinyEntry = (id: string, name: string, path: string, summary: string) => ({
    id,
    name,
    family: 'test',
    summary,
    source: 'huggingface',
    parameters: 492160,
    quantization: 'Q8_0',
    files: [{ url: server.url(path), sizeBytes: tiny.length, sha256 }],
    sizeBytes: tiny.length,
    sizeVerified: true,
    licence: { name: 'Test licence', url: null },
    contextLength: 1024,
    architecture,
  });
  const giantBytes = 4_000_000_000_000_000;
  const catalog = {
    version: 1,
    notes: 'The browser test catalog: models on a loopback server.',
    models: [
      demo,
      tinyEntry('tiny-chat', TINY, '/hub/tiny-chat.gguf', 'A tiny synthetic model served from this machine: it answers in noise, quickly.'),
      tinyEntry('tiny-spare', SPARE, '/hub/tiny-spare.gguf', 'The same tiny model under another name, served slowly, to pause and cancel.'),
      {
        ...tinyEntry('giant-test', GIANT, '/hub/giant.gguf', 'A model far larger than any machine, to show what does not fit.'),
        parameters: giantBytes,
        files: [{ url: server.url('/hub/giant.gguf'), sizeBytes: giantBytes, sha256: null }],
        sizeBytes: giantBytes,
        architecture: null,
      },
    ],
  };
  catalogDir = await mkdtemp(join(tmpdir(), 'hearth-catalog-'));
  const path = join(catalogDir, 'catalog.json');
  await writeFile(path, JSON.stringify(catalog, null, 2));
  return path;
}

/**
 * A file host for the "model from an address" check: the fit checker reads a model's header with
 * closed ranges (bytes=0-7, then the header's span), which the loopback ModelServer does not answer.
 */
async function rangeHost(path: string, body: Buffer): Promise<{ url: string; close: () => Promise<void> }> {
  const sha256 = sha256Hex(body);
  const server: Server = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== path) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
    const headers = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', 'x-linked-etag': `"${sha256}"`, 'x-linked-size': String(body.length) };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (!range) return void res.writeHead(200, { ...headers, 'content-length': body.length }).end(req.method === 'HEAD' ? undefined : body);
    const start = Number(range[1]);
    const end = Math.min(range[2] ? Number(range[2]) : body.length - 1, body.length - 1);
    if (start > end) return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
    res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${body.length}`, 'content-length': end - start + 1 });
    res.end(req.method === 'HEAD' ? undefined : body.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

test('models: choose one in the wizard, watch it download, chat with it; demo, tokens, an address, and the phone layout', async (t) => {
  assert.ok(browser && hub, 'the browser or the loopback hub did not start');
  const server = hub;
  const catalogPath = await writeCatalog(server);
  server.serve('/hub/tiny-chat.gguf', { body: tiny, fault: { trickle: TRICKLE } });
  server.serve('/hub/tiny-spare.gguf', { body: tiny, fault: { trickle: 40_000 } });
  const customHost = await rangeHost('/custom/tiny-custom.gguf', tiny);
  t.after(() => customHost.close());

  const d: RunningDaemon = await startDaemon({ env: { HEARTH_CATALOG: catalogPath, HEARTH_ALLOW_LOOPBACK_HTTP: '1' } });
  const contexts: BrowserContext[] = [];
  t.after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await d.stop();
    await removeDir(d.dataDir);
  });
  const code = (await controlRequest<{ setupCode: string }>(d.socketPath, 'GET', '/setup-code')).body.setupCode;

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const w = await watch(context, page);
  const shot = shooter(page, 'models', 1280, 800);
  const heading = (name: string | RegExp) => page.getByRole('heading', { name, level: 1 });

  // The wizard up to the new step.
  await page.goto(`${d.url}/`);
  await page.getByRole('button', { name: 'Get started' }).click();
  await page.getByLabel('Setup code').fill(code);
  await page.keyboard.press('Enter');
  await heading('Create the owner account').waitFor();
  await page.getByLabel('User name').fill(OWNER);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.keyboard.press('Enter');
  await heading('Name your Hearth').waitFor();
  await page.getByLabel('Name', { exact: true }).fill('Test Hearth');
  await page.keyboard.press('Enter');

  // Choose a model: the recommendation first and chosen, the demo offered, the giant disabled until overridden.
  await heading('Choose a model').waitFor();
  await page.waitForURL((u) => u.pathname === '/setup/model');
  assert.ok(await page.getByText('Step 5 of 8').isVisible());
  const tinyRadio = page.getByRole('radio', { name: new RegExp(TINY) });
  await tinyRadio.waitFor();
  assert.ok(await tinyRadio.isChecked(), 'the recommended model is chosen to begin with');
  const options = await page.locator('hearth-step-model .option label').allTextContents();
  assert.match(options[0] ?? '', new RegExp(`${TINY}\\s+Recommended`), 'the recommended model comes first');
  assert.match(options[1] ?? '', /Demo model/, 'the demo model is offered next');
  const firstOption = page.locator('hearth-step-model .option').first();
  assert.match(await firstOption.innerText(), /Fits — about [\d.]+ (MB|GB) of [\d.]+ GB usable/);
  assert.match(await firstOption.innerText(), /Test licence/);
  await page.getByText('Other models (2)').click();
  const giantRadio = page.getByRole('radio', { name: new RegExp(GIANT) });
  assert.ok(await giantRadio.isDisabled(), 'a model that does not fit cannot be chosen');
  assert.match(await page.locator('hearth-step-model .option.disabled').innerText(), /Too big for this box — needs about [\d.,]+ TB, [\d.]+ GB usable/);
  await page.getByLabel('Download anyway (it will not be loaded on this box)').check();
  assert.ok(await giantRadio.isEnabled(), 'the override makes it choosable');
  await page.getByLabel('Download anyway (it will not be loaded on this box)').uncheck();
  await shot('wizard-model-step');
  await tinyRadio.focus();
  await page.keyboard.press('Enter');

  // Share folders and Agents (their own tests cover them): skipped; the download's progress shows here too.
  await heading('Share folders').waitFor();
  await page.getByRole('button', { name: 'Skip for now' }).click();
  await heading('Turn on agents').waitFor();
  await page.getByRole('button', { name: 'Skip for now' }).click();

  // Finish: the download goes on in the background, with its progress in the footer.
  await heading("You're all set").waitFor();
  const pill = page.getByTestId('download-status');
  const percent = new RegExp(`Downloading ${TINY} — [1-9]\\d? % · `);
  await pill.filter({ hasText: percent }).waitFor();
  // A reload lands on the same step, and the progress comes back from the event stream.
  await page.reload();
  await heading("You're all set").waitFor();
  await pill.filter({ hasText: percent }).waitFor();
  assert.match(await page.getByTestId('summary-model').innerText(), new RegExp(TINY));
  await shot('wizard-finish-downloading');
  // Back (past Agents and Share folders) shows the choice under way (or done by now); Continue goes on without a second download.
  await page.getByRole('button', { name: 'Back' }).click();
  await heading('Turn on agents').waitFor();
  await page.getByRole('button', { name: 'Back' }).click();
  await heading('Share folders').waitFor();
  await page.getByRole('button', { name: 'Back' }).click();
  await heading('Choose a model').waitFor();
  await page.locator('hearth-step-model .banner').filter({ hasText: TINY }).waitFor();
  assert.ok(await tinyRadio.isChecked(), 'the model on its way stays chosen');
  await page.getByRole('button', { name: 'Continue' }).click();
  await heading('Share folders').waitFor();
  await page.getByRole('button', { name: 'Skip for now' }).click();
  await heading('Turn on agents').waitFor();
  await page.getByRole('button', { name: 'Skip for now' }).click();
  await heading("You're all set").waitFor();
  await page.getByRole('button', { name: 'Finish' }).click();
  await heading('Dashboard').waitFor();

  // Models: the model is installed and active once downloaded, and the worker loads it.
  await page.getByRole('link', { name: 'Models' }).click();
  await heading('Models').waitFor();
  await page.waitForURL((u) => u.pathname === '/models');
  const installed = page.locator('hearth-models-installed');
  await installed.locator('li[data-model="tiny-chat"]').filter({ hasText: 'Active' }).waitFor({ timeout: 20_000 });
  await page.getByTestId('active-model').filter({ hasText: TINY }).waitFor();
  await page.getByTestId('worker-state').filter({ hasText: 'Loaded and ready' }).waitFor({ timeout: 30_000 });
  assert.ok(server.bodyRequests('/hub/tiny-chat.gguf').length >= 1, 'the model came from the loopback hub');
  await shot('installed-and-loaded');

  // Chat: Enter sends; the answer streams in.
  const message = page.getByLabel('Message');
  await message.fill('Say hello to the kitchen.');
  await message.press('Enter');
  const answer = page.getByTestId('chat-answer');
  await answer.filter({ hasText: /\S/ }).waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Send' }).and(page.locator(':enabled')).waitFor({ timeout: 30_000 });
  assert.ok((await answer.innerText()).length > 0, 'the model answered with some text');
  assert.ok(await page.getByText('Say hello to the kitchen.').isVisible(), 'the question stays in the conversation');
  await shot('chat');

  // The demo model installs at once; "Use" makes it the active one.
  const catalog = page.locator('hearth-models-catalog');
  await catalog.getByRole('button', { name: /Install\s+Demo model/ }).click();
  await installed.locator('li[data-model="demo"]').waitFor();
  await installed.getByRole('button', { name: /Use\s+Demo model/ }).click();
  await installed.locator('li[data-model="demo"]').filter({ hasText: 'Active' }).waitFor();
  await page.getByTestId('active-model').filter({ hasText: 'Demo model' }).waitFor();
  await page.getByTestId('worker-state').filter({ hasText: 'Loaded and ready' }).waitFor({ timeout: 30_000 });

  // Remove the tiny model: it asks first.
  await installed.getByRole('button', { name: new RegExp(`Remove\\s+${TINY}`) }).click();
  await installed.getByText(`Remove ${TINY}?`).waitFor();
  await installed.getByRole('button', { name: new RegExp(`Remove model\\s+${TINY}`) }).click();
  await installed.locator('li[data-model="tiny-chat"]').waitFor({ state: 'detached' });

  // Keep-alive: 0 keeps it loaded.
  await page.getByLabel('Keep loaded after use (minutes)').fill('0');
  await page.getByLabel('Keep loaded after use (minutes)').press('Enter');
  await page.getByRole('status').filter({ hasText: 'The model stays loaded' }).waitFor();

  // A model from an address: check shows the verdict, then it downloads and installs.
  const custom = catalog.locator('hearth-model-url');
  await custom.getByText('Use a model from another address').click();
  await custom.getByLabel('Address of a .gguf file').fill(customHost.url);
  await custom.getByLabel('Address of a .gguf file').press('Enter');
  await custom.getByText(/Fits — about/).waitFor();
  await shot('custom-address-checked');
  await custom.getByRole('button', { name: 'Download this model' }).click();
  await installed.locator('li').filter({ hasText: /tiny-custom|localhost|127\.0\.0\.1/ }).first().waitFor({ timeout: 20_000 });

  // API tokens: made, shown once, usable, revoked.
  const tokens = page.locator('hearth-models-tokens');
  await tokens.getByLabel('New token for').fill('Test app');
  await tokens.getByLabel('New token for').press('Enter');
  const secret = tokens.getByLabel('Token for Test app');
  await secret.waitFor();
  const token = await secret.inputValue();
  assert.match(token, /^hth_/);
  await tokens.getByRole('button', { name: 'Copy' }).click();
  await tokens.getByText(/Copied|Could not copy/).waitFor();
  const withToken = await fetch(`${d.url}/v1/models`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(withToken.status, 200, 'the new token opens the API');
  await shot('token-created');
  await tokens.getByRole('button', { name: /Revoke\s+Test app/ }).click();
  await tokens.getByRole('button', { name: /Revoke token\s+Test app/ }).click();
  await tokens.getByText('No tokens yet.').waitFor();
  const revoked = await fetch(`${d.url}/v1/models`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(revoked.status, 401, 'a revoked token is refused');
  assert.deepEqual(w.problems, [], 'no console errors, CSP violations or unexpected failed requests at 1280x800');

  // The phone: sign in, straight to Models; a slow download shows in the header, pauses, resumes and is cancelled.
  const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
  contexts.push(phone);
  phone.setDefaultTimeout(15_000);
  const p = await phone.newPage();
  const pw = await watch(phone, p);
  const phoneShot = shooter(p, 'models', 375, 812);
  await p.goto(`${d.url}/models`);
  await p.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  await p.getByLabel('User name').fill(OWNER);
  await p.getByLabel('Password').fill(PASSWORD);
  await p.keyboard.press('Enter');
  await p.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
  await p.waitForURL((u) => u.pathname === '/models');
  await p.getByTestId('worker-state').filter({ hasText: 'Loaded and ready' }).waitFor({ timeout: 30_000 });
  await phoneShot('models-page-top', p.locator('hearth-page-models h1'));
  await phoneShot('models-page-catalog', p.locator('hearth-models-catalog'));
  await phoneShot('models-page-full');

  await p.locator('hearth-models-catalog').getByRole('button', { name: new RegExp(`Download\\s+${SPARE}`) }).click();
  const phonePill = p.locator('hearth-main').getByTestId('download-status');
  await phonePill.filter({ hasText: new RegExp(`Downloading ${SPARE} — \\d+ %`) }).waitFor();
  const downloads = p.locator('hearth-models-downloads');
  await downloads.getByRole('progressbar', { name: `Download of ${SPARE}` }).waitFor();
  await phoneShot('downloading', p.locator('hearth-models-chat'));
  await downloads.getByRole('button', { name: new RegExp(`Pause\\s+${SPARE}`) }).click();
  await phonePill.filter({ hasText: new RegExp(`${SPARE} paused at`) }).waitFor();
  await downloads.getByRole('button', { name: new RegExp(`Resume\\s+${SPARE}`) }).click();
  await phonePill.filter({ hasText: new RegExp(`Downloading ${SPARE}`) }).waitFor();
  await downloads.getByRole('button', { name: new RegExp(`Cancel\\s+${SPARE}`) }).click();
  await downloads.getByText(`Cancel the download of ${SPARE}?`).waitFor();
  await phoneShot('cancel-confirm', downloads);
  await downloads.getByRole('button', { name: new RegExp(`Cancel download\\s+${SPARE}`) }).click();
  await downloads.waitFor({ state: 'detached' });
  await phonePill.waitFor({ state: 'detached' });

  // The chat works on the phone too.
  await p.getByLabel('Message').fill('Hi');
  await p.getByLabel('Message').press('Enter');
  await p.getByTestId('chat-answer').filter({ hasText: /\S/ }).waitFor({ timeout: 30_000 });
  await p.getByRole('button', { name: 'Send' }).and(p.locator(':enabled')).waitFor({ timeout: 30_000 });
  await phoneShot('chat', p.locator('hearth-models-chat'));
  // The menu still opens over the page.
  await p.getByRole('button', { name: 'Menu' }).click();
  await p.getByRole('link', { name: 'Settings' }).waitFor();
  await phoneShot('menu', p.locator('hearth-main header'));
  assert.deepEqual(pw.problems, [], 'no console errors, CSP violations or unexpected failed requests at 375x812');
});
