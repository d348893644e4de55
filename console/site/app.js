// The console's shell: sign-in, the header, and the routes (`#/…`) to the reviewer's and the
// operator's pages.

import { ApiError, call, decodeClaims, session, signIn, signOut } from './api.js';
import { h, show } from './dom.js';
import { language, setLanguage, t } from './i18n.js';
import * as operator from './operator.js';
import * as print from './print.js';
import * as requests from './requests.js';
import * as retouch from './retouch.js';
import * as review from './review.js';

const main = document.getElementById('main');

/** Each page: a pattern of the hash and what draws it. */
const ROUTES = [
  [/^#\/queues$/, () => review.queues(page)],
  [/^#\/queue\/([0-9A-Z]{26})$/, (task) => review.queue(page, task)],
  [/^#\/review\/([0-9A-Z]{26})$/, (task) => review.workspace(page, task)],
  [/^#\/retouch$/, () => retouch.queue(page)],
  [/^#\/retouch\/([0-9A-Z]{26})$/, (id) => retouch.workspace(page, id)],
  [/^#\/ops$/, () => operator.overview(page)],
  [/^#\/ops\/requests$/, () => requests.pending(page)],
  [/^#\/ops\/print$/, () => print.tasks(page)],
  [/^#\/ops\/print\/([0-9A-Z]{26})$/, (task) => print.task(page, task)],
  [/^#\/ops\/print\/batch\/([0-9A-Z]{26})$/, (id) => print.batch(page, id)],
  [/^#\/ops\/staff\/([^/]+)$/, (subject) => operator.staff(page, decodeURIComponent(subject))],
  [/^#\/ops\/case\/([0-9A-Za-z]{26})$/, (id) => operator.trail(page, id)],
];

function home(who) {
  return { operator: '#/ops', retoucher: '#/retouch' }[who.role] ?? '#/queues';
}

/** Where the current page draws. */
let page = main;

async function route() {
  review.leave();
  drawHeader();
  // Each route draws into an element of its own: a slow answer for a page left behind lands in
  // a detached element, never over the page now shown.
  page = document.createElement('div');
  main.replaceChildren(page);
  const who = session();
  if (!who) return drawSignIn();
  const hash = location.hash;
  for (const [pattern, draw] of ROUTES) {
    const match = hash.match(pattern);
    if (match) return draw(...match.slice(1));
  }
  location.replace(home(who));
}

/** Goes to `hash`, drawing it even when it is the current one. */
function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function drawHeader() {
  const who = session();
  document.title = t('title');
  document.getElementById('home').textContent = t('title');
  document.getElementById('lang').textContent = t('lang');
  const out = document.getElementById('sign-out');
  out.textContent = t('sign_out');
  out.hidden = !who;
  show(
    document.getElementById('who'),
    who ? t('signed_in_as', { role: t(`role_${who.role}`), who: who.subject }) : '',
  );
  show(
    document.getElementById('nav'),
    who && who.role !== 'retoucher' ? h('a', { href: '#/queues' }, t('queues')) : null,
    who && who.role !== 'reviewer' ? h('a', { href: '#/retouch' }, t('retouch_queue')) : null,
    who?.role === 'operator' ? h('a', { href: '#/ops' }, t('operations')) : null,
    who?.role === 'operator' ? h('a', { href: '#/ops/requests' }, t('requests')) : null,
    who?.role === 'operator' ? h('a', { href: '#/ops/print' }, t('print')) : null,
  );
}

function drawSignIn(problem) {
  const input = h('textarea', { id: 'token', rows: 4, autocomplete: 'off', spellcheck: 'false' });
  const form = h(
    'form',
    { class: 'sign-in', onsubmit: (e) => (e.preventDefault(), trySignIn(input.value)) },
    h('label', { for: 'token' }, t('token')),
    input,
    h('p', { class: 'hint' }, t('token_hint')),
    problem ? h('p', { class: 'problem', role: 'alert' }, problem) : null,
    h('button', { type: 'submit', class: 'primary' }, t('sign_in')),
  );
  // Enter signs in (a token has no line breaks); the whole page works from the keyboard.
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  show(page, form);
  input.focus();
}

async function trySignIn(token) {
  const claims = decodeClaims(token.trim());
  if (!claims || !['reviewer', 'operator', 'retoucher'].includes(claims.role)) {
    return drawSignIn(claims?.role === 'student' ? t('token_student') : t('token_bad'));
  }
  signIn(token);
  try {
    // The server is the judge of the token: a call the role may make.
    await call('GET', claims.role === 'retoucher' ? '/v1/review/retouch/queue' : '/v1/review/reasons');
  } catch (error) {
    signOut();
    return drawSignIn(error instanceof ApiError && error.status === 401 ? t('token_bad') : error.words);
  }
  go(home(session()));
}

document.getElementById('lang').addEventListener('click', () => {
  setLanguage(language() === 'zh' ? 'en' : 'zh');
  drawHeader();
  // The case under review is redrawn in place: its claim is kept.
  if (!review.redraw()) route();
});
document.getElementById('sign-out').addEventListener('click', () => {
  review.leave();
  signOut();
  go('');
});
window.addEventListener('hashchange', route);
window.addEventListener('pagehide', () => review.leave());
setLanguage(language());
route();
