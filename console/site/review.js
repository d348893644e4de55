// The reviewer's pages: the queues, one task's queue, and the workspace where one case is
// claimed, looked at and decided. Decisions go only through the lease the server granted; when
// it is gone (expired, or someone else decided) the reviewer is told and offered the next case.

import { ApiError, call, session } from './api.js';
import { h, hours, show, when } from './dom.js';
import { pick, t } from './i18n.js';

/** How often a held claim is renewed (the server's lease lasts 10 minutes). */
const RENEW_MS = 3 * 60 * 1000;

let reasonsCache = null;

/**
 * What reviewers reject for most, first, so the number keys 1–9 reach them; the rest follow
 * in the engine's order.
 */
const REVIEWERS_FIRST = [
  'not_the_student',
  'headwear',
  'hair_covers_face',
  'earrings',
  'necklace',
  'tinted_glasses',
  'glasses_glare',
  'uneven_lighting',
  'clothing_matches_background',
];

async function reasons() {
  if (!reasonsCache) {
    const all = (await call('GET', '/v1/review/reasons')).reasons;
    const rank = (r) => {
      const i = REVIEWERS_FIRST.indexOf(r.code);
      return i < 0 ? REVIEWERS_FIRST.length : i;
    };
    reasonsCache = all.map((r, i) => [r, i]).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([r]) => r);
  }
  return reasonsCache;
}

function problem(root, error, retry) {
  show(
    root,
    h('p', { class: 'problem', role: 'alert' }, error instanceof ApiError ? error.words : String(error)),
    retry ? h('button', { type: 'button', onclick: retry }, t('take_next')) : null,
  );
}

// ------------------------------------------------------------------ queues

export async function queues(root) {
  show(root, h('p', { class: 'loading' }, t('loading')));
  let answer;
  try {
    answer = await call('GET', '/v1/review/queues');
  } catch (error) {
    return problem(root, error);
  }
  const reviewer = session()?.role === 'reviewer';
  const rows = answer.queues.map((q) =>
    h(
      'tr',
      { class: q.overdue > 0 ? 'overdue' : null, dataset: { task: q.task_id } },
      h('td', {}, q.school, h('br'), h('small', {}, q.session_code)),
      h('td', { class: 'num' }, q.waiting),
      h('td', { class: 'num' }, q.leased),
      h('td', { class: 'num' }, q.oldest_age_hours === null ? '–' : t('hours', { h: hours(q.oldest_age_hours) })),
      h('td', { class: 'num' }, q.overdue),
      h(
        'td',
        {},
        h('a', { href: `#/queue/${q.task_id}` }, t('open_queue')),
        ' ',
        reviewer && q.waiting > q.leased
          ? h('a', { class: 'button primary', href: `#/review/${q.task_id}` }, t('start_review'))
          : null,
      ),
    ),
  );
  show(
    root,
    h('h1', {}, t('queues')),
    rows.length === 0
      ? h('p', {}, t('none_waiting'))
      : h(
          'table',
          { class: 'queues' },
          h('thead', {}, h('tr', {}, ...['task', 'waiting', 'leased', 'oldest', 'overdue', ''].map((k) => h('th', {}, k && t(k))))),
          h('tbody', {}, rows),
        ),
  );
}

/** How many cases the first answer lists: enough to start on while the rest come. */
const FIRST_PAGE = 50;
/** The most the API lists at once (a day's work for a large school). */
const WHOLE_QUEUE = 2000;

/**
 * One task's waiting cases, oldest first. The summary and the oldest cases come first, so the
 * reviewer can start at once; the whole list follows.
 */
export async function queue(root, task) {
  show(root, h('p', { class: 'loading' }, t('loading')));
  const shown = location.hash;
  try {
    // The oldest cases without the counts first (they cost the server a pass over the whole
    // queue), then everything.
    const first = await call('GET', `/v1/review/tasks/${task}/queue?limit=${FIRST_PAGE}&summary=false`);
    drawQueue(root, task, first, true);
    const whole = await call('GET', `/v1/review/tasks/${task}/queue?limit=${WHOLE_QUEUE}`);
    if (location.hash === shown) drawQueue(root, task, whole, false);
  } catch (error) {
    problem(root, error);
  }
}

function drawQueue(root, task, answer, more) {
  const started = performance.now();
  // Until the counts come, what the oldest case shows.
  const s = answer.summary ?? { waiting: '…', leased: '…', oldest_age_hours: answer.items[0]?.age_hours ?? null, overdue: '…' };
  const me = session()?.subject;
  const body = h('tbody');
  // Built off-document and added at once: a thousand rows cost one layout.
  const fragment = document.createDocumentFragment();
  for (const item of answer.items) {
    fragment.append(
      h(
        'tr',
        { class: item.age_hours > 48 ? 'overdue' : null },
        h('td', {}, item.student_number),
        h('td', {}, when(item.submitted_at)),
        h('td', { class: 'num' }, t('hours', { h: hours(item.age_hours) })),
        h('td', { class: 'num' }, item.review_flags || ''),
        h('td', {}, item.face_verdict ? h('span', { class: `face ${item.face_verdict}` }, t(`face_${item.face_verdict}`)) : '–'),
        h('td', {}, item.lease ? (item.lease.reviewer === me ? t('held_by_me') : t('held_by', { who: item.lease.reviewer })) : ''),
      ),
    );
  }
  body.append(fragment);
  show(
    root,
    h('h1', {}, s.school ?? t('task'), ' ', h('small', {}, s.session_code ?? '')),
    h(
      'p',
      { class: 'summary' },
      `${t('waiting')} ${s.waiting} · ${t('leased')} ${s.leased} · ${t('oldest')} ${s.oldest_age_hours === null ? '–' : t('hours', { h: hours(s.oldest_age_hours) })} · ${t('overdue')} ${s.overdue}`,
      ' ',
      session()?.role === 'reviewer' ? h('a', { class: 'button primary', href: `#/review/${task}` }, t('start_review')) : null,
    ),
    h('p', { class: 'count', dataset: { complete: String(!more) } }, t('cases_listed', { n: answer.items.length }), more ? ` · ${t('loading')}` : ''),
    h(
      'table',
      { class: 'queue' },
      h('thead', {}, h('tr', {}, ...['student_number', 'submitted_at', 'age', 'flags', 'face', 'leased'].map((k) => h('th', {}, t(k))))),
      body,
    ),
  );
  // The page's own part of showing a queue, for the benchmark (tests/bench-queue.mjs).
  performance.measure(`queue-render-${answer.items.length}`, { start: started });
}

// ------------------------------------------------------------------ workspace

/** The case under review, while the workspace is open. */
let desk = null;

/** Gives the held case back at once (the page is left, the reviewer signs out, …). */
export function leave() {
  if (!desk) return;
  const { held, timers } = desk;
  timers.forEach(clearInterval);
  document.removeEventListener('keydown', desk.onKey);
  desk = null;
  if (held) {
    call('DELETE', `/v1/review/cases/${held}/claim`, { keepalive: true }).catch(() => {});
  }
}

/** Redraws the open case in the current language; false when no case is open. */
export function redraw() {
  if (!desk) return false;
  render();
  return true;
}

export async function workspace(root, task) {
  desk = {
    root,
    task,
    case: null,
    held: null,
    selected: new Set(),
    note: '',
    flash: null,
    trouble: null,
    busy: false,
    timers: [],
    onKey: (event) => onKey(event),
  };
  document.addEventListener('keydown', desk.onKey);
  desk.timers.push(setInterval(tick, 1000), setInterval(renew, RENEW_MS));
  await next();
}

async function next() {
  if (!desk || desk.busy) return;
  desk.busy = true;
  show(desk.root, h('p', { class: 'loading' }, t('loading')));
  try {
    await reasons();
    const view = await call('POST', `/v1/review/tasks/${desk.task}/next`);
    Object.assign(desk, { case: view, held: view.collection_id, selected: new Set(), note: '', trouble: null });
  } catch (error) {
    Object.assign(desk, { case: null, held: null, trouble: error });
  } finally {
    if (desk) desk.busy = false;
  }
  render();
}

async function decide(kind) {
  if (!desk?.held || desk.busy) return;
  if (kind === 'reject' && desk.selected.size === 0) {
    desk.flash = { kind: 'problem', text: t('choose_reason') };
    return render();
  }
  // Retouching says what to correct: the note is the retoucher's brief.
  if (kind === 'retouch' && !desk.note.trim()) {
    desk.flash = { kind: 'problem', text: t('retouch_needs_note') };
    return render();
  }
  desk.busy = true;
  const id = desk.held;
  const note = desk.note.trim() || undefined;
  const body = { approve: {}, reject: { reasons: [...desk.selected], note }, retouch: { note } }[kind];
  try {
    await call('POST', `/v1/review/cases/${id}/${kind}`, { json: body });
    desk.held = null;
    desk.flash = { kind: 'done', text: t({ approve: 'decided_approved', reject: 'decided_rejected', retouch: 'decided_retouch' }[kind]) };
    desk.busy = false;
    await next();
  } catch (error) {
    desk.busy = false;
    // The claim is gone or the case was decided: nothing to release, say why, offer the next.
    if (error instanceof ApiError && LOST.includes(error.code)) {
      Object.assign(desk, { held: null, case: null, trouble: error });
    } else {
      desk.flash = { kind: 'problem', text: error instanceof ApiError ? error.words : String(error) };
    }
    render();
  }
}

/** Codes that mean the case is no longer the reviewer's to decide. */
const LOST = ['lease_lost', 'lease_held', 'not_in_review'];

async function renew() {
  if (!desk?.held || desk.busy) return;
  try {
    const view = await call('POST', `/v1/review/cases/${desk.held}/claim`);
    if (desk?.case) desk.case.lease = view.lease;
  } catch (error) {
    if (!desk) return;
    // Gone: say so. A passing failure (the network, say): keep the case, try again next time.
    if (error instanceof ApiError && LOST.includes(error.code)) {
      Object.assign(desk, { held: null, case: null, trouble: error });
    } else {
      desk.flash = { kind: 'problem', text: error instanceof ApiError ? error.words : String(error) };
    }
    render();
  }
}

function tick() {
  const clock = document.getElementById('lease');
  if (!clock || !desk?.case?.lease) return;
  const left = Math.floor((Date.parse(desk.case.lease.until) - Date.now()) / 1000);
  clock.textContent =
    left > 0 ? t('lease_left', { t: `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}` }) : t('lease_expired');
  clock.classList.toggle('low', left < 60);
}

function onKey(event) {
  if (!desk || event.ctrlKey || event.metaKey || event.altKey) return;
  const typing = ['INPUT', 'TEXTAREA', 'SELECT'].includes(event.target.tagName);
  if (typing) {
    if (event.key === 'Escape') event.target.blur();
    return;
  }
  const key = event.key.toLowerCase();
  if (key === 'a') decide('approve');
  else if (key === 'r') decide('reject');
  else if (key === 'n' && !desk.held) next();
  else if (/^[1-9]$/.test(key) && desk.held) {
    const reason = reasonsCache?.[Number(key) - 1];
    if (reason) toggle(reason.code);
  } else return;
  event.preventDefault();
}

function toggle(code) {
  if (desk.selected.has(code)) desk.selected.delete(code);
  else desk.selected.add(code);
  desk.flash = null;
  render();
}

function render() {
  if (!desk) return;
  const { root } = desk;
  if (!desk.case) {
    const trouble = desk.trouble;
    const empty = trouble?.code === 'queue_empty';
    // Our own words for what a reviewer meets every day; the API's for anything else.
    const words = !trouble
      ? ''
      : [...LOST, 'queue_empty'].includes(trouble.code)
        ? t(trouble.code)
        : trouble instanceof ApiError
          ? trouble.words
          : t('error_unknown');
    return show(
      root,
      desk.flash ? h('p', { class: desk.flash.kind, role: 'status' }, desk.flash.text) : null,
      h('p', { class: empty ? 'empty' : 'problem', role: 'alert' }, words),
      h('p', {}, h('button', { type: 'button', class: 'primary', onclick: () => next() }, t('take_next'), h('kbd', {}, 'N')), ' ', h('a', { href: `#/queue/${desk.task}` }, t('back'))),
    );
  }
  const c = desk.case;
  show(
    root,
    h(
      'div',
      { class: 'desk' },
      h(
        'section',
        { class: 'head' },
        h('h1', {}, c.student.name, ' ', h('small', {}, c.student.student_number)),
        h('p', {}, `${c.student.school} · ${c.student.education_level_zh} · ${c.student.major} · ${t('submitted_at')} ${when(c.submitted_at)}`),
        h('p', { id: 'lease', class: 'lease' }),
        desk.flash ? h('p', { class: desk.flash.kind, role: 'status' }, desk.flash.text) : null,
      ),
      h(
        'section',
        { class: 'photos' },
        photo('original', c.photos.original),
        photo('standardised', c.photos.standardised),
        c.photos.retouched ? photo('retouched', c.photos.retouched) : null,
        photo('id_card', c.photos.id_card),
      ),
      c.retouch?.retouched ? h('p', { class: 'retouched', id: 'retouched-note' }, t('retouched_by', { who: c.retouch.retouched.retoucher, note: c.retouch.note })) : null,
      h('section', { class: 'facts' }, face(c.face_match), idCard(c.id_card), flags(c.review_flags), report(c.report), previous(c.last_decision)),
      decision(),
    ),
  );
  tick();
}

function photo(which, link) {
  const frame = h('figure', { class: 'photo', dataset: { which } }, h('figcaption', {}, t(which)));
  if (!link) {
    frame.append(h('div', { class: 'missing' }, t('no_photo')));
    return frame;
  }
  const image = h('img', { src: link.url, alt: t(which), title: t('zoom_hint'), loading: 'eager' });
  image.addEventListener('click', () => frame.classList.toggle('zoomed'));
  frame.append(h('div', { class: 'frame' }, image));
  return frame;
}

function face(match) {
  if (!match) return h('div', { class: 'face-match' }, h('h2', {}, t('face')), '–');
  const verdict = match.verdict;
  return h(
    'div',
    { class: 'face-match' },
    h('h2', {}, t('face')),
    h('span', { class: `face ${verdict}`, id: 'face-verdict' }, t(`face_${verdict}`)),
    ' ',
    verdict === 'unavailable'
      ? t(`gap_${match.gap}`)
      : t('face_distance', { d: Number(match.distance).toFixed(3), t: Number(match.threshold).toFixed(2) }),
  );
}

// What the ID card the face was matched against says, masked, against the verified identity:
// a mismatch or an unread card is a flag the reviewer weighs with the face match.
function idCard(card) {
  if (!card) return h('div', { class: 'id-card' }, h('h2', {}, t('card_reading')), t('id_card_none'));
  const ok = card.check === 'matches';
  return h(
    'div',
    { class: 'id-card' },
    h('h2', {}, t('card_reading')),
    h('span', { class: `face ${ok ? 'same' : 'uncertain'}`, id: 'id-card-check' }, t(`card_${card.check}`)),
    ' ',
    card.name ? `${card.name} ${card.id_number}` : '',
    ok ? null : h('p', { class: 'flag' }, pick(card, 'message')),
  );
}

function flags(list) {
  if (!list?.length) return null;
  return h(
    'div',
    { class: 'flags' },
    h('h2', {}, t('review_flags')),
    h('ul', {}, list.map((r) => h('li', { class: 'flag' }, h('strong', {}, pick(r, 'title')), ' — ', pick(r, 'hint')))),
  );
}

function report(r) {
  if (!r) return h('div', { class: 'report' }, h('h2', {}, t('report')), t('no_report'));
  const order = { fail: 0, review: 1, pass: 2, skipped: 3 };
  const titles = reasonTitles();
  const checks = [...(r.checks ?? [])].sort((a, b) => order[a.status] - order[b.status]);
  return h(
    'div',
    { class: 'report' },
    h('h2', {}, t('report')),
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', {}, t('check')), h('th', {}, t('measured')), h('th', {}, t('threshold')), h('th', {}, ''))),
      h(
        'tbody',
        {},
        checks.map((c) =>
          h(
            'tr',
            { class: `check ${c.status}` },
            // A check is named by its id; where it failed or needs a person, also by the
            // reason it stands for, in the reviewer's language.
            h('td', {}, c.check, c.status === 'fail' || c.status === 'review' ? h('small', {}, ` · ${titles.get(c.code) ?? c.code}`) : null),
            h('td', { class: 'num' }, typeof c.measured === 'number' ? round(c.measured) : '–'),
            h('td', { class: 'num' }, `${c.comparison ?? ''} ${typeof c.threshold === 'number' ? round(c.threshold) : ''} ${c.unit ?? ''}`),
            h('td', {}, t(`status_${c.status}`)),
          ),
        ),
      ),
    ),
  );
}

/** Reason code → its title in the current language. */
function reasonTitles() {
  return new Map((reasonsCache ?? []).map((r) => [r.code, pick(r, 'title')]));
}

function round(x) {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString();
}

/** A retake after a rejection: what the last reviewer asked for, to check it was done. */
function previous(last) {
  if (last?.verdict !== 'rejected') return null;
  const titles = reasonTitles();
  return h(
    'div',
    { class: 'previous' },
    h('h2', {}, t('previous_rejection', { who: last.reviewer, at: when(last.decided_at) })),
    h('ul', {}, last.reasons.map((code) => h('li', {}, titles.get(code) ?? code))),
    last.note ? h('p', {}, last.note) : null,
  );
}

function decision() {
  const list = reasonsCache ?? [];
  const note = h('textarea', { id: 'note', rows: 2, maxlength: 200, placeholder: t('note') });
  note.value = desk.note;
  note.addEventListener('input', () => (desk.note = note.value));
  return h(
    'section',
    { class: 'decision' },
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'approve', onclick: () => decide('approve'), disabled: desk.busy }, t('approve'), h('kbd', {}, 'A')),
      h('button', { type: 'button', class: 'reject', onclick: () => decide('reject'), disabled: desk.busy }, t('reject'), h('kbd', {}, 'R')),
      h('button', { type: 'button', class: 'retouch', onclick: () => decide('retouch'), disabled: desk.busy }, t('send_to_retouch')),
      h('button', { type: 'button', class: 'leave', onclick: () => (location.hash = `#/queue/${desk.task}`) }, t('leave')),
    ),
    h('h2', {}, t('reasons')),
    h(
      'ol',
      { class: 'reasons' },
      list.map((r, i) =>
        h(
          'li',
          {},
          h(
            'label',
            { class: desk.selected.has(r.code) ? 'on' : null, title: pick(r, 'hint') },
            h('input', { type: 'checkbox', value: r.code, checked: desk.selected.has(r.code), onchange: () => toggle(r.code) }),
            i < 9 ? h('kbd', {}, i + 1) : null,
            pick(r, 'title'),
          ),
        ),
      ),
    ),
    note,
    h('p', { class: 'hint' }, t('keys')),
  );
}
