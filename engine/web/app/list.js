// A list from the API, a page at a time: the first page now, "Vis flere" fetches the next with
// the API's cursor and adds it below, moving focus to the first new row's link.
import {get, pageUrl, explain} from './api.js';
import {h, table, alert, replace} from './dom.js';

// OPTIONS: caption, columns (see dom.table), path, empty (text when there is nothing),
// limit. Returns an element that fills itself, and a reload() for after a change.
export function pagedList({caption, columns, path, empty, limit = 25}) {
  const box = h('div', {class: 'og-list'});
  let cursor = null;
  const more = h('button', {type: 'button', class: 'button button-secondary', hidden: true},
    'Vis flere');
  const status = h('p', {class: 'og-list-status', role: 'status'});
  let t = null;

  async function load(first) {
    more.disabled = true;
    try {
      const {data} = await get(pageUrl(path, first ? null : cursor, limit));
      if (first) {
        t = table(caption, columns);
        replace(box, data.items.length ? t.table : h('p', {}, empty), status, more);
      }
      const before = t.tbody.rows.length;
      t.add(data.items);
      cursor = data.next_cursor;
      more.hidden = !cursor;
      status.textContent = data.items.length || !first
        ? `Viser ${t.tbody.rows.length}${cursor ? ' – der er flere' : ''}.` : '';
      if (!first) t.tbody.rows[before]?.querySelector('a, button')?.focus();
    } catch (err) {
      box.append(alert('error', 'Listen kunne ikke hentes', explain(err)));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => load(false));
  replace(box, h('p', {}, 'Henter …'));
  load(true);
  box.reload = () => { cursor = null; return load(true); };
  return box;
}
