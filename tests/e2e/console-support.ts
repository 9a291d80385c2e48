/**
 * What the console's browser tests share: the console server in-process on a test stack (its front end built
 * into a temporary folder), and Debian's Chromium driven by playwright-core, with every browser console error
 * and page error recorded so a test can fail on any. Screenshots go to reports/console/ and, with
 * UPDATE_CONSOLE_SCREENSHOTS=1, to docs/console/ (the pictures docs/console.md shows).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { KafkaNamespace } from '@shop/platform';
import { TEST_AUTH_SECRET, testKafkaConnection, testPostgresUrl } from '@shop/test-support';
import type { TestStack } from '@shop/test-support/stack';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createConsoleServer } from '../../tools/src/console/console-server.ts';
import { signedCredentials } from '../../tools/src/console/service-client.ts';
import { buildWeb } from '../../tools/src/console/web-build.ts';
import { catalogGroups } from '../../tools/src/lag/lag-reader.ts';

/** Debian's Chromium (`apt-get install chromium`); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** How long a visible state may take to appear: the saga's round trips on a busy 2-core machine. */
export const VISIBLE_TIMEOUT_MS = 60_000;
export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

const REPO_ROOT = new URL('../../', import.meta.url).pathname;
const REPORT_DIR = join(REPO_ROOT, 'reports', 'console');
const DOCS_DIR = join(REPO_ROOT, 'docs', 'console');

/** The console server on `stack`, stopped after the test. */
export async function startConsole(
  t: TestContext,
  stack: TestStack,
  options: {
    namespace?: KafkaNamespace;
    pollIntervalMs?: number;
    lagWindowSamples?: number;
    /** The replay audit's database (a test's own). */
    auditDatabase?: string;
  } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const webRoot = await mkdtemp(join(tmpdir(), 'console-web-'));
  t.after(() => rm(webRoot, { recursive: true, force: true }));
  await buildWeb(webRoot);
  const app = await createConsoleServer({
    // Signed with the test process's secret, which every service of the test stack verifies with.
    credentials: signedCredentials(TEST_AUTH_SECRET),
    services: {
      order: stack.order.url,
      inventory: stack.inventory.url,
      payment: stack.payment.url,
      notification: stack.notification.url,
    },
    kafka: {
      connection: await testKafkaConnection('console'),
      namespace: options.namespace ?? stack.namespace,
      groups: catalogGroups(options.namespace ?? stack.namespace),
    },
    deadLetters: {
      databaseUrl: await testPostgresUrl(),
      ...(options.auditDatabase === undefined ? {} : { auditDatabase: options.auditDatabase }),
    },
    webRoot,
    pollIntervalMs: options.pollIntervalMs ?? 500,
    lagWindowSamples: options.lagWindowSamples ?? 10,
  });
  let closing: Promise<void> | undefined;
  // Also closed by the test itself before the stack's teardown deletes the topics its readers poll.
  const close = () => {
    closing ??= app.close();
    return closing;
  };
  t.after(close);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close };
}

export interface ConsoleBrowser {
  browser: Browser;
  /** A new page of `size`, its console errors and page errors recorded in `errors`. */
  open(size: { width: number; height: number }): Promise<Page>;
  /** Everything the pages logged as an error, with the page's URL. */
  errors: string[];
  close(): Promise<void>;
}

/** Chromium headless on a fresh profile (playwright-core makes a new user-data-dir per launch). */
export async function launchBrowser(t: TestContext): Promise<ConsoleBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const errors: string[] = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await browser.close();
  };
  t.after(close);
  return {
    browser,
    errors,
    close,
    async open(size) {
      const context = await browser.newContext({ viewport: size, deviceScaleFactor: 1 });
      const page = await context.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(`${page.url()}: console error: ${message.text()}`);
      });
      page.on('pageerror', (error) => errors.push(`${page.url()}: page error: ${error.message}`));
      return page;
    },
  };
}

/** Saves a screenshot of the whole page as `name`.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(REPORT_DIR, { recursive: true });
  const buffer = await page.screenshot({ fullPage: true, animations: 'disabled' });
  await writeFile(join(REPORT_DIR, `${name}.png`), buffer);
  if (process.env.UPDATE_CONSOLE_SCREENSHOTS === '1') {
    await mkdir(DOCS_DIR, { recursive: true });
    await writeFile(join(DOCS_DIR, `${name}.png`), buffer);
  }
}

/** Waits until `selector` shows `text` (the live stream updated the page; never a fixed sleep). */
export async function waitForText(page: Page, selector: string, text: string | RegExp): Promise<void> {
  await page.locator(selector, { hasText: text }).first().waitFor({ state: 'visible', timeout: VISIBLE_TIMEOUT_MS });
}
