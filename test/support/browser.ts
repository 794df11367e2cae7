// Headless Debian Chromium driven by playwright-core (never a downloaded browser).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';

export const CHROMIUM = process.env.GODEPLOY_CHROMIUM || '/usr/bin/chromium';

const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface HeadlessBrowser {
  page: Page;
  /** Console errors and page errors seen so far, for failure reports. */
  errors: string[];
  close(): Promise<void>;
}

export async function openInChromium(url: string, viewport = { width: 1400, height: 900 }): Promise<HeadlessBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'godeploy-chromium-'));
  let context: BrowserContext | undefined;
  let browser: Browser | null = null;
  try {
    // A persistent context gives Chromium its own fresh --user-data-dir.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: chromiumArgs,
      viewport,
      chromiumSandbox: false,
    });
    browser = context.browser();
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`could not start ${CHROMIUM}: ${(err as Error).message}`, { cause: err });
  }
  const ctx = context;
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  return {
    page,
    errors,
    async close() {
      await ctx.close().catch(() => undefined);
      await browser?.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
