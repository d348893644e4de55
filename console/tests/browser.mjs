// Debian's Chromium driven by playwright-core (no browser download), and the local stack the
// console is tested on: `cargo run -p e2e --bin console-stack`, or the one named by
// CONSOLE_STACK (a file holding the JSON line such a stack printed) when one is running.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The flags a sandboxed machine without internet needs (no background connections). */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: FLAGS,
    headless: true,
  });
}

/**
 * Starts the console's local stack with `queue` cases waiting in the large task (its
 * `large_queue`); resolves to what it printed and a way to stop it.
 */
export async function startStack({ queue }) {
  if (process.env.CONSOLE_STACK) {
    return { ...JSON.parse(readFileSync(process.env.CONSOLE_STACK, 'utf8')), stop: () => {} };
  }
  const child = spawn('cargo', ['run', '--quiet', '-p', 'e2e', '--bin', 'console-stack'], {
    cwd: ROOT,
    env: { ...process.env, CONSOLE_QUEUE: String(queue) },
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
  });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`console-stack exited with ${code}`)));
  });
  const stop = () => {
    child.stdin.end();
    // The stack's functions run in process groups of their own and stop with it.
    setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
    }, 2000).unref();
  };
  return { ...JSON.parse(first), stop };
}

/** A call to the local HTTP API, as the mini program or a second reviewer would make it. */
export async function api(stack, method, path, token, body) {
  const response = await fetch(`${stack.http_api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/**
 * A new browser context: its own storage, a separate person. Waits are long: on the local
 * stack each function serves one request at a time (as one Lambda instance does) over an
 * emulated DynamoDB, and an operator's page asks for every task's progress at once.
 */
export async function newContext(browser) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
  context.setDefaultTimeout(120_000);
  // Uncaught errors in any of its pages, asserted empty by `closeClean`.
  const errors = [];
  context.on('weberror', (e) => errors.push(e.error().message));
  pageErrors.set(context, errors);
  return context;
}

const pageErrors = new WeakMap();

/** Closes a context made by `newContext`, failing the test if any of its pages threw. */
export async function closeClean(context) {
  const errors = pageErrors.get(context) ?? [];
  await context.close();
  assert.deepEqual(errors, [], 'no uncaught errors in the console');
}

/**
 * Opens the console at its sign-in form. The local stack serves the page's files from the
 * emulated S3 one request at a time; on a busy machine a file can fail to arrive, and a page
 * whose module did not load never draws anything. That, and only that, is retried (twice, and
 * logged); a page that loaded every file and still shows no form fails the test as before.
 */
export async function openConsole(page, url) {
  for (let attempt = 1; ; attempt++) {
    const failed = [];
    // The page itself, its modules and its styles; not the favicon the browser asks for.
    const own = (request) => ['document', 'script', 'stylesheet'].includes(request.resourceType());
    const onFailed = (request) => {
      if (own(request)) failed.push(`${request.url()} (${request.failure()?.errorText})`);
    };
    const onResponse = (response) => {
      if (own(response.request()) && response.status() >= 400) {
        failed.push(`${response.url()} (HTTP ${response.status()})`);
      }
    };
    page.on('requestfailed', onFailed);
    page.on('response', onResponse);
    // Resolves on the load event: every file of the page has arrived or failed.
    await page.goto(url);
    page.off('requestfailed', onFailed);
    page.off('response', onResponse);
    if (failed.length === 0 || attempt === 3) {
      if (failed.length) throw new Error(`the console's files failed to load: ${failed.join('; ')}`);
      return;
    }
    console.log(`# console reloaded after failed files: ${failed.join('; ')}`);
  }
}

/**
 * Resolves once `condition()` is true, asking again as soon as each answer comes back (after a
 * tenth of a second when it says no); fails with `what` if it is still false at `deadline`
 * milliseconds. For conditions the stack makes true by itself, such as a scheduled run.
 */
export async function until(condition, what, deadline = 60_000) {
  const end = Date.now() + deadline;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`still not so after ${deadline} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A new browser context signed in with `token`, at `hash` if given. */
export async function signedIn(browser, stack, token, hash = '') {
  const context = await newContext(browser);
  const page = await context.newPage();
  await openConsole(page, stack.console);
  await page.fill('#token', token);
  await page.click('form.sign-in button[type=submit]');
  await page.waitForSelector('#nav a');
  if (hash) await page.goto(`${stack.console.replace(/\/console$/, '/console/index.html')}${hash}`);
  return { context, page };
}
