// A tiny element builder: text always goes in as text, never as HTML, so nothing the API
// returns can inject markup.

/** `h('td', {class: 'x', onclick: f}, 'text', child)` */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces what `element` shows. */
export function show(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/** Hours as the console writes them: one decimal. */
export function hours(value) {
  return value === null || value === undefined ? '–' : Number(value).toFixed(1);
}

/** A timestamp in China time, which is what schools and students go by. */
export function when(iso) {
  if (!iso) return '–';
  return new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
}
