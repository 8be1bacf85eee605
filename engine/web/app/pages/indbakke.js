// Afdelingens indbakke: the tasks and handovers sent to the person's department, unclaimed
// first; claim a task, accept a handover, or reject it with a reason the sender sees. The
// department's lead also gives a task to a member, and picks a new tovholder where the
// tovholder is unavailable (the engine's tovholder_unavailable task).
import {get, post, request, explain} from '../api.js';
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

  async function act(label, path, item, body, done, failed) {
    try {
      if (failed) throw failed;
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

  const leads = () => me.role === 'lead' &&
    me.departments.some(d => d.id === department && d.lead);

  // The active members of the department, for the lead to pick from.
  function memberSelect(id, exclude) {
    const select = h('select', {class: 'form-select', id}, h('option', {value: ''}, 'Henter …'));
    get(`/v1/staff?department=${encodeURIComponent(department)}&status=active&limit=200`)
      .then(({data}) => {
        const people = data.items.filter(s => !exclude.includes(s.id));
        replace(select, h('option', {value: ''}, people.length ? 'Vælg en medarbejder' : 'Ingen at vælge'),
          people.map(s => h('option', {value: s.id}, s.name)));
      })
      .catch(err => replace(select, h('option', {value: ''}, `Kunne ikke hentes: ${explain(err)}`)));
    return select;
  }

  function leadForm(item, button, {title, intro, pickLabel, exclude, withReason, submitText, run}) {
    const pick = memberSelect(`${withReason ? 'ny-tovholder' : 'giv-til'}-${item.id}`, exclude);
    const reason = withReason ? h('textarea', {class: 'form-input', rows: 3, id: `tovholder-grund-${item.id}`}) : null;
    const message = h('div', {'aria-live': 'polite'});
    const headingId = `leder-${item.id}`;
    const form = h('form', {class: 'og-panel og-lead-form', 'aria-labelledby': headingId, novalidate: true},
      h('h2', {class: 'h3', id: headingId, tabindex: '-1'}, title),
      h('p', {}, intro),
      field(pickLabel, pick),
      reason ? field('Begrundelse', reason, 'Står i sagens tovholderhistorik.') : null,
      message,
      h('div', {class: 'og-actions'},
        h('button', {type: 'submit', class: 'button button-primary'}, submitText),
        h('button', {type: 'button', class: 'button button-secondary',
          onclick: () => { replace(panel); button.focus(); }}, 'Fortryd')));
    form.addEventListener('submit', e => {
      e.preventDefault();
      const missing = !pick.value ? [pick, pickLabel] : reason && !reason.value.trim() ? [reason, 'Begrundelse'] : null;
      if (missing) {
        missing[0].setAttribute('aria-invalid', 'true');
        replace(message, alert('error', `Udfyld ${missing[1]}`, `Feltet "${missing[1]}" skal udfyldes.`));
        missing[0].focus();
        return;
      }
      run(pick.value, pick.selectedOptions[0].textContent, reason ? reason.value.trim() : null);
    });
    replace(panel, form);
    form.querySelector('h2').focus();
  }

  // A new tovholder for the case, then the task done with a note of who it is.
  async function pickTovholder(item, staff, name, reason) {
    const label = 'Ny tovholder er valgt';
    try {
      const {data: c} = await get(`/v1/cases/${item.case.id}`);
      await request('PUT', `/v1/cases/${item.case.id}/tovholder`, {body: {staff, reason}, ifMatch: c.etag});
    } catch (err) {
      return act(label, null, item, null, null, err);
    }
    await act(label, `/v1/tasks/${item.id}/complete`, item,
      {outcome: {}, note: `Ny tovholder: ${name}. ${reason}`},
      `${name} er nu tovholder for ${item.citizen.name}, og opgaven er løst.`);
  }

  function actions(item) {
    const who = `${item.title} (${item.citizen.name})`;
    const lead = [];
    if (leads() && item.kind === 'task' && item.key === 'tovholder_unavailable') {
      const b = h('button', {type: 'button', class: 'button button-primary',
        'aria-label': `Vælg ny tovholder: ${item.citizen.name}`}, 'Vælg ny tovholder');
      b.addEventListener('click', () => leadForm(item, b, {
        title: `Vælg ny tovholder: ${item.citizen.name}`,
        intro: `Tovholderen ${item.case.tovholder_name || item.case.tovholder || ''} er fraværende. Vælg en i afdelingen, der tager over.`,
        pickLabel: 'Ny tovholder', exclude: [item.case.tovholder], withReason: true,
        submitText: 'Gør til tovholder',
        run: (staff, name, reason) => pickTovholder(item, staff, name, reason)}));
      lead.push(b);
    } else if (leads() && item.kind === 'task') {
      const b = h('button', {type: 'button', class: 'button button-secondary',
        'aria-label': `Giv opgaven til en anden: ${who}`}, 'Giv til en anden');
      b.addEventListener('click', () => leadForm(item, b, {
        title: `Giv opgaven til en anden: ${item.title}`,
        intro: `Borger: ${item.citizen.name}. Medarbejderen får opgaven under Mine opgaver.`,
        pickLabel: 'Medarbejder', exclude: item.assignee ? [item.assignee] : [], withReason: false,
        submitText: 'Giv opgaven',
        run: (staff, name) => act('Opgaven er givet videre', `/v1/tasks/${item.id}/assign`, item,
          {staff}, `${who} er nu ${name}s.`)}));
      lead.push(b);
    }
    const own = ownActions(item, who);
    if (!lead.length) return own;
    return h('div', {class: 'og-actions'}, typeof own === 'string' ? h('span', {}, own) : own, lead);
  }

  function ownActions(item, who) {
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
      empty: 'Indbakken er tom, eller intet passer til filteret.',
      apiOrder: 'Ikke-tagne først, efter frist',
      filters: [
        {name: 'kind', label: 'Slags', options: [['task', 'Opgaver'], ['handover', 'Overdragelser']]},
        {name: 'status', label: 'Status', options: [['open', 'Ikke taget'], ['claimed', 'Taget']]},
      ],
      sorts: [{label: 'Borger', key: i => i.citizen.name},
        {label: 'Fase', key: i => fmt.phase(i.case.phase_title, i.case.phase)}],
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
