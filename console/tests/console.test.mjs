// The console in a real browser (Debian's Chromium) on the local stack: reviewers claim, look
// and decide, by mouse and by keyboard; a second reviewer cannot take a held case; a lost claim
// is explained; operators import rosters and read progress and audit trails.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { api, closeClean, launch, newContext, openConsole, signedIn, startStack, until } from './browser.mjs';

/** Screenshots, kept as the run's artifacts. */
const ARTIFACTS = fileURLToPath(new URL('../../target/console-tests/', import.meta.url));

let stack;
let browser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // A few pages' worth (the console asks for the oldest 50 first, then the rest): the
  // 1,000-case queue and its 1 s goal are the benchmark's (npm run bench), so a busy machine
  // cannot time these tests out.
  stack = await startStack({ queue: 120 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  stack?.stop();
});

const page = (s) => `${s.http_api}/console/index.html`;

/** A made-up ID number with a valid check character (GB 11643). */
function idNumber(body17) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body17].reduce((acc, d, i) => acc + Number(d) * weights[i], 0);
  return body17 + '10X98765432'[sum % 11];
}

test('an uncaught error in a page fails the test that opened it', async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  const thrown = context.waitForEvent('weberror');
  await page.evaluate(() => {
    setTimeout(() => {
      throw new Error('boom');
    });
  });
  await thrown;
  await assert.rejects(closeClean(context), /no uncaught errors/);
});

test('a reviewer claims a case, sees the three photos and the report, and rejects it with two reasons the student then sees', async () => {
  const task = stack.tasks.reject;
  const { context, page: tab } = await signedIn(browser, stack, stack.tokens.reviewer_1);
  // Chinese by default.
  assert.equal(await tab.textContent('#nav a'), '审核队列');
  const row = tab.locator(`tr[data-task="${task.task_id}"]`);
  assert.match(await row.textContent(), /中山大学/);
  await row.locator('a.primary').click();
  await tab.waitForSelector('.desk');

  // The three photos, loaded from their presigned links.
  const sizes = await tab.$$eval('figure.photo img', (images) =>
    Promise.all(images.map((i) => i.decode().then(() => [i.naturalWidth, i.naturalHeight]))),
  );
  assert.equal(sizes.length, 3);
  assert.deepEqual(sizes[1], [480, 640], 'the standardised photo');
  for (const [w, h] of sizes) assert.ok(w > 0 && h > 0);
  // The check report, the face match and the lease countdown.
  assert.ok((await tab.locator('.report tr.check').count()) > 10);
  assert.equal(await tab.getAttribute('#face-verdict', 'class'), 'face same');
  // The ID card the face was matched against reads the verified identity, shown masked.
  assert.equal(await tab.textContent('#id-card-check'), '与核验身份一致');
  assert.match(await tab.textContent('.id-card'), /\*/);
  assert.match(await tab.textContent('#lease'), /锁定剩余 \d+:\d\d/);
  await tab.screenshot({ path: `${ARTIFACTS}reviewer-view.png`, fullPage: true });

  // Reject with two reasons, by mouse, with a note.
  await tab.click('input[value="headwear"]');
  await tab.click('input[value="uneven_lighting"]');
  await tab.fill('#note', '请摘下帽子，在光线均匀处重拍');
  await tab.click('button.reject');
  await tab.waitForSelector('.empty');
  assert.match(await tab.textContent('.done'), /已退回/);

  const mine = task.cases[0];
  const seen = await api(stack, 'GET', `/v1/collections/${mine.collection_id}`, mine.student_token);
  assert.equal(seen.status, 200);
  assert.equal(seen.body.review.verdict, 'rejected');
  assert.deepEqual(seen.body.review.reasons.map((r) => r.code).sort(), ['headwear', 'uneven_lighting']);
  assert.equal(seen.body.review.note, '请摘下帽子，在光线均匀处重拍');
  assert.equal(seen.body.next_step, 'upload');
  await closeClean(context);
});

test('a second reviewer in another browser cannot claim the case the first one holds', async () => {
  const task = stack.tasks.contention;
  const first = await signedIn(browser, stack, stack.tokens.reviewer_1, `#/review/${task.task_id}`);
  await first.page.waitForSelector('.desk');

  const second = await signedIn(browser, stack, stack.tokens.reviewer_2, `#/queue/${task.task_id}`);
  await second.page.waitForSelector('table.queue');
  assert.match(await second.page.textContent('table.queue tbody'), /reviewer-1 审核中/);
  await second.page.goto(`${page(stack)}#/review/${task.task_id}`);
  await second.page.waitForSelector('.empty');
  assert.match(await second.page.textContent('.empty'), /没有可审核的照片/);
  const direct = await api(stack, 'POST', `/v1/review/cases/${task.cases[0].collection_id}/claim`, stack.tokens.reviewer_2);
  assert.equal(direct.status, 409);
  assert.equal(direct.body.code, 'lease_held');

  // The first leaves without deciding: the case is free at once, and the second takes it.
  await first.page.click('.decision button.leave');
  await first.page.waitForSelector('table.queue');
  await second.page.click('button.primary');
  await second.page.waitForSelector('.desk');
  assert.match(await second.page.textContent('.desk .head'), new RegExp(task.cases[0].student_number));
  await closeClean(first.context);
  await closeClean(second.context);
});

test('a reviewer signs in and approves using only the keyboard', async () => {
  const task = stack.tasks.keyboard;
  const context = await newContext(browser);
  const tab = await context.newPage();
  await openConsole(tab, stack.console);
  await tab.waitForSelector('#token:focus');
  await tab.keyboard.insertText(stack.tokens.reviewer_1);
  await tab.keyboard.press('Enter');
  await tab.waitForSelector('table.queues');
  // Tab to the task's "start reviewing" link.
  const target = `#/review/${task.task_id}`;
  for (let i = 0; i < 60; i += 1) {
    await tab.keyboard.press('Tab');
    if ((await tab.evaluate(() => document.activeElement?.getAttribute('href'))) === target) break;
  }
  assert.equal(await tab.evaluate(() => document.activeElement?.getAttribute('href')), target);
  await tab.keyboard.press('Enter');
  await tab.waitForSelector('.desk');
  // Reason keys toggle (and toggle back); A approves.
  await tab.keyboard.press('1');
  assert.equal(await tab.locator('.reasons input:checked').count(), 1);
  await tab.keyboard.press('1');
  assert.equal(await tab.locator('.reasons input:checked').count(), 0);
  await tab.keyboard.press('a');
  await tab.waitForSelector('.empty');
  assert.match(await tab.textContent('.done'), /已通过/);
  const seen = await api(stack, 'GET', `/v1/collections/${task.cases[0].collection_id}`, task.cases[0].student_token);
  assert.equal(seen.body.status, 'approved');
  await closeClean(context);
});

test('a claim lost to someone else is explained in words and the next case offered', async () => {
  const task = stack.tasks.lost;
  const id = task.cases[0].collection_id;
  const { context, page: tab } = await signedIn(browser, stack, stack.tokens.reviewer_1, `#/review/${task.task_id}`);
  await tab.waitForSelector('.desk');
  // Meanwhile the claim lapses and another reviewer decides the case.
  assert.equal((await api(stack, 'DELETE', `/v1/review/cases/${id}/claim`, stack.tokens.reviewer_1)).status, 200);
  assert.equal((await api(stack, 'POST', `/v1/review/cases/${id}/claim`, stack.tokens.reviewer_2)).status, 200);
  assert.equal((await api(stack, 'POST', `/v1/review/cases/${id}/approve`, stack.tokens.reviewer_2, {})).status, 200);

  await tab.keyboard.press('r'); // no reason chosen: told so, nothing sent
  assert.match(await tab.textContent('.desk .problem'), /至少选择一个/);
  await tab.keyboard.press('2');
  await tab.keyboard.press('r');
  const problem = await tab.waitForSelector('p.problem[role=alert]');
  // Told in words: the case was decided by someone else (a case still in review whose claim
  // lapsed would say the claim was lost; this one is no longer in review).
  assert.match(await problem.textContent(), /不在审核中（可能已被他人处理）/);
  assert.doesNotMatch(await tab.textContent('main'), /[{}]|lease_lost/, 'no raw JSON or codes');
  assert.match(await tab.textContent('main button.primary'), /审核下一张/);
  await closeClean(context);
});

test('an operator imports a roster with a bad row and sees the error on that line', async () => {
  const task = stack.tasks.roster;
  const { context, page: tab } = await signedIn(browser, stack, stack.tokens.operator);
  await tab.waitForSelector(`article[data-task="${task.task_id}"] form.roster`);
  const card = tab.locator(`article[data-task="${task.task_id}"]`);
  // Line 3 has an ID number whose check character is wrong; lines 2 and 4 are good.
  const bad = idNumber('44010620030202002').replace(/.$/, (c) => (c === '1' ? '2' : '1'));
  const csv = [
    '学号,姓名,身份证号,专业',
    `2026990001,王伟,${idNumber('44010620030101001')},软件工程`,
    `2026990002,李芳,${bad},软件工程`,
    `2026990003,张娜,${idNumber('44010620030303003')},软件工程`,
  ].join('\n');
  await card.locator('input[type=file]').setInputFiles({ name: 'roster.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await card.locator('form.roster button').click();
  await card.locator('.row-errors').waitFor();
  const lines = await card.locator('.bad-line').evaluateAll((items) => items.map((i) => i.dataset.line));
  assert.deepEqual(lines, ['3']);
  await tab.screenshot({ path: `${ARTIFACTS}operator-roster-errors.png`, fullPage: true });
  // Each flagged line is one of the file's, shown with its problem; ID numbers are masked.
  for (const line of lines) {
    const text = await card.locator(`.bad-line[data-line="${line}"]`).textContent();
    assert.match(text, /id_number|身份证/);
    assert.doesNotMatch(text, /4401062003\d{8}/);
  }
  assert.match(await card.textContent(), /没有导入任何一行/);
  await closeClean(context);
});

test('an operator reads progress against the 48-hour promise and one case’s audit trail, in English too', async () => {
  const { context, page: tab } = await signedIn(browser, stack, stack.tokens.operator);
  const card = tab.locator(`article[data-task="${stack.tasks.large.task_id}"]`);
  await card.locator('dl.counts').waitFor();
  assert.match(await card.textContent(), new RegExp(`审核中\\s*${stack.large_queue}(?!\\d)`));
  assert.match(await card.textContent(), /已超过 48 小时承诺/);
  await tab.click('#lang');
  await card.locator('dl.counts').waitFor();
  assert.match(await card.textContent(), new RegExp(`In review\\s*${stack.large_queue}(?!\\d)`));
  assert.match(await card.textContent(), /past the 48 h promise/);

  const id = stack.tasks.reject.cases[0].collection_id;
  await tab.fill('#case-id', id);
  await tab.press('#case-id', 'Enter');
  await tab.waitForSelector('table.trail');
  const kinds = await tab.$$eval('table.trail tr.event td:nth-child(3)', (cells) => cells.map((c) => c.textContent));
  assert.deepEqual(kinds.slice(-2), ['submit', 'reject']);
  await closeClean(context);
});

test('the queue of a task with more waiting cases than one page lists them all, oldest first', async () => {
  const task = stack.tasks.large;
  const n = stack.large_queue;
  const { context, page: tab } = await signedIn(browser, stack, stack.tokens.reviewer_1);
  await tab.goto(`${page(stack)}#/queue/${task.task_id}`);
  await tab.waitForSelector(`table.queue tbody tr:nth-child(${n})`);
  assert.equal(await tab.locator('table.queue tbody tr').count(), n);
  const ages = await tab.$$eval('table.queue tbody tr td:nth-child(3)', (cells) => cells.map((c) => parseFloat(c.textContent)));
  assert.ok(ages.every((age, i) => i === 0 || age <= ages[i - 1]), 'oldest first');
  assert.ok((await tab.locator('table.queue tr.overdue').count()) > 0, 'cases past 48 h are marked');
  await tab.screenshot({ path: `${ARTIFACTS}queue.png` });
  await closeClean(context);
});

test('an operator approves a student’s move to a new WeChat account and refuses nothing without a reason', async () => {
  const { transfer } = stack.requests;
  const { context, page: tab } = await signedIn(browser, stack, stack.tokens.operator);
  await tab.click('#nav a[href="#/ops/requests"]');
  const card = tab.locator(`article.request[data-request="${transfer.request_id}"]`);
  await card.waitFor();
  // Masked: the operator matches the person, the page never shows the whole number.
  assert.match(await card.textContent(), /更换微信号/);
  assert.doesNotMatch(await card.textContent(), /\d{17}[\dX]/);
  assert.equal(await card.locator('dd.cases').textContent(), '1');
  await card.locator('button.approve').click();
  assert.match(await card.locator('.outcome').textContent(), /请填写理由/);
  await card.locator('input.reason').fill('学生持身份证到学院核实，旧微信号已停用');
  await card.locator('button.approve').click();
  await card.locator('.outcome .done').waitFor();
  await tab.screenshot({ path: `${ARTIFACTS}operator-requests.png`, fullPage: true });

  // The new account now holds the case; the old one would find nothing.
  const mine = await api(stack, 'GET', '/v1/collections', transfer.student_token);
  assert.equal(mine.status, 200);
  assert.deepEqual(
    mine.body.collections.map((c) => c.id),
    [transfer.collection_id],
  );
  // The move is in the case's audit trail, with who opened it.
  await tab.goto(`${page(stack)}#/ops/case/${transfer.collection_id}`);
  await tab.waitForSelector('table.trail');
  const kinds = await tab.$$eval('table.trail tr.event td:nth-child(3)', (cells) => cells.map((c) => c.textContent));
  assert.equal(kinds.at(-1), 'transfer');
  await closeClean(context);
});

test('an operator confirms a roster row the school mistyped, seeing how far the numbers differ', async () => {
  const { link } = stack.requests;
  const { context, page: tab } = await signedIn(browser, stack, stack.tokens.operator);
  await tab.goto(`${page(stack)}#/ops/requests`);
  const card = tab.locator(`article.request[data-request="${link.request_id}"]`);
  await card.waitFor();
  assert.equal(await card.locator('dd.differing').textContent(), '2', 'one digit and the check character');
  await card.locator('input.reason').fill('学院教务处确认花名册录入错误');
  await card.locator('button.approve').click();
  await card.locator('.outcome .done').waitFor();
  const mine = await api(stack, 'GET', '/v1/collections', link.student_token);
  assert.equal(mine.body.collections.length, 1);
  assert.equal(mine.body.collections[0].enrollment.student_number, link.student_number);
  // Decided, it leaves the pending list.
  await tab.reload();
  await tab.locator('h1').waitFor();
  assert.equal(await tab.locator(`article.request[data-request="${link.request_id}"]`).count(), 0, 'no longer pending');
  await closeClean(context);
});

test('an operator approves a student’s erasure and sees it carried out, naming no one', async () => {
  const { erasure } = stack.requests;
  const { context, page: tab } = await signedIn(browser, stack, stack.tokens.operator);
  await tab.goto(`${page(stack)}#/ops/requests`);
  const card = tab.locator(`article.request[data-request="${erasure.request_id}"]`);
  await card.waitFor();
  assert.match(await card.textContent(), /删除个人信息/);
  assert.equal(await card.locator('dd.cases').textContent(), '1');
  assert.doesNotMatch(await card.textContent(), /\d{17}[\dX]/);
  await card.locator('input.reason').fill('学生本人来电申请，已核实身份');
  await card.locator('button.approve').click();
  await card.locator('.outcome .done').waitFor();
  // The local stack runs the purger's erasures every 2 s: once it has, the page shows it done.
  await until(async () => {
    const { body } = await api(stack, 'GET', '/v1/review/erasures', stack.tokens.operator);
    return body.done.some((r) => r.id === erasure.request_id);
  }, 'the approved erasure is carried out');
  await tab.reload();
  const row = tab.locator(`tr.erasure.done[data-request="${erasure.request_id}"]`);
  await row.waitFor();
  assert.match(await row.locator('td.counts').textContent(), /案件 1 个/);
  await tab.screenshot({ path: `${ARTIFACTS}operator-erasures.png`, fullPage: true });
  // The student's data is gone: no identity, no case of theirs.
  const own = await api(stack, 'GET', '/v1/me/data', erasure.student_token);
  assert.equal(own.status, 200);
  assert.equal(own.body.identity, null);
  assert.deepEqual(own.body.cases, []);
  await closeClean(context);
});

test('operators see who opened a case, and what a reviewer opened', async () => {
  // A reviewer opens a case in review (the contention task's stays in review).
  const id = stack.tasks.contention.cases[0].collection_id;
  const looked = await api(stack, 'GET', `/v1/review/cases/${id}`, stack.tokens.reviewer_2);
  assert.equal(looked.status, 200);
  const { context, page: tab } = await signedIn(browser, stack, stack.tokens.operator);
  await tab.goto(`${page(stack)}#/ops/case/${id}`);
  await tab.waitForSelector('table.accesses');
  const rows = await tab.$$eval('table.accesses tbody tr', (trs) => trs.map((tr) => tr.textContent));
  assert.ok(rows.some((row) => /reviewer-2/.test(row) && /审核员/.test(row)), rows.join(' | '));
  // And from the reviewer's side: the cases reviewer-2 opened, this one among them.
  await tab.goto(`${page(stack)}#/ops/staff/reviewer-2`);
  await tab.waitForSelector('table.accesses');
  const opened = await tab.$$eval('table.accesses tbody a', (links) => links.map((a) => a.textContent));
  assert.ok(opened.includes(id), opened.join(' | '));
  await closeClean(context);
});

test('a reviewer sends a photo to retouching; the retoucher uploads a correction, and it comes back to review beside the standardised one', async () => {
  const task = stack.tasks.retouch;
  const mine = task.cases[0];
  const reviewer = await signedIn(browser, stack, stack.tokens.reviewer_1, `#/review/${task.task_id}`);
  await reviewer.page.waitForSelector('.desk');
  // Retouching needs a note saying what to correct.
  await reviewer.page.click('button.retouch');
  assert.match(await reviewer.page.textContent('.problem'), /写明需要修正/);
  await reviewer.page.fill('#note', '衣领被背景色染蓝，请修正');
  await reviewer.page.click('button.retouch');
  await reviewer.page.waitForSelector('.empty');
  assert.match(await reviewer.page.textContent('.done'), /已送修图/);
  const told = await api(stack, 'GET', `/v1/collections/${mine.collection_id}`, mine.student_token);
  assert.equal(told.body.status, 'retouching');
  assert.equal(told.body.next_step, 'wait_for_retouch');

  // The retoucher: the queue with the note, the workspace with both photos to download.
  const retoucher = await signedIn(browser, stack, stack.tokens.retoucher_1);
  const { page: desk } = retoucher;
  assert.equal(await desk.textContent('#nav a'), '修图队列');
  const row = desk.locator(`tr[data-case="${mine.collection_id}"]`);
  assert.match(await row.textContent(), /衣领被背景色染蓝/);
  await row.locator('a.primary').click();
  await desk.waitForSelector('#retouch-file');
  assert.equal(await desk.textContent('#retouch-note'), '衣领被背景色染蓝，请修正');
  const standardised = await desk.getAttribute('figure[data-which="standardised"] img', 'src');
  const sizes = await desk.$$eval('figure.photo img', (images) =>
    Promise.all(images.map((i) => i.decode().then(() => [i.naturalWidth, i.naturalHeight]))),
  );
  assert.deepEqual(sizes[1], [480, 640]);
  await desk.screenshot({ path: `${ARTIFACTS}retouch-workspace.png`, fullPage: true });

  // A file of the wrong size is refused with why; the corrected 480×640 photo passes.
  const photo = Buffer.from(await (await fetch(standardised)).arrayBuffer());
  const original = await desk.getAttribute('figure[data-which="original"] img', 'src');
  const wrong = Buffer.from(await (await fetch(original)).arrayBuffer());
  await desk.setInputFiles('#retouch-file', { name: 'wrong.jpg', mimeType: 'image/jpeg', buffer: wrong });
  await desk.waitForSelector('#retouch-outcome .problem', { timeout: 120_000 });
  assert.match(await desk.textContent('#retouch-outcome'), /未通过检查：.*size/);
  await desk.setInputFiles('#retouch-file', { name: 'corrected.jpg', mimeType: 'image/jpeg', buffer: photo });
  await desk.waitForSelector('#retouch-outcome .done', { timeout: 120_000 });
  assert.match(await desk.textContent('#retouch-outcome'), /送回审核/);

  // Back in review: the reviewer takes the next case, and it shows the retouched photo beside
  // the standardised one.
  await reviewer.page.click('button.primary');
  await reviewer.page.waitForSelector('figure[data-which="retouched"] img');
  assert.match(await reviewer.page.textContent('#retouched-note'), /retoucher-1/);
  await reviewer.page.screenshot({ path: `${ARTIFACTS}retouched-review.png`, fullPage: true });
  await reviewer.page.click('button.approve');
  await reviewer.page.waitForSelector('.done');
  await closeClean(retoucher.context);
  await closeClean(reviewer.context);
});

test('an operator makes print sheets, downloads the labels, ships the batch, corrects a parcel from the courier’s CSV and records a delivery', async () => {
  const task = stack.tasks.print;
  const [first, second] = task.cases;
  const { context, page: tab } = await signedIn(browser, stack, stack.tokens.operator, '#/ops/print');
  await tab.locator(`li[data-task="${task.task_id}"] a`).click();
  await tab.waitForSelector('section[data-stage="ordered"]');
  assert.match(await tab.textContent('.hint'), /¥15\.00，33×48 毫米/);
  const ordered = await tab.$$eval('section[data-stage="ordered"] tbody tr', (rows) => rows.map((r) => r.dataset.case));
  assert.deepEqual(ordered.sort(), [first.collection_id, second.collection_id].sort());

  // A PDF batch: one sheet per student, each a download of the paper's PDF.
  await tab.selectOption('#sheet-format', 'pdf');
  await tab.click('.make-batch button.primary');
  await tab.waitForSelector('table.sheets tbody tr');
  const links = await tab.$$eval('table.sheets tbody a', (as) => as.map((a) => a.href));
  assert.equal(links.length, 2);
  const pdf = Buffer.from(await (await fetch(links[0])).arrayBuffer());
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  await tab.screenshot({ path: `${ARTIFACTS}print-batch.png`, fullPage: true });

  // The labels: a CSV with both students' full addresses, nothing a spreadsheet would run.
  const [download] = await Promise.all([tab.waitForEvent('download'), tab.click('#labels')]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.match(csv, /^\uFEFF"案件编号","学号","收件人","电话"/);
  for (const c of [first, second]) assert.ok(csv.includes(`"${c.student_number}"`), csv);
  assert.match(csv, /"13800138000"/);
  assert.match(await tab.textContent('.step-results'), /已下载 2 个收件地址/);

  // The whole batch as one parcel; then the courier's CSV corrects the second's number.
  await tab.fill('#batch-courier', '顺丰速运');
  await tab.fill('#batch-tracking', 'SF1000000001');
  await tab.click('.ship-batch button.primary');
  await tab.waitForSelector('.results li.done');
  assert.equal(await tab.locator('.results li.done').count(), 2);
  const told = await api(stack, 'GET', `/v1/collections/${first.collection_id}`, first.student_token);
  assert.equal(told.body.print.order.stage, 'shipped');
  assert.equal(told.body.print.order.shipped.tracking_no, 'SF1000000001');
  const courierCsv = `案件编号,快递公司,运单号\n${second.collection_id},京东物流,JD0001234567\n`;
  await tab.setInputFiles('#shipments-file', { name: 'jd.csv', mimeType: 'text/csv', buffer: Buffer.from(courierCsv) });
  await tab.waitForSelector(`.results li.done[data-case="${second.collection_id}"]`);
  // A bad tracking number is refused on its own line, with why.
  await tab.fill(`tr[data-case="${first.collection_id}"] input.courier`, 'EMS');
  await tab.fill(`tr[data-case="${first.collection_id}"] input.tracking`, '=1+1');
  await tab.click(`tr[data-case="${first.collection_id}"] button.ship-one`);
  await tab.waitForSelector('.results li.problem');
  assert.match(await tab.textContent('.results li.problem'), /tracking_no/);

  // Back on the task: both shipped with their numbers; the first marked delivered leaves.
  await tab.click('a[href^="#/ops/print/"]:not([href*="batch"])');
  await tab.waitForSelector('section[data-stage="shipped"] tbody tr');
  const shippedRows = await tab.$$eval('section[data-stage="shipped"] tbody tr', (rows) => rows.map((r) => r.textContent));
  assert.ok(shippedRows.some((r) => /JD0001234567/.test(r)), shippedRows.join(' | '));
  await tab.check(`section[data-stage="shipped"] tr[data-case="${first.collection_id}"] input[type="checkbox"]`);
  await tab.click('button.deliver');
  // Drawn again: the delivery's result above, the second still on its way, the first gone.
  await tab.waitForSelector(`#print-outcome .results li.done[data-case="${first.collection_id}"]`);
  await tab.waitForSelector(`section[data-stage="shipped"] tr[data-case="${second.collection_id}"]`);
  assert.equal(await tab.locator(`section[data-stage="shipped"] tr[data-case="${first.collection_id}"]`).count(), 0);
  await tab.screenshot({ path: `${ARTIFACTS}print-task.png`, fullPage: true });
  const delivered = await api(stack, 'GET', `/v1/collections/${first.collection_id}`, first.student_token);
  assert.equal(delivered.body.print.order.stage, 'delivered');
  assert.equal(delivered.body.print.address, undefined, 'the address went with the delivery');
  await closeClean(context);
});

test('a label CSV cell never starts a formula', async () => {
  const { cell } = await import('../site/csv.js');
  assert.equal(cell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  for (const risky of ['+86', '-1', '@SUM(A1)', '\tx']) assert.ok(cell(risky).startsWith(`"'`), risky);
  assert.equal(cell('广东省'), '"广东省"');
});
