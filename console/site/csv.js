// CSV for spreadsheets: what operators download opens in Excel or WPS as text, never as a
// formula. No imports, so the rules are tested on their own.

/**
 * One cell: quoted, and a value a spreadsheet would run as a formula (starting with
 * = + - @, or a tab or carriage return) prefixed with an apostrophe.
 */
export function cell(value) {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

/** Rows as a file: a BOM so that Excel reads UTF-8, CRLF line ends. */
export function csv(rows) {
  return '\uFEFF' + rows.map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}
