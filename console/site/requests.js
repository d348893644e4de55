// The operators' page of students' requests: a student on a new WeChat account asking for their
// identity, a student whose roster row the school mistyped, a student asking for their personal
// data to be erased. The operator checks the person outside the service (the student quotes the
// request's number) and approves or refuses with a reason, which the request keeps. Approved
// erasures are carried out by the purger within the hour; the page lists them, waiting or done.

import { call } from './api.js';
import { h, show, when } from './dom.js';
import { t } from './i18n.js';

export async function pending(root) {
  show(root, h('p', { class: 'loading' }, t('loading')));
  let requests, erasures;
  try {
    [{ requests }, erasures] = await Promise.all([call('GET', '/v1/review/requests'), call('GET', '/v1/review/erasures')]);
  } catch (error) {
    return show(root, h('p', { class: 'problem', role: 'alert' }, error.words));
  }
  show(
    root,
    h('h1', {}, t('requests')),
    h('p', { class: 'hint' }, t('requests_hint')),
    requests.length === 0 ? h('p', { class: 'none' }, t('no_requests')) : h('div', { class: 'requests' }, requests.map(card)),
    erasureList(erasures),
    h('p', {}, h('a', { href: '#/ops' }, t('back'))),
  );
}

// Approved erasures waiting for the purger (and why, if a case holds them), then those carried
// out, with what was deleted, counted. Neither names the student.
function erasureList({ approved, done }) {
  if (approved.length === 0 && done.length === 0) return null;
  const row = (request) => {
    const progress = request.erasure ?? {};
    const state = progress.done
      ? t('erasure_done', { at: when(progress.done.at) })
      : progress.blocked
        ? t(`erasure_blocked_${progress.blocked}`)
        : t('erasure_waiting');
    const counts = progress.done ? t('erasure_counts', progress.done) : '';
    return h(
      'tr',
      { class: `erasure ${request.status}`, dataset: { request: request.id } },
      h('td', {}, request.id),
      h('td', {}, when(request.created_at)),
      h('td', { class: progress.blocked ? 'state problem' : 'state' }, state),
      h('td', { class: 'counts' }, counts),
    );
  };
  return h(
    'section',
    { class: 'erasures' },
    h('h2', {}, t('erasures')),
    h('p', { class: 'hint' }, t('erasures_hint')),
    h(
      'table',
      { class: 'erasures' },
      h('thead', {}, h('tr', {}, [t('request_no'), t('asked_at'), t('erasure_state'), t('erasure_deleted')].map((c) => h('th', {}, c)))),
      h('tbody', {}, [...approved, ...done].map(row)),
    ),
  );
}

function card(request) {
  const reason = h('input', { class: 'reason', size: 50, maxlength: 200, placeholder: t('decision_reason'), 'aria-label': t('decision_reason') });
  const outcome = h('p', { class: 'outcome', 'aria-live': 'polite' });
  const decide = (verb) => async (event) => {
    event.preventDefault();
    if (!reason.value.trim()) {
      reason.focus();
      return show(outcome, h('span', { class: 'problem' }, t('reason_needed')));
    }
    buttons.forEach((b) => (b.disabled = true));
    try {
      await call('POST', `/v1/review/requests/${request.id}/${verb}`, { json: { reason: reason.value.trim() } });
      article.classList.add('decided');
      show(outcome, h('span', { class: 'done' }, t(verb === 'approve' ? 'request_approved' : 'request_refused')));
    } catch (error) {
      buttons.forEach((b) => (b.disabled = false));
      show(outcome, h('span', { class: 'problem', role: 'alert' }, error.words));
    }
  };
  const buttons = [
    h('button', { class: 'approve primary', onclick: decide('approve') }, t('approve_request')),
    h('button', { class: 'refuse', onclick: decide('refuse') }, t('refuse_request')),
  ];
  const kind = request.kind.type;
  const article = h(
    'article',
    { class: `request ${kind}`, dataset: { request: request.id } },
    h('h2', {}, t(`request_${kind}`), ' ', h('small', {}, `${t('request_no')} ${request.id}`)),
    h(
      'dl',
      {},
      h('dt', {}, t('asked_at')),
      h('dd', {}, when(request.created_at)),
      request.identity ? [h('dt', {}, t('identity')), h('dd', {}, `${request.identity.name} ${request.identity.id_number}`)] : null,
      kind === 'transfer' ? [h('dt', {}, t('cases_moving')), h('dd', { class: 'cases' }, request.cases)] : null,
      kind === 'erasure' ? [h('dt', {}, t('cases_erased')), h('dd', { class: 'cases' }, request.cases)] : null,
      request.erasure_blocked
        ? [h('dt', {}, t('erasure_state')), h('dd', { class: 'blocked problem' }, t(`erasure_blocked_${request.erasure_blocked}`))]
        : null,
      request.row
        ? [
            h('dt', {}, t('roster_row')),
            h('dd', {}, `${request.row.school} · ${request.row.student_number} · ${request.row.name} ${request.row.id_number}`),
            h('dt', {}, t('differing')),
            h('dd', { class: request.row.differing_characters > 2 ? 'differing problem' : 'differing' }, request.row.differing_characters),
          ]
        : null,
    ),
    h('form', { class: 'decide', onsubmit: (e) => e.preventDefault() }, reason, buttons),
    outcome,
  );
  return article;
}
