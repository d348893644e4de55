// How soon a reviewer can work on a task whose queue holds 1,000 cases, in Debian's Chromium
// against the local stack: `npm run bench` (or CONSOLE_STACK=<file> to reuse a running
// console-stack). Prints, over RUNS page loads, the median and the worst of:
//   usable   navigation start → the oldest 50 cases and "start reviewing" on screen
//   complete navigation start → all 1,000 rows on screen
//   render   the page's own work to build and show the 1,000 rows (no network)
// and, for scale, the API's answer times seen from Node (mostly the local emulator's work).

import { api, launch, signedIn, startStack } from './browser.mjs';

const RUNS = Number(process.env.RUNS ?? 10);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const worst = (xs) => Math.max(...xs);
const line = (name, xs) => console.log(`${name.padEnd(26)} median ${median(xs).toFixed(0).padStart(5)} ms   worst ${worst(xs).toFixed(0).padStart(5)} ms`);

const stack = await startStack({ queue: 1000 });
const browser = await launch();
try {
  const task = stack.tasks.large.task_id;
  const { page } = await signedIn(browser, stack, stack.tokens.reviewer_1);
  const url = `${stack.http_api}/console/index.html#/queue/${task}`;
  const usable = [];
  const complete = [];
  const render = [];
  for (let i = 0; i < RUNS; i += 1) {
    await page.goto('about:blank');
    await page.goto(url);
    await page.waitForSelector('table.queue tbody tr >> nth=0');
    await page.waitForSelector('.summary a.primary');
    usable.push(await page.evaluate(() => performance.now()));
    await page.waitForSelector('p.count[data-complete="true"]');
    complete.push(await page.evaluate(() => performance.now()));
    const rows = await page.locator('table.queue tbody tr').count();
    if (rows !== stack.large_queue) throw new Error(`expected ${stack.large_queue} rows, saw ${rows}`);
    render.push(await page.evaluate((n) => performance.getEntriesByName(`queue-render-${n}`)[0].duration, stack.large_queue));
  }
  const answer = async (query) => {
    const started = performance.now();
    const { status } = await api(stack, 'GET', `/v1/review/tasks/${task}/queue?${query}`, stack.tokens.reviewer_1);
    if (status !== 200) throw new Error(`HTTP ${status}`);
    return performance.now() - started;
  };
  const first = [];
  const whole = [];
  for (let i = 0; i < Math.min(RUNS, 5); i += 1) {
    first.push(await answer('limit=50&summary=false'));
    whole.push(await answer('limit=2000'));
  }
  console.log(`queue of 1,000 cases, ${RUNS} page loads (Chromium ${browser.version()})`);
  line('usable', usable);
  console.log(`${''.padEnd(26)} each: ${usable.map((x) => x.toFixed(0)).join(' ')} ms`);
  line('complete', complete);
  line('render (page only)', render);
  line('API, oldest 50', first);
  line('API, all 1,000 + counts', whole);
} finally {
  await browser.close();
  stack.stop();
}
