// The operators' print and shipping pages: each task's printed photos by stage, making a
// batch of print sheets, a batch's sheets and the courier's labels (CSV, built here, safe to
// open in a spreadsheet), and recording parcels (for the whole batch, one by one, or from the
// courier's CSV) and deliveries.

import { ApiError, call } from './api.js';
import { h, show, when } from './dom.js';
import { csv } from './csv.js';
import { t } from './i18n.js';

const STAGES = ['ordered', 'printed', 'shipped'];

/** Every task, each a link to its print page. */
export async function tasks(root) {
  show(root, h('p', { class: 'loading' }, t('loading')));
  let list;
  try {
    ({ tasks: list } = await call('GET', '/v1/tasks'));
  } catch (error) {
    return show(root, h('p', { class: 'problem', role: 'alert' }, error.words));
  }
  show(
    root,
    h('h1', {}, t('print')),
    h(
      'ul',
      { class: 'print-tasks' },
      list.map((task) => h('li', { dataset: { task: task.id } }, h('a', { href: `#/ops/print/${task.id}` }, task.school), ' ', h('small', {}, task.session_code))),
    ),
  );
}

/** One task: the offer, the cases by stage, making a batch, recent batches; `notice`, what
 * the last step did, above them. */
export async function task(root, id, notice = null) {
  show(root, h('p', { class: 'loading' }, t('loading')));
  let view;
  try {
    view = await call('GET', `/v1/review/print/tasks/${id}`);
  } catch (error) {
    return show(root, h('p', { class: 'problem', role: 'alert' }, error.words), h('a', { href: '#/ops/print' }, t('back')));
  }
  const offer = view.offer;
  const outcome = h('div', { id: 'print-outcome', 'aria-live': 'polite' }, notice);
  show(
    root,
    h('h1', {}, t('print'), ': ', view.school),
    h('p', { class: 'hint' }, offer ? t('print_offer', { price: (offer.price_fen / 100).toFixed(2), w: offer.width_mm, h: offer.height_mm }) : t('print_none')),
    offer ? makeBatchForm(root, id, outcome) : null,
    outcome,
    STAGES.map((stage) => stageTable(root, id, stage, view.cases[stage] ?? [])),
    h('h2', {}, t('print_batches')),
    view.batches.length === 0
      ? h('p', { class: 'empty' }, '–')
      : h(
          'ul',
          { class: 'print-batches' },
          view.batches.map((b) => h('li', {}, h('a', { href: `#/ops/print/batch/${b.batch_id}` }, when(b.created_at)), ` · ${t('sheets_n', { n: b.sheets })} · ${b.operator}`)),
        ),
  );
}

function makeBatchForm(root, id, outcome) {
  const format = h('select', { id: 'sheet-format' }, h('option', { value: 'jpeg' }, 'JPEG'), h('option', { value: 'pdf' }, 'PDF'));
  return h(
    'form',
    {
      class: 'make-batch',
      onsubmit: async (e) => {
        e.preventDefault();
        show(outcome, t('loading'));
        try {
          const batch = await call('POST', `/v1/review/print/tasks/${id}/batches`, { json: { format: format.value } });
          if (batch.skipped.length === 0) {
            location.hash = `#/ops/print/batch/${batch.batch_id}`;
            return;
          }
          // Cases left out for want of a usable photo: said here, before moving on.
          show(
            outcome,
            h('p', { class: 'problem', role: 'alert' }, t('sheets_skipped', { n: batch.skipped.length })),
            h('ul', {}, batch.skipped.map((s) => h('li', {}, h('code', {}, s.collection_id), `: ${s.problem}`))),
            h('a', { href: `#/ops/print/batch/${batch.batch_id}` }, t('print_batch')),
          );
        } catch (error) {
          show(outcome, h('p', { class: 'problem', role: 'alert' }, error.words));
        }
      },
    },
    h('label', { for: 'sheet-format' }, t('sheet_format')),
    format,
    h('button', { type: 'submit', class: 'primary' }, t('make_sheets')),
  );
}

function stageTable(root, id, stage, cases) {
  const shipped = stage === 'shipped';
  const result = h('div', { class: 'step-results', 'aria-live': 'polite' });
  const table = h(
    'table',
    { class: `print-stage ${stage}` },
    h(
      'thead',
      {},
      h('tr', {}, shipped ? h('th', {}, '') : null, h('th', {}, t('student_number')), h('th', {}, t('case_id')), h('th', {}, t('courier')), h('th', {}, t('tracking_no'))),
    ),
    h(
      'tbody',
      {},
      cases.map((c) =>
        h(
          'tr',
          { dataset: { case: c.collection_id } },
          shipped ? h('td', {}, h('input', { type: 'checkbox', value: c.collection_id, 'aria-label': c.student_number })) : null,
          h('td', {}, c.student_number),
          h('td', {}, h('code', {}, c.collection_id)),
          h('td', {}, c.courier ?? '–'),
          h('td', {}, c.tracking_no ?? '–'),
        ),
      ),
    ),
  );
  const deliver = shipped && cases.length
    ? h(
        'button',
        {
          type: 'button',
          class: 'deliver',
          onclick: async () => {
            const ids = [...table.querySelectorAll('input:checked')].map((box) => box.value);
            if (ids.length === 0) return show(result, h('p', { class: 'problem' }, t('choose_cases')));
            try {
              const answer = await call('POST', '/v1/review/print/deliveries', { json: { collection_ids: ids } });
              await task(root, id, results(answer));
            } catch (error) {
              show(result, h('p', { class: 'problem', role: 'alert' }, error.words));
            }
          },
        },
        t('mark_delivered'),
      )
    : null;
  return h(
    'section',
    { class: 'stage', dataset: { stage } },
    h('h2', {}, t(`print_${stage}`), ` (${cases.length})`),
    cases.length ? table : h('p', { class: 'empty' }, '–'),
    deliver,
    result,
  );
}

/** A batch: its sheets to download, the labels, and the parcels. */
export async function batch(root, id) {
  show(root, h('p', { class: 'loading' }, t('loading')));
  let view;
  try {
    view = await call('GET', `/v1/review/print/batches/${id}`);
  } catch (error) {
    return show(root, h('p', { class: 'problem', role: 'alert' }, error.words), h('a', { href: '#/ops/print' }, t('back')));
  }
  const result = h('div', { class: 'step-results', 'aria-live': 'polite' });
  show(
    root,
    h('h1', {}, t('print_batch'), ' ', h('small', {}, when(view.created_at))),
    h(
      'table',
      { class: 'sheets' },
      h('thead', {}, h('tr', {}, h('th', {}, t('student_number')), h('th', {}, t('sheet')), h('th', {}, 'SHA-256'), h('th', {}, t('courier')), h('th', {}, t('tracking_no')), h('th', {}, ''))),
      h('tbody', {}, view.sheets.map((s) => sheetRow(s, result))),
    ),
    h('button', { type: 'button', id: 'labels', onclick: () => labels(id, result) }, t('download_labels')),
    wholeBatchForm(id, result),
    importForm(result),
    result,
    h('p', {}, h('a', { href: `#/ops/print/${view.task_id}` }, t('back'))),
  );
}

function sheetRow(sheet, result) {
  const courier = h('input', { class: 'courier', size: 8, 'aria-label': t('courier') });
  const tracking = h('input', { class: 'tracking', size: 16, 'aria-label': t('tracking_no') });
  const ship = async () => {
    const parcel = { collection_id: sheet.collection_id, courier: courier.value, tracking_no: tracking.value };
    await shipments({ parcels: [parcel] }, result);
  };
  return h(
    'tr',
    { dataset: { case: sheet.collection_id } },
    h('td', {}, sheet.student_number),
    h('td', {}, h('a', { href: sheet.download.url, download: '' }, t('download'))),
    h('td', {}, h('code', {}, sheet.sha256.slice(0, 12))),
    h('td', {}, courier),
    h('td', {}, tracking),
    h('td', {}, h('button', { type: 'button', class: 'ship-one', onclick: ship }, t('ship'))),
  );
}

function wholeBatchForm(id, result) {
  const courier = h('input', { id: 'batch-courier', size: 8 });
  const tracking = h('input', { id: 'batch-tracking', size: 16 });
  return h(
    'form',
    {
      class: 'ship-batch',
      onsubmit: (e) => (e.preventDefault(), shipments({ batch_id: id, courier: courier.value, tracking_no: tracking.value }, result)),
    },
    h('h2', {}, t('ship_batch')),
    h('label', { for: 'batch-courier' }, t('courier')),
    courier,
    h('label', { for: 'batch-tracking' }, t('tracking_no')),
    tracking,
    h('button', { type: 'submit', class: 'primary' }, t('ship')),
  );
}

function importForm(result) {
  const file = h('input', { type: 'file', id: 'shipments-file', accept: '.csv,text/csv' });
  file.addEventListener('change', async () => {
    const picked = file.files[0];
    if (!picked) return;
    try {
      const answer = await call('POST', '/v1/review/print/shipments/import', { text: await picked.arrayBuffer(), contentType: 'text/csv' });
      show(result, results(answer));
    } catch (error) {
      show(result, h('p', { class: 'problem', role: 'alert' }, error.words));
    }
  });
  return h('p', { class: 'import-shipments' }, h('label', { for: 'shipments-file' }, t('import_shipments')), file, h('span', { class: 'hint' }, t('import_shipments_hint')));
}

async function shipments(body, result) {
  try {
    show(result, results(await call('POST', '/v1/review/print/shipments', { json: body })));
  } catch (error) {
    show(result, h('p', { class: 'problem', role: 'alert' }, error instanceof ApiError ? error.words : String(error)));
  }
}

/** Each case's outcome on its own line. */
function results(answer) {
  return h(
    'ul',
    { class: 'results' },
    answer.results.map((r) =>
      h('li', { class: r.result === 'done' || r.result === 'already' ? 'done' : 'problem', dataset: { case: r.collection_id } }, h('code', {}, r.collection_id), ': ', t(`result_${r.result}`) === `result_${r.result}` ? r.message_en ?? r.result : t(`result_${r.result}`)),
    ),
  );
}

/** The batch's addresses as the courier's CSV, downloaded from the browser. */
async function labels(id, result) {
  let answer;
  try {
    answer = await call('GET', `/v1/review/print/batches/${id}/addresses`);
  } catch (error) {
    return show(result, h('p', { class: 'problem', role: 'alert' }, error.words));
  }
  const columns = ['collection_id', 'student_number', 'recipient', 'phone', 'province', 'city', 'district', 'detail'];
  const header = ['案件编号', '学号', '收件人', '电话', '省', '市', '区', '详细地址'];
  const rows = [header, ...answer.addresses.map((a) => columns.map((c) => a[c] ?? ''))];
  const blob = new Blob([csv(rows)], { type: 'text/csv;charset=utf-8' });
  const link = h('a', { href: URL.createObjectURL(blob), download: `labels-${id}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  show(result, h('p', { class: 'done' }, t('labels_ready', { n: answer.addresses.length })));
}

