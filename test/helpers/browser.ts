import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { ROOT } from './daemon.js';

// What the browser tests (test/e2e) share: Debian's chromium, launched the same way; a watch on the
// page for console errors, CSP violations and unplanned failed requests; numbered screenshots.

export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'test/e2e/screenshots');

/** Check that chromium and the built web UI are there (with a message that says what to do), make the screenshot folder, start the browser. */
export async function launchBrowser(): Promise<Browser> {
  assert.ok(
    existsSync(CHROMIUM),
    `The browser tests need Debian's chromium at ${CHROMIUM}. Install it (as root: apt-get install chromium, or run make test-deps) and run the tests again.`,
  );
  assert.ok(existsSync(join(ROOT, 'ui/dist/index.html')), 'The web UI is not built: run `npm run -s build` first.');
  await mkdir(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface Watch {
  problems: string[];
  /** Answers >= 400 the walk provokes on purpose, as "METHOD /path STATUS". */
  expect(failure: string): void;
}

/** Collect console errors (CSP violations show up there), page errors and failed requests the walk did not provoke. */
export async function watch(context: BrowserContext, page: Page): Promise<Watch> {
  const problems: string[] = [];
  const expected = new Set<string>();
  // Init scripts run outside the page's CSP, so this listener is not itself a violation.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline code'}`);
    });
  });
  page.on('console', (m) => {
    // Failed loads are judged below, by request, against the failures the walk provokes.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of')) {
      problems.push(`console error: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const error = r.failure()?.errorText ?? '?';
    // A reload or navigation cancels loads still in flight (the favicon, the event streams): the browser's doing, not a failure.
    if (error === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${r.method()} ${r.url()} (${error})`);
  });
  page.on('response', (r) => {
    if (r.status() < 400) return;
    const key = `${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`;
    if (!expected.has(key)) problems.push(`unexpected answer: ${key}`);
  });
  return { problems, expect: (failure) => void expected.add(failure) };
}

export interface Shooter {
  /**
   * Check that nothing scrolls sideways, then take the next numbered screenshot.
   * `at`: a viewport-sized shot with that element scrolled into view (long pages on a phone);
   * otherwise the whole page.
   */
  (what: string, at?: Locator): Promise<void>;
  /** The next numbered file, for a shot taken another way (of another page, say), so the numbering runs on. */
  next(what: string): string;
}

export interface ShooterOptions {
  /** Scroll to the top before a whole-page shot, so the sticky header sits where it belongs (the default); false: leave the page where it is. */
  scrollToTop?: boolean;
}

/**
 * Screenshots as <prefix>-<width>x<height>-<nn>-<what>.png in test/e2e/screenshots, or
 * <width>x<height>-<nn>-<what>.png when `prefix` is empty.
 */
export function shooter(page: Page, prefix: string, width: number, height: number, options: ShooterOptions = {}): Shooter {
  const scrollToTop = options.scrollToTop ?? true;
  let n = 0;
  const next = (what: string): string => {
    n += 1;
    return join(SHOTS, `${prefix ? `${prefix}-` : ''}${width}x${height}-${String(n).padStart(2, '0')}-${what}.png`);
  };
  const shot = async (what: string, at?: Locator): Promise<void> => {
    await page.evaluate(() => document.fonts.ready);
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= width, `${what}: the page scrolls sideways at ${width} px (scrollWidth ${scrollWidth})`);
    const path = next(what);
    if (at) {
      await at.evaluate((el) => el.scrollIntoView({ block: 'start' }));
      // Below the sticky header, which would cover the top of the element.
      await page.evaluate(() => window.scrollBy(0, -80));
      await page.screenshot({ path });
    } else {
      if (scrollToTop) await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path, fullPage: true });
    }
  };
  return Object.assign(shot, { next });
}
