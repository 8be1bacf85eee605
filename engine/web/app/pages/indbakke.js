// Afdelingens indbakke: the tasks and handovers sent to the person's department, unclaimed
// first; claim a task, accept a handover, or reject it with a reason the sender sees.
import {post, explain} from '../api.js';
import {h, replace, alert, field} from '../dom.js';
import {pagedList} from '../list.js';
import {dueCell, caseLink} from './opgaver.js';
import * as fmt from '../format.js';

export function indbakkePage({me}) {
  const news = h('div', {class: 'og-news', tabindex: '-1'});
  const panel = h('div');
  const listBox = h('div');
  let list = null;
  let department = me.departments[0]?.id;

  function report(kind, heading, text) {
    replace(news, alert(kind, heading, text));
    news.focus();
  }

  async function act(label, path, item, body, done) {
    try {
      await post(path, body, {ifMatch: item.etag});
      replace(panel);
      report('success', label, done);
      list.reload();
    } catch (err) {
      const reload = h('button', {type: 'button', class: 'button button-secondary',
        onclick: () => { replace(news); list.reload(); }}, 'Hent indbakken igen');
      replace(news, alert(err.conflict ? 'warning' : 'error',
        err.conflict ? 'En anden har allerede ændret den' : `${label}: det lykkedes ikke`,
        h('p', {}, explain(err)), err.conflict ? reload : null));
      news.focus();
    }
  }

  function rejectForm(item, button) {
    const reason = h('textarea', {class: 'form-input', rows: 3, id: `begrundelse-${item.id}`,
      required: true});
    const message = h('div', {'aria-live': 'polite'});
    const headingId = `afvis-${item.id}`;
    const form = h('form', {class: 'og-panel', 'aria-labelledby': headingId, novalidate: true},
      h('h2', {class: 'h3', id: headingId, tabindex: '-1'}, `Afvis overdragelsen: ${item.title}`),
      h('p', {}, `Borger: ${item.citizen.name}. Den afdeling, der sendte den, ser begrundelsen.`),
      field('Begrundelse', reason, 'Skriv, hvad der mangler, eller hvorfor I ikke kan tage over.'),
      message,
      h('div', {class: 'og-actions'},
        h('button', {type: 'submit', class: 'button button-primary'}, 'Afvis overdragelsen'),
        h('button', {type: 'button', class: 'button button-secondary',
          onclick: () => { replace(panel); button.focus(); }}, 'Fortryd')));
    reason.addEventListener('input', () => message.replaceChildren());
    form.addEventListener('submit', e => {
      e.preventDefault();
      if (!reason.value.trim()) {
        replace(message, alert('error', 'Skriv en begrundelse', 'En afvisning skal have en begrundelse.'));
        reason.focus();
        return;
      }
      act('Overdragelsen er afvist', `/v1/handovers/${item.id}/reject`, item,
        {reason: reason.value.trim()},
        `${item.title} (${item.citizen.name}) er sendt tilbage med jeres begrundelse.`);
    });
    replace(panel, form);
    form.querySelector('h2').focus();
  }

  function actions(item) {
    const who = `${item.title} (${item.citizen.name})`;
    if (item.kind === 'handover' && (item.status === 'open' || item.status === 'claimed')) {
      const accept = h('button', {type: 'button', class: 'button button-primary',
        'aria-label': `Accepter overdragelsen: ${who}`}, 'Accepter');
      accept.addEventListener('click', () => act('Overdragelsen er accepteret',
        `/v1/handovers/${item.id}/accept`, item, undefined,
        `${who}: jeres afdeling har taget over, og sagen går videre.`));
      const reject = h('button', {type: 'button', class: 'button button-secondary',
        'aria-label': `Afvis overdragelsen: ${who}`}, 'Afvis');
      reject.addEventListener('click', () => rejectForm(item, reject));
      return h('div', {class: 'og-actions'}, accept, reject);
    }
    if (item.kind === 'task' && item.status === 'open' && !item.assignee) {
      const claim = h('button', {type: 'button', class: 'button button-secondary',
        'aria-label': `Tag opgaven: ${who}`}, 'Tag opgaven');
      claim.addEventListener('click', () => act('Opgaven er din', `/v1/tasks/${item.id}/claim`,
        item, undefined, `${who} er nu din. Du finder den under Mine opgaver.`));
      return claim;
    }
    return item.assignee ? `Taget af ${item.assignee_name || item.assignee}` : fmt.status(item.status);
  }

  function show() {
    list = pagedList({
      caption: 'Afdelingens opgaver og overdragelser, de ikke-tagne først',
      path: `/v1/departments/${encodeURIComponent(department)}/inbox`,
      empty: 'Indbakken er tom.',
      columns: [
        {title: 'Frist', cell: dueCell},
        {title: 'Hvad', cell: i => h('span', {}, i.title, h('br'),
          h('span', {class: 'og-kind'}, `${fmt.kind(i.kind)} fra ${i.from_department_name || i.from_department || 'ukendt'}`))},
        {title: 'Borger', cell: i => caseLink(i.case, i.citizen)},
        {title: 'Fase', cell: i => fmt.phase(i.case.phase_title, i.case.phase)},
        {title: 'Handling', cell: actions},
      ],
    });
    replace(listBox, list);
  }

  const parts = [h('h1', {}, 'Afdelingens indbakke'), news];
  if (!department) {
    parts.push(alert('info', 'Du hører ikke til en afdeling',
      'Indbakken viser en afdelings opgaver. Bed en administrator om at sætte dig i din afdeling.'));
    return h('div', {}, parts);
  }
  if (me.departments.length > 1) {
    const select = h('select', {class: 'form-select', id: 'afdeling'},
      me.departments.map(d => h('option', {value: d.id}, d.name)));
    select.addEventListener('change', () => { department = select.value; replace(panel); show(); });
    parts.push(field('Afdeling', select));
  } else {
    parts.push(h('p', {class: 'font-lead'}, me.departments[0].name));
  }
  show();
  parts.push(listBox, panel);
  return h('div', {}, parts);
}
