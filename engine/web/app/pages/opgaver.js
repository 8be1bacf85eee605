// Mine opgaver: the tovholder's queue (overdue first, as the API orders it), completing a
// task with its outcome, and the cases the person holds with their next deadline.
import {h, replace, alert} from '../dom.js';
import {get} from '../api.js';
import {pagedList} from '../list.js';
import {completeForm} from '../complete.js';
import * as fmt from '../format.js';

export function dueCell(item) {
  const due = item.due_at ? fmt.date(item.due_at) : 'Ingen frist';
  return item.overdue
    ? h('span', {}, h('span', {class: 'og-overdue'}, 'Overskredet'), ' ', due)
    : due;
}

export function caseLink(c, citizen) {
  return h('a', {href: `/sag/${c.id}`, 'data-link': true}, citizen ? citizen.name : `Sag ${c.id}`);
}

// The departments by name, for a filter (GET /v1/departments, a page of them).
export function departmentOptions() {
  return get('/v1/departments?limit=200').then(({data}) => data.items.map(d => [d.id, d.name]));
}

const byCitizen = {label: 'Borger', key: i => i.citizen ? i.citizen.name : ''};

export function opgaverPage({me}) {
  const news = h('div', {class: 'og-news', tabindex: '-1'});
  const panel = h('div');
  let queue;

  function openComplete(task, button) {
    const close = () => {
      replace(panel);
      button.focus();
    };
    replace(panel, completeForm(task, {
      onDone: text => {
        replace(panel);
        replace(news, alert('success', 'Opgaven er afsluttet', text));
        news.focus();
        queue.reload();
        cases.reload();
      },
      onReload: () => {
        replace(panel);
        queue.reload();
      },
      onCancel: close,
    }));
    panel.querySelector('h2').tabIndex = -1;
    panel.querySelector('h2').focus();
  }

  queue = pagedList({
    caption: 'Mine opgaver, de overskredne først',
    path: '/v1/me/queue',
    empty: 'Du har ingen åbne opgaver, der passer.',
    apiOrder: 'Frist (overskredne først)',
    filters: [
      {name: 'status', label: 'Status', options: [['open', 'Åbne'], ['claimed', 'Taget']]},
      {name: 'department', label: 'Afdeling', options: [], more: departmentOptions},
      {name: 'case', label: 'Sagsnummer', type: 'number'},
    ],
    sorts: [byCitizen, {label: 'Fase', key: t => fmt.phase(t.case.phase_title, t.case.phase)}],
    columns: [
      {title: 'Frist', cell: dueCell},
      {title: 'Opgave', cell: t => h('span', {}, t.title,
        t.kind === 'handover' ? h('span', {class: 'og-kind'}, ' (overdragelse)') : null)},
      {title: 'Borger', cell: t => caseLink(t.case, t.citizen)},
      {title: 'Fase', cell: t => fmt.phase(t.case.phase_title, t.case.phase)},
      {title: 'Handling', cell: t => {
        if (t.kind === 'task' && t.assignee === me.staff) {
          const b = h('button', {type: 'button', class: 'button button-secondary',
            'aria-label': `Afslut: ${t.title} (${t.citizen.name})`}, 'Afslut');
          b.addEventListener('click', () => openComplete(t, b));
          return b;
        }
        return t.assignee ? `Tildelt ${t.assignee_name || t.assignee}`
          : `Venter i ${t.department_name || t.department}`;
      }},
    ],
  });

  const cases = pagedList({
    caption: 'Sager, hvor jeg er tovholder, efter næste frist',
    path: '/v1/me/cases',
    empty: 'Du er ikke tovholder på nogen sag.',
    apiOrder: 'Næste frist',
    sorts: [byCitizen, {label: 'Fase', key: c => fmt.phase(c.phase_title, c.phase)}],
    find: {label: 'Find borger eller sag',
      text: c => `${c.citizen?.name || ''} ${c.id} ${fmt.phase(c.phase_title, c.phase)}`},
    columns: [
      {title: 'Borger', cell: c => caseLink(c, c.citizen)},
      {title: 'Forløb', cell: c => fmt.workflow(c.workflow.name)},
      {title: 'Fase', cell: c => fmt.phase(c.phase_title, c.phase)},
      {title: 'Næste frist', cell: c => c.next_deadline
        ? h('span', {}, dueCell(c.next_deadline), h('br'), c.next_deadline.title)
        : 'Ingen'},
      {title: 'Venter', cell: c => `${fmt.count(c.waiting.tasks, 'opgave', 'opgaver')}, ` +
        fmt.count(c.waiting.handovers, 'overdragelse', 'overdragelser') +
        (c.waiting.overdue ? ` (${c.waiting.overdue} overskredet)` : '')},
    ],
  });

  return h('div', {},
    h('h1', {}, 'Mine opgaver'),
    news,
    queue,
    panel,
    h('h2', {}, 'Mine sager'),
    cases);
}
