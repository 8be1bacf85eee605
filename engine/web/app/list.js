// A list from the API, a page at a time: the first page now, "Vis flere" fetches the next with
// the API's cursor and adds it below, moving focus to the first new row's link. Filters are
// the API's query parameters (a new filter starts from the first page); sorting other than
// the API's own order sorts the rows fetched so far, and says so.
import {get, pageUrl, explain} from './api.js';
import {h, table, alert, replace, field, newId} from './dom.js';

const collator = new Intl.Collator('da');

// OPTIONS: caption, columns (see dom.table), path, empty (text when there is nothing),
// limit, filters ([{name, label, options: [[value, text]…], more: () => promise of more
// options} or {name, label, type: 'number'}]:
// each the API's query parameter NAME), sorts ([{label, key: item => string|number}]: ways
// to sort besides the API's order, which is named by apiOrder), find ({label, text: item =>
// string}: a field that keeps the rows fetched so far whose text holds what is typed, for a
// list the API does not filter). Returns an element that fills itself, and a reload() for
// after a change.
export function pagedList({caption, columns, path, empty, limit = 25, filters = [], sorts = [],
  apiOrder = 'Frist', find = null}) {
  const box = h('div', {class: 'og-list'});
  const body = h('div');
  let cursor = null;
  let items = [];
  let query = {};
  let sortBy = -1; // the API's order
  let needle = ''; // what find keeps, lower case
  const more = h('button', {type: 'button', class: 'button button-secondary', hidden: true},
    'Vis flere');
  const status = h('p', {class: 'og-list-status', role: 'status'});
  let t = null;

  function url() {
    const u = new URL(path, location.origin);
    for (const [k, v] of Object.entries(query)) if (v !== '') u.searchParams.set(k, v);
    return u.pathname + u.search;
  }

  function found() {
    return needle ? items.filter(i => find.text(i).toLocaleLowerCase('da').includes(needle)) : items;
  }

  function sorted() {
    if (sortBy < 0) return found();
    const key = sorts[sortBy].key;
    return [...found()].sort((a, b) => {
      const x = key(a), y = key(b);
      return typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
    });
  }

  function say() {
    const filtered = Object.values(query).some(v => v !== '');
    const shown = found().length;
    status.textContent = items.length
      ? `Viser ${needle ? `${shown} af ${items.length}, der indeholder "${needle}"` : items.length}` +
        `${cursor ? ' – der er flere' : ''}` +
        `${filtered ? ', filtreret' : ''}` +
        `${sortBy >= 0 ? `, sorteret efter ${sorts[sortBy].label.toLowerCase()}${cursor ? ' blandt de viste' : ''}` : ''}.`
      : '';
  }

  function draw() {
    t = table(caption, columns);
    t.add(sorted());
    replace(body, found().length ? t.table
      : h('p', {}, items.length ? 'Ingen af de hentede rækker passer til søgningen.' : empty));
  }

  async function load(first) {
    more.disabled = true;
    try {
      const {data} = await get(pageUrl(url(), first ? null : cursor, limit));
      if (first) items = [];
      const before = items.length;
      items.push(...data.items);
      cursor = data.next_cursor;
      more.hidden = !cursor;
      if (first || sortBy >= 0 || needle) {
        draw();
      } else {
        t.add(data.items);
      }
      say();
      if (!first) {
        const row = sortBy >= 0 || needle ? null : t.tbody.rows[before];
        (row || t.tbody.rows[0])?.querySelector('a, button')?.focus();
      }
    } catch (err) {
      if (first) replace(body);
      body.append(alert('error', 'Listen kunne ikke hentes', explain(err)));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => load(false));

  const controls = [];
  if (filters.length) {
    const form = h('form', {class: 'og-filters', 'aria-label': `Filtrér: ${caption}`});
    const inputs = filters.map(f => {
      const id = newId(`filter-${f.name}`);
      const c = f.options
        ? h('select', {class: 'form-select', id, name: f.name},
          h('option', {value: ''}, f.all || 'Alle'), f.options.map(([v, text]) => h('option', {value: v}, text)))
        : h('input', {class: 'form-input input-width-xs', id, name: f.name, type: 'text',
          inputmode: f.type === 'number' ? 'numeric' : null, pattern: f.type === 'number' ? '[0-9]*' : null});
      if (f.options) c.addEventListener('change', () => apply());
      if (f.more) {
        f.more().then(list => c.append(...list.map(([v, text]) => h('option', {value: v}, text))))
          .catch(() => { /* the filter keeps the options it has */ });
      }
      form.append(field(f.label, c));
      return [f.name, c];
    });
    form.append(h('div', {class: 'form-group'},
      h('button', {type: 'submit', class: 'button button-secondary'}, 'Vis')));
    const apply = () => {
      query = Object.fromEntries(inputs.map(([n, c]) => [n, c.value.trim()]));
      cursor = null;
      return load(true);
    };
    form.addEventListener('submit', e => { e.preventDefault(); apply(); });
    box.filterForm = form;
    controls.push(form);
  }
  if (sorts.length) {
    const id = newId('sorter');
    const select = h('select', {class: 'form-select', id},
      h('option', {value: '-1'}, apiOrder), sorts.map((s, i) => h('option', {value: String(i)}, s.label)));
    select.addEventListener('change', () => {
      sortBy = Number(select.value);
      draw();
      say();
    });
    controls.push(h('div', {class: 'og-filters'}, field('Sortér efter', select,
      `${apiOrder} er rækkefølgen fra serveren; de andre sorterer de hentede rækker.`)));
  }
  if (find) {
    const input = h('input', {class: 'form-input', id: newId('find'), type: 'search',
      autocomplete: 'off'});
    input.addEventListener('input', () => {
      needle = input.value.trim().toLocaleLowerCase('da');
      draw();
      say();
    });
    controls.push(h('div', {class: 'og-filters'},
      field(find.label, input, 'Finder blandt de hentede rækker; "Vis flere" henter flere.')));
  }
  replace(body, h('p', {}, 'Henter …'));
  replace(box, controls, body, status, more);
  load(true);
  box.reload = () => { cursor = null; return load(true); };
  return box;
}
