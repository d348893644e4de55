// The retouchers' pages: the queue of photos reviewers sent to retouching, and the workspace
// where a retoucher takes one, sees the original and the standardised photo with the reviewer's
// note, and uploads the corrected 480×640 JPEG. The photo processor checks it; the workspace
// shows the verdict when it comes.

import { ApiError, call } from './api.js';
import { h, show, when } from './dom.js';
import { t } from './i18n.js';

export async function queue(root) {
  show(root, h('p', { class: 'loading' }, t('loading')));
  let cases;
  try {
    ({ cases } = await call('GET', '/v1/review/retouch/queue'));
  } catch (error) {
    return show(root, h('p', { class: 'problem', role: 'alert' }, error.words));
  }
  show(
    root,
    h('h1', {}, t('retouch_queue')),
    cases.length === 0
      ? h('p', { class: 'empty' }, t('retouch_empty'))
      : h(
          'table',
          { class: 'retouch-queue' },
          h('thead', {}, h('tr', {}, h('th', {}, t('school')), h('th', {}, t('retouch_note')), h('th', {}, t('submitted_at')), h('th', {}, ''))),
          h(
            'tbody',
            {},
            cases.map((c) =>
              h(
                'tr',
                { dataset: { case: c.collection_id } },
                h('td', {}, c.school),
                h('td', {}, c.note),
                h('td', {}, when(c.asked_at)),
                h('td', {}, h('a', { class: 'primary', href: `#/retouch/${c.collection_id}` }, t('retouch_take'))),
              ),
            ),
          ),
        ),
  );
}

/** Takes the case and shows it; after an upload, waits for the processor's verdict. */
export async function workspace(root, id) {
  show(root, h('p', { class: 'loading' }, t('loading')));
  let view;
  try {
    view = await call('POST', `/v1/review/retouch/cases/${id}/claim`);
  } catch (error) {
    return show(root, h('p', { class: 'problem', role: 'alert' }, error.words), h('p', {}, h('a', { href: '#/retouch' }, t('back'))));
  }
  const outcome = h('p', { id: 'retouch-outcome', 'aria-live': 'polite' });
  const file = h('input', { type: 'file', id: 'retouch-file', accept: 'image/jpeg' });
  // Each upload's verdict is the first check after the last one seen.
  const seen = { at: view.last_check?.checked_at };
  file.addEventListener('change', () => upload(id, file.files[0], seen, outcome));
  show(
    root,
    h('h1', {}, t('retouch_note'), ': ', h('span', { id: 'retouch-note' }, view.note)),
    h('p', { class: 'hint' }, `${view.reviewer} · ${when(view.asked_at)}`),
    h(
      'section',
      { class: 'photos' },
      figure('original', view.original),
      figure('standardised', view.standardised),
    ),
    h('label', { for: 'retouch-file' }, t('retouch_upload')),
    file,
    outcome,
    h('p', {}, h('a', { href: '#/retouch' }, t('back'))),
  );
}

function figure(which, link) {
  return h(
    'figure',
    { class: 'photo', dataset: { which } },
    h('figcaption', {}, h('a', { href: link.url, download: `${which}.jpg` }, t(which))),
    h('div', { class: 'frame' }, h('img', { src: link.url, alt: t(which) })),
  );
}

async function upload(id, photo, seen, outcome) {
  if (!photo) return;
  show(outcome, t('retouch_sent'));
  try {
    const { upload: put } = await call('POST', `/v1/review/retouch/cases/${id}/upload`, {
      json: { content_length: photo.size },
    });
    const headers = Object.fromEntries(put.headers.filter(([name]) => name.toLowerCase() !== 'content-length'));
    const sent = await fetch(put.url, { method: 'PUT', headers, body: photo });
    if (!sent.ok) throw new Error(`HTTP ${sent.status}`);
    show(outcome, await verdict(id, seen));
  } catch (error) {
    show(outcome, h('span', { class: 'problem' }, error instanceof ApiError ? error.words : String(error)));
  }
}

/** Polls the workspace until a check newer than the one `seen` arrives, or the case went back. */
async function verdict(id, seen) {
  for (let i = 0; i < 90; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    let view;
    try {
      view = await call('GET', `/v1/review/retouch/cases/${id}`);
    } catch (error) {
      // Back in review: a retoucher no longer sees it.
      if (error instanceof ApiError && error.code === 'not_in_retouching') return h('span', { class: 'done' }, t('retouch_back'));
      throw error;
    }
    const check = view.last_check;
    if (check && check.checked_at !== seen.at) {
      seen.at = check.checked_at;
      if (check.problems.length === 0) return h('span', { class: 'done' }, t('retouch_back'));
      return h('span', { class: 'problem' }, t('retouch_refused'), check.problems.join('; '));
    }
  }
  return h('span', { class: 'problem' }, t('error_unknown'));
}
