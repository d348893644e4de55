// The operator's pages: every task's progress against the 48-hour promise, roster import with
// each bad row shown on its own line, the reviewers' decisions, and one case's audit trail.

import { ApiError, call } from './api.js';
import { h, hours, show, when } from './dom.js';
import { t } from './i18n.js';

const STATUSES = ['awaiting_payment', 'awaiting_photo', 'in_review', 'retouching', 'approved', 'publishing', 'published'];
const PROMISE_HOURS = 48;

export async function overview(root) {
  show(root, h('p', { class: 'loading' }, t('loading')));
  let tasks, report;
  try {
    [{ tasks }, report] = await Promise.all([call('GET', '/v1/tasks'), call('GET', '/v1/review/report?days=7')]);
  } catch (error) {
    return show(root, h('p', { class: 'problem', role: 'alert' }, error.words));
  }
  const cards = tasks.map((task) => h('article', { class: 'task', dataset: { task: task.id } }, h('p', { class: 'loading' }, t('loading'))));
  show(root, h('h1', {}, t('operations')), auditForm(), h('div', { class: 'tasks' }, cards), decisions(report));
  await Promise.all(tasks.map((task, i) => drawTask(cards[i], task)));
}

function auditForm() {
  const input = h('input', { id: 'case-id', size: 30, placeholder: t('case_id'), autocomplete: 'off' });
  return h(
    'form',
    { class: 'audit-form', onsubmit: (e) => (e.preventDefault(), (location.hash = `#/ops/case/${input.value.trim()}`)) },
    h('label', { for: 'case-id' }, t('audit')),
    input,
    h('button', { type: 'submit' }, t('show')),
  );
}

async function drawTask(card, task) {
  let p;
  try {
    p = await call('GET', `/v1/tasks/${task.id}/progress`);
  } catch (error) {
    return show(card, h('h2', {}, task.school), h('p', { class: 'problem' }, error.words));
  }
  const since = p.oldest_in_review_since;
  const age = since ? (Date.now() - Date.parse(since)) / 3.6e6 : null;
  show(
    card,
    h('h2', {}, task.school, ' ', h('small', {}, `${task.session_code} · ${task.graduation_year}`)),
    h(
      'dl',
      { class: 'counts' },
      h('div', {}, h('dt', {}, t('enrolled')), h('dd', {}, p.enrolled)),
      h('div', {}, h('dt', {}, t('started')), h('dd', {}, p.started)),
      STATUSES.map((s) => h('div', { class: `status ${s}` }, h('dt', {}, t(`status_${s}`)), h('dd', {}, p.by_status[s]))),
    ),
    h(
      'p',
      { class: age !== null && age > PROMISE_HOURS ? 'problem' : 'ok' },
      `${t('queue_age')}: `,
      age === null ? '–' : `${t('hours', { h: hours(age) })}, ${t(age > PROMISE_HOURS ? 'promise_broken' : 'promise_ok')}`,
    ),
    p.not_started.length
      ? h(
          'details',
          {},
          h('summary', {}, `${t('not_started')} (${p.not_started.length})`),
          h('ul', { class: 'not-started' }, p.not_started.map((r) => h('li', {}, `${r.student_number} ${r.name}`))),
        )
      : null,
    rosterForm(card, task),
  );
}

function rosterForm(card, task) {
  const file = h('input', { type: 'file', accept: '.csv,text/csv', name: 'roster' });
  const result = h('div', { class: 'roster-result', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'roster', onsubmit: (e) => (e.preventDefault(), importRoster(card, task, file.files[0], result)) },
    h('h3', {}, t('roster')),
    h('p', { class: 'hint' }, t('roster_hint')),
    file,
    h('button', { type: 'submit' }, t('import')),
    result,
  );
  return form;
}

async function importRoster(card, task, file, result) {
  if (!file) return;
  const bytes = await file.arrayBuffer();
  show(result, t('loading'));
  try {
    const answer = await call('PUT', `/v1/tasks/${task.id}/roster`, { text: bytes, contentType: 'text/csv' });
    show(result, h('p', { class: 'done' }, t('imported', { n: answer.imported })));
    await drawTask(card, task);
    return;
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'roster_rows_invalid') {
      return show(result, h('p', { class: 'problem', role: 'alert' }, error.words));
    }
    show(result, rowErrors(error, decode(bytes)));
  }
}

/** The file as text, in the encoding the server accepts it in (UTF-8, else GB18030). */
function decode(bytes) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

/** The file's lines with each problem under the line it is on. */
function rowErrors(error, text) {
  const { total, rows } = error.body.details;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const byLine = new Map();
  for (const row of rows) byLine.set(row.line, [...(byLine.get(row.line) ?? []), row]);
  const shown = [...byLine.keys()].sort((a, b) => a - b);
  return h(
    'div',
    { class: 'row-errors', role: 'alert' },
    h('p', { class: 'problem' }, error.words),
    h('p', {}, t('roster_errors', { n: total })),
    h(
      'ol',
      {},
      shown.map((n) =>
        h(
          'li',
          { class: 'bad-line', dataset: { line: n } },
          h('span', { class: 'line-no' }, t('line', { n })),
          h('code', {}, mask(lines[n - 1] ?? '')),
          h('ul', {}, byLine.get(n).map((r) => h('li', {}, h('strong', {}, r.field), ': ', r.problem))),
        ),
      ),
    ),
  );
}

/** Rosters hold ID numbers; the page shows a line with its long digit runs masked. */
function mask(line) {
  return line.replace(/\d{6}(\d{4,})(\d{3}[\dXx])/g, (all, middle) => all.slice(0, 6) + '*'.repeat(middle.length) + all.slice(-4));
}

function decisions(report) {
  return h(
    'section',
    { class: 'decisions' },
    h('h2', {}, t('report_title', { n: 7 })),
    report.decisions.length === 0
      ? h('p', {}, '–')
      : h(
          'table',
          {},
          h('thead', {}, h('tr', {}, h('th', {}, t('day')), h('th', {}, t('reviewer')), h('th', { class: 'num' }, t('approved_n')), h('th', { class: 'num' }, t('rejected_n')))),
          h(
            'tbody',
            {},
            report.decisions.map((d) =>
              h(
                'tr',
                {},
                h('td', {}, d.day),
                h('td', {}, h('a', { class: 'staff', href: `#/ops/staff/${encodeURIComponent(d.reviewer)}` }, d.reviewer)),
                h('td', { class: 'num' }, d.approved),
                h('td', { class: 'num' }, d.rejected),
              ),
            ),
          ),
        ),
  );
}

// ------------------------------------------------------------------ audit trail

export async function trail(root, id) {
  show(root, h('p', { class: 'loading' }, t('loading')));
  let answer, accesses;
  try {
    [answer, { accesses }] = await Promise.all([call('GET', `/v1/collections/${id}/events`), call('GET', `/v1/review/cases/${id}/accesses`)]);
  } catch (error) {
    return show(root, h('p', { class: 'problem', role: 'alert' }, error.words), h('a', { href: '#/ops' }, t('back')));
  }
  const notices = answer.notices ?? [];
  const rows = answer.events.flatMap((e) => [
    h(
      'tr',
      { class: 'event' },
      h('td', { class: 'num' }, e.version),
      h('td', {}, when(e.at)),
      h('td', {}, e.command?.type ?? 'created'),
      h('td', {}, t(`status_${e.to}`)),
      h('td', {}, typeof e.actor === 'string' ? e.actor : `${e.actor.kind} ${e.actor.id ?? ''}`),
    ),
    ...notices
      .filter((n) => n.version === e.version)
      .map((n) => h('tr', { class: 'notice' }, h('td', {}), h('td', {}, when(n.at)), h('td', { colspan: 3 }, `${t('notice')}: ${n.kind} → ${n.outcome}${n.errcode ? ` (${n.errcode})` : ''}`))),
  ]);
  show(
    root,
    h('h1', {}, t('audit'), ' ', h('small', {}, id)),
    h(
      'table',
      { class: 'trail' },
      h('thead', {}, h('tr', {}, ['version', 'at', 'event', 'to', 'actor'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, rows),
    ),
    h('h2', {}, t('accesses')),
    accesses.length === 0
      ? h('p', {}, t('no_accesses'))
      : h(
          'table',
          { class: 'accesses' },
          h('thead', {}, h('tr', {}, ['at', 'actor', 'role'].map((k) => h('th', {}, t(k))))),
          h('tbody', {}, accesses.map((a) => h('tr', {}, h('td', {}, when(a.at)), h('td', { class: 'subject' }, a.subject), h('td', {}, t(`role_${a.role}`))))),
        ),
    h('p', {}, h('a', { href: '#/ops' }, t('back'))),
  );
}

// ------------------------------------------------------------------ one staff member's openings

export async function staff(root, subject) {
  show(root, h('p', { class: 'loading' }, t('loading')));
  let accesses;
  try {
    ({ accesses } = await call('GET', `/v1/staff/${encodeURIComponent(subject)}/accesses`));
  } catch (error) {
    return show(root, h('p', { class: 'problem', role: 'alert' }, error.words), h('a', { href: '#/ops' }, t('back')));
  }
  show(
    root,
    h('h1', {}, t('opened_by', { who: subject })),
    accesses.length === 0
      ? h('p', {}, t('no_accesses'))
      : h(
          'table',
          { class: 'accesses' },
          h('thead', {}, h('tr', {}, h('th', {}, t('at')), h('th', {}, t('case_id')))),
          h(
            'tbody',
            {},
            accesses.map((a) => h('tr', {}, h('td', {}, when(a.at)), h('td', {}, h('a', { href: `#/ops/case/${a.collection_id}` }, a.collection_id)))),
          ),
        ),
    h('p', {}, h('a', { href: '#/ops' }, t('back'))),
  );
}
