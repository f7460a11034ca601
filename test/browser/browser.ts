import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { REPO_ROOT } from '../support/service-process';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Git-ignored: screenshots and measurements for review. */
export const TEST_OUTPUT = join(REPO_ROOT, 'test-output', 'console');

/** As the project runs Debian's Chromium: headless, nothing fetched from outside, a fresh profile. */
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchChromium(origin: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The browser tests need Debian's Chromium at ${CHROMIUM}, which is missing. Install it with ` +
        '`sudo DEBIAN_FRONTEND=noninteractive apt-get install -y chromium` (`apt-get update` first if apt cannot find it), ' +
        'or set CHROMIUM_PATH to another Chromium. .ci/run installs it by itself.',
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'sgs-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    timeout: 30_000,
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  // Anything the CSP refuses, or any script error, fails the test that caused it.
  const problems: string[] = [];
  page.on('console', (m) => {
    // 4xx answers the console shows to the user are expected; a refused resource or script is not.
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  (page as Page & { problems?: string[] }).problems = problems;
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function pageProblems(page: Page): string[] {
  return (page as Page & { problems?: string[] }).problems ?? [];
}

/** The in-process app (test-app.ts) on a real port, so the browser can reach it. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Screenshots at 1280 and 400 px wide, and the page must fit 400 px: wide tables scroll inside
 * their own region, the page itself does not scroll sideways.
 */
export async function screenshots(page: Page, name: string): Promise<void> {
  await expectEveryControlNamed(page, name);
  mkdirSync(TEST_OUTPUT, { recursive: true });
  await page.screenshot({ path: join(TEST_OUTPUT, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 400, height: 900 });
  try {
    await page.screenshot({ path: join(TEST_OUTPUT, `${name}-400.png`), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (overflow > 0) throw new Error(`${name}: the page is ${overflow} px wider than a 400 px window`);
  } finally {
    await page.setViewportSize({ width: 1280, height: 900 });
  }
}

const CONTROL_ROLES = ['button', 'link', 'textbox', 'combobox', 'checkbox', 'spinbutton', 'searchbox', 'radio', 'listbox'];

/** Every control on the page has an accessible name (a label, its text, or aria-label), as Chromium computes it. */
async function expectEveryControlNamed(page: Page, name: string): Promise<void> {
  const tree = await page.locator('body').ariaSnapshot();
  const unnamed = tree.split('\n').filter((line) => {
    const match = /^\s*- (\w+)(.*)$/.exec(line);
    return match !== null && CONTROL_ROLES.includes(match[1]!) && !/^\s*"/.test(match[2]!);
  });
  if (unnamed.length > 0) throw new Error(`${name}: controls without an accessible name:\n${unnamed.join('\n')}`);
}

export function writeOutput(file: string, text: string): void {
  mkdirSync(TEST_OUTPUT, { recursive: true });
  writeFileSync(join(TEST_OUTPUT, file), text);
}

