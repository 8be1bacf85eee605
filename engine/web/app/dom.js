// Building the page without innerHTML: every text from the API goes in as text, never as
// markup, so a citizen's name can never become script.

// h('a', {href: '/x', class: 'nav-link'}, 'tekst', child...): an element. Attributes whose
// value is null, undefined or false are left out; "on..." attributes take a function.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Replaces what EL holds.
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let idSeq = 0;
export function newId(prefix) {
  idSeq += 1;
  return `${prefix}-${idSeq}`;
}

// A DKFDS alert: kind is info, success, warning or error. Warnings and errors are announced
// at once (role=alert), the others politely (role=status).
export function alert(kind, heading, ...body) {
  const urgent = kind === 'error' || kind === 'warning';
  return h('div', {class: `alert alert-${kind}`, role: urgent ? 'alert' : 'status'},
    h('div', {class: 'alert-body'},
      heading ? h('p', {class: 'alert-heading'}, heading) : null,
      body.length ? h('div', {class: 'alert-text'}, ...body) : null));
}

// A form field with its label (and hint): the control gets an id the label points at.
export function field(label, control, hint) {
  const id = control.id || newId('felt');
  control.id = id;
  let hintEl = null;
  if (hint) {
    hintEl = h('span', {class: 'form-hint', id: `${id}-hint`}, hint);
    control.setAttribute('aria-describedby', `${id}-hint`);
  }
  return h('div', {class: 'form-group'}, h('label', {class: 'form-label', for: id}, label),
    hintEl, control);
}

// A table in DKFDS style that stacks its cells under their headings on a narrow screen.
// COLUMNS: [{title, cell: item => node|text}]; returns {table, tbody, add(items)}.
export function table(caption, columns, items = []) {
  const tbody = h('tbody');
  const tableEl = h('table', {class: 'table table--compact table-md-responsive-headers'},
    h('caption', {class: 'sr-only'}, caption),
    h('thead', {}, h('tr', {}, columns.map(c => h('th', {scope: 'col'}, c.title)))),
    tbody);
  const add = list => {
    for (const item of list) {
      tbody.append(h('tr', {}, columns.map(c =>
        h('td', {'data-title': c.title}, c.cell(item)))));
    }
  };
  add(items);
  return {table: tableEl, tbody, add};
}

// After a page's content arrived (it loads after the page is shown): focus its heading, so a
// screen reader starts there, unless the person has moved focus elsewhere meanwhile.
export function focusLoadedHeading(box) {
  const h1 = box.querySelector('h1');
  if (!h1) return;
  h1.tabIndex = -1;
  if (document.activeElement === document.body || box.contains(document.activeElement)) {
    h1.focus({preventScroll: true});
  }
}
