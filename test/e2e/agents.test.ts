import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, shooter, watch } from '../helpers/browser.js';
import { controlRequest, removeDir, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { tinyAgentModelPath } from '../helpers/synth-model.js';
import { heading, wizardToShares } from '../helpers/wizard.js';

// Agents in a real browser against a real hearthd with a real (tiny synthetic) model: the wizard
// makes Inbox and Notes and turns on the Librarian and the Briefing; a file
// dropped into Inbox is read and filed, and shows in the Library; the Agents, Library and Activity
// pages and the dashboard's briefing, at 1280 and 375 px.

const OWNER = 'alice';
const PASSWORD = 'correct horse battery';
/** A word no model makes up: the search must find it in the document's text. */
const MARKER = 'zanzibarite';
const DOC = 'water-bill.md';
const DOC_TEXT = `# Water bill, March

Northern Water Company, customer 4471. The amount of 84.20 EUR for the ${MARKER} meter is due on 2026-12-15.
Please pay by bank transfer before the due date. Questions: call Maria Jensen at the service desk.
`;

let browser: Browser | undefined;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});


async function api<T>(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const res = await fetch(`/api${path}`, {
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

interface AgentState {
  id: string;
  enabled: boolean;
  shares: string[];
  counts: { queued: number; running: number; done: number; dead: number };
}

test('agents: the wizard turns them on, a file dropped into Inbox is filed in the Library; the Agents, Library and Activity pages', async (t) => {
  assert.ok(browser, 'the browser did not start');
  const d: RunningDaemon = await startDaemon({ env: { HEARTH_SMB: 'off', HEARTH_AGENT_SETTLE_MS: '300' } });
  const contexts: BrowserContext[] = [];
  t.after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await d.stop();
    await removeDir(d.dataDir);
  });
  // The model, put on the box as the hearth CLI does: the demo-shaped synthetic one, already cached by the other tests.
  assert.equal((await controlRequest(d.socketPath, 'POST', '/models/add', { path: await tinyAgentModelPath(), id: 'tiny' })).status, 200);
  assert.equal((await controlRequest(d.socketPath, 'POST', '/models/use', { id: 'tiny' })).status, 200);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const w = await watch(context, page);
  const shot = shooter(page, 'agents', 1280, 800);

  // The wizard: claim, owner, name; the model is on the box already.
  await wizardToShares(page, d, { owner: OWNER, password: PASSWORD, name: 'Study Hearth' });
  assert.ok(await page.getByRole('checkbox', { name: 'Inbox' }).isChecked());
  await page.getByRole('button', { name: 'Continue' }).click();
  await heading(page, 'Your folders are ready').waitFor();
  await page.getByRole('button', { name: 'Continue' }).click();

  // Agents: both on to begin with, focus on the first switch; Enter continues.
  await heading(page, 'Turn on agents').waitFor();
  await page.waitForURL((u) => u.pathname === '/setup/agents');
  assert.ok(await page.getByText('Step 7 of 8').isVisible());
  const librarian = page.getByRole('switch', { name: 'Librarian for your Inbox' });
  const briefing = page.getByRole('switch', { name: 'Morning briefing' });
  assert.ok(await librarian.isChecked(), 'the Librarian is on to begin with');
  assert.ok(await briefing.isChecked(), 'the Briefing is on to begin with');
  await page.waitForFunction(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return el?.id === 'agent-librarian';
  });
  await page.getByText('Reads each document you drop in Inbox and files a summary, tags and to-dos in your Library.').waitFor();
  await page.getByText('At 07:00, a one-page summary of what arrived, open to-dos and deadlines.').waitFor();
  await shot('wizard-agents-step');
  await page.keyboard.press('Enter');
  await heading(page, "You're all set").waitFor();
  const agentsNow = await api<{ agents: AgentState[] }>(page, 'GET', '/agents');
  const lib = agentsNow.body.agents.find((a) => a.id === 'librarian');
  const brief = agentsNow.body.agents.find((a) => a.id === 'briefing');
  assert.equal(lib?.enabled, true, 'the Librarian is on');
  assert.deepEqual(lib?.shares, ['Inbox'], 'the Librarian watches Inbox');
  assert.equal(brief?.enabled, true, 'the Briefing is on');
  await page.getByRole('button', { name: 'Finish' }).click();

  // The dashboard: no briefing yet, and when the first comes.
  await heading(page, 'Dashboard').waitFor();
  await page.getByTestId('no-briefing').filter({ hasText: 'No briefing yet — the first arrives at 07:00' }).waitFor();
  await page.getByTestId('open-items').filter({ hasText: '0' }).waitFor();
  await shot('dashboard');

  // A document dropped into Inbox (as a computer on the network would) is read and filed.
  await writeFile(join(d.dataDir, 'shares', 'Inbox', DOC), DOC_TEXT);
  await page.getByRole('link', { name: 'Library', exact: true }).click();
  await heading(page, 'Library').waitFor();
  await page.waitForURL((u) => u.pathname === '/library');
  const docs = page.locator('hearth-library-documents');
  const item = docs.locator('li[data-document]').filter({ hasText: `Inbox/${DOC}` });
  // It shows up by itself: the page follows the activity stream.
  await item.waitFor({ timeout: 120_000 });
  await shot('library');

  // Search finds it by a word of its text, marked in the snippet.
  await docs.getByLabel('Search your files').fill(MARKER);
  const hit = docs.locator('ul[aria-label="Search results"] li[data-document]').filter({ hasText: `Inbox/${DOC}` });
  await hit.waitFor();
  await shot('library-search', docs);
  await docs.getByLabel('Search your files').fill('');
  await item.waitFor();

  // Its page: where the file is, what was found.
  await item.locator('h3 a').click();
  await page.waitForURL((u) => /^\/library\/\d+$/.test(u.pathname));
  const doc = page.locator('hearth-library-document');
  await doc.getByRole('link', { name: `Inbox/${DOC}` }).waitFor();
  for (const label of ['Type', 'People', 'Organisations', 'Dates', 'File', 'Note', 'Filed']) await doc.locator('dt', { hasText: label }).first().waitFor();
  await shot('document');
  await page.getByRole('link', { name: 'Library', exact: true }).first().click();
  await heading(page, 'Library').waitFor();

  // Ask your files: an answer from the real model (a synthetic model writes noise, but a real answer comes back).
  await page.locator('hearth-library-ask').getByLabel('Question').fill('When is the water bill due?');
  await page.keyboard.press('Enter');
  await page.locator('hearth-library-ask').getByRole('status').filter({ hasText: 'Reading your files' }).waitFor();
  const answer = page.getByTestId('ask-answer').or(page.locator('hearth-library-ask [role="alert"]'));
  await answer.first().waitFor({ timeout: 120_000 });
  await shot('library-ask', page.locator('hearth-library-ask'));

  // Agents: the Librarian did its run, the Briefing has its next run; Run now queues a job.
  await page.getByRole('link', { name: 'Agents', exact: true }).click();
  await heading(page, 'Agents').waitFor();
  const libCard = page.locator('hearth-agent-card section[data-agent="librarian"]');
  const briefCard = page.locator('hearth-agent-card section[data-agent="briefing"]');
  await libCard.getByTestId('agent-trigger').filter({ hasText: 'When files arrive in Inbox' }).waitFor();
  await briefCard.getByTestId('agent-trigger').filter({ hasText: 'Every day at 07:00' }).waitFor();
  assert.match(await briefCard.getByTestId('agent-next-run').innerText(), /(today|tomorrow) at 07:00/);
  await libCard.locator('summary', { hasText: 'Last runs' }).click();
  const run = libCard.locator('hearth-agent-runs tr[data-run]').first();
  await run.waitFor();
  assert.match(await run.innerText(), new RegExp(`Inbox/${DOC.replace('.', '\\.')}`));
  await page.getByRole('button', { name: /Run now\s+Morning briefing/ }).click();
  await briefCard.getByRole('status').filter({ hasText: /Queued \(job \d+\)/ }).waitFor();
  await shot('agents');

  // A custom agent: made in the dialog (every day at 18:30), shown with its schedule, deleted after asking.
  await page.getByRole('button', { name: 'New agent' }).click();
  const dialog = page.getByRole('dialog', { name: 'New agent' });
  await dialog.getByLabel('Name', { exact: true }).fill('Receipts');
  await dialog.getByLabel('Instructions').fill('Note the shop, the date and the total of each receipt.');
  await dialog.getByLabel('Every day').check();
  await dialog.getByLabel('Time of day').fill('18:30');
  await dialog.getByRole('checkbox', { name: /^Inbox/ }).check();
  await shot('new-agent-dialog', dialog);
  await dialog.getByRole('button', { name: 'Create agent' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const custom = page.locator('hearth-agent-card').filter({ hasText: 'Receipts' });
  await custom.getByTestId('agent-trigger').filter({ hasText: 'Every day at 18:30' }).waitFor();
  await custom.getByRole('button', { name: /Delete\s+Receipts/ }).click();
  await custom.getByRole('button', { name: /Delete agent\s+Receipts/ }).click();
  await custom.waitFor({ state: 'detached' });

  // Pause all agents: the reason shows; resume.
  await page.getByTestId('agents-running').uncheck();
  await page.getByRole('heading', { name: 'Agents are paused' }).waitFor();
  await page.getByTestId('agents-running').check();
  await page.getByRole('heading', { name: 'Agents are running' }).waitFor();

  // Activity: newest first, and live: an entry made now shows without a reload.
  await page.getByRole('link', { name: 'Activity', exact: true }).click();
  await heading(page, 'Activity').waitFor();
  const timeline = page.locator('hearth-page-activity');
  await timeline.locator('li[data-entry]').first().waitFor();
  const ids = await timeline.locator('li[data-entry]').evaluateAll((lis) => lis.map((li) => Number(li.getAttribute('data-entry'))));
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  await api(page, 'PATCH', '/agents/briefing', { paused: true });
  await timeline.locator('li[data-entry]').first().filter({ hasText: 'Morning briefing paused' }).waitFor();
  await api(page, 'PATCH', '/agents/briefing', { paused: false });
  await shot('activity');
  assert.deepEqual(w.problems, [], 'no console errors, CSP violations or unexpected failed requests at 1280x800');

  // The phone: the same pages at 375 px.
  const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
  contexts.push(phone);
  phone.setDefaultTimeout(15_000);
  const p = await phone.newPage();
  const pw = await watch(phone, p);
  const phoneShot = shooter(p, 'agents', 375, 812);
  await p.goto(`${d.url}/agents`);
  await heading(p, 'Sign in').waitFor();
  await p.getByLabel('User name').fill(OWNER);
  await p.getByLabel('Password').fill(PASSWORD);
  await p.keyboard.press('Enter');
  await heading(p, 'Agents').waitFor();
  await p.locator('hearth-agent-card section[data-agent="librarian"]').waitFor();
  await phoneShot('agents');
  await p.locator('hearth-agent-card section[data-agent="librarian"] summary', { hasText: 'Last runs' }).click();
  await p.locator('hearth-agent-card section[data-agent="librarian"] hearth-agent-runs tr[data-run]').first().waitFor();
  await phoneShot('agents-runs', p.locator('hearth-agent-card section[data-agent="librarian"] hearth-agent-runs'));
  await p.goto(`${d.url}/library`);
  await heading(p, 'Library').waitFor();
  await p.locator('hearth-library-documents li[data-document]').first().waitFor();
  await phoneShot('library');
  await p.locator('hearth-library-documents li[data-document] h3 a').first().click();
  await p.locator('hearth-library-document article').waitFor();
  await phoneShot('document');
  await p.goto(`${d.url}/activity`);
  await heading(p, 'Activity').waitFor();
  await p.locator('hearth-page-activity li[data-entry]').first().waitFor();
  await phoneShot('activity');
  await p.goto(`${d.url}/`);
  await heading(p, 'Dashboard').waitFor();
  await p.getByTestId('briefing').waitFor();
  await phoneShot('dashboard');
  assert.deepEqual(pw.problems, [], 'no console errors, CSP violations or unexpected failed requests at 375x812');
});
