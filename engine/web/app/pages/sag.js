// Sagen: one case as GET /v1/cases/{id} gives it: who the tovholder is, where the case is
// among its phases, what happened in time order, tasks and handovers, the young person's own
// goals and the measures of effect, and the citizen's printable plan.
import {get, request, explain} from '../api.js';
import {h, replace, alert, table} from '../dom.js';
import * as fmt from '../format.js';

const EVENTS = {
  started: 'Sagen blev startet',
  task_done: 'En opgave blev udført',
  task_overdue: 'En frist blev overskredet',
  handover_accepted: 'Overdragelsen blev accepteret',
  handover_rejected: 'Overdragelsen blev afvist',
  afslaar: 'Den unge sagde nej tak',
};

function eventText(e) {
  if (EVENTS[e.type]) return EVENTS[e.type];
  if (e.source === 'timer') return `Tidspunkt nået: ${fmt.words(e.type).toLowerCase()}`;
  return `Hændelse: ${e.type}`;
}

// Everything that happened, oldest first: events, tasks made and closed, tovholder changes,
// goals and measures.
function history(c) {
  const rows = [];
  for (const e of c.timeline || []) {
    if (e.kind === 'note') rows.push({at: e.at, what: `Notat fra ${e.author}: ${e.text}`});
    else rows.push({at: e.at, what: eventText(e)});
  }
  for (const t of c.tasks) {
    rows.push({at: t.created_at, what: `${fmt.kind(t.kind)} oprettet: ${t.title}`});
    if (t.closed_at) {
      rows.push({at: t.closed_at, what: `${fmt.kind(t.kind)} ${fmt.status(t.status).toLowerCase()}: ${t.title}` +
        (t.reason ? ` – begrundelse: ${t.reason}` : '')});
    }
  }
  for (const th of c.tovholder_history) {
    rows.push({at: th.at,
      what: `Tovholder: ${th.from ? `${th.from_name || th.from} → ` : ''}${th.to_name || th.to} ` +
        `(${th.department_name || th.department}). ${th.reason || ''}`});
  }
  for (const g of c.goals) rows.push({at: g.created_at, what: `Mål skrevet: "${g.text}"`});
  for (const m of c.measures) {
    rows.push({at: m.measured_at,
      what: `${m.kind === 'baseline' ? 'Udgangspunkt' : 'Opfølgning'} (${m.instrument}): ${m.value}`});
  }
  rows.sort((a, b) => new Date(a.at) - new Date(b.at));
  return rows;
}

function phases(c) {
  return h('ol', {class: 'og-phases'}, c.plan.map(p =>
    h('li', {class: p.current ? 'og-current' : null, 'aria-current': p.current ? 'step' : null},
      h('strong', {}, fmt.phase(p.title, p.phase)), p.current ? ' – sagen er her nu' : '')));
}

async function downloadPlan(id, button, status) {
  button.disabled = true;
  try {
    const {blob} = await request('GET', `/v1/cases/${id}/plan.html`, {accept: 'text/html', raw: true});
    const url = URL.createObjectURL(blob);
    const a = h('a', {href: url, download: `plan-sag-${id}.html`}, 'Gem planen');
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    replace(status, `Planen er hentet som plan-sag-${id}.html: åbn den og udskriv den.`);
  } catch (err) {
    replace(status, alert('error', 'Planen kunne ikke hentes', explain(err)));
  } finally {
    button.disabled = false;
  }
}

function view(c) {
  const current = c.plan.find(p => p.current);
  const planStatus = h('div', {role: 'status'});
  const planButton = h('button', {type: 'button', class: 'button button-secondary'},
    'Hent planen til udskrift');
  planButton.addEventListener('click', () => downloadPlan(c.id, planButton, planStatus));

  const tasks = table('Opgaver og overdragelser', [
    {title: 'Frist', cell: t => fmt.date(t.due_at)},
    {title: 'Hvad', cell: t => h('span', {}, t.title, h('br'), h('span', {class: 'og-kind'}, fmt.kind(t.kind)))},
    {title: 'Afdeling', cell: t => t.department_name || t.department},
    {title: 'Status', cell: t => fmt.status(t.status)},
    {title: 'Tildelt', cell: t => t.assignee_name || t.assignee || '–'},
  ], [...c.tasks].sort((a, b) => (a.closed_at ? 1 : 0) - (b.closed_at ? 1 : 0) ||
    new Date(a.due_at || 0) - new Date(b.due_at || 0)));

  const goals = c.goals.length
    ? h('ul', {}, c.goals.map(g => {
      const ms = c.measures.filter(m => m.goal === g.key);
      return h('li', {}, h('q', {}, g.text), ` (${fmt.words(g.theme)})`,
        ms.length ? h('ul', {}, ms.map(m => h('li', {},
          `${fmt.date(m.measured_at)}: ${m.kind === 'baseline' ? 'udgangspunkt' : 'opfølgning'} ` +
          `${m.instrument}: ${m.value}`))) : null);
    }))
    : h('p', {}, 'Der er ikke skrevet mål endnu.');

  const hist = table('Hvad er sket, ældste først', [
    {title: 'Hvornår', cell: r => fmt.dateTime(r.at)},
    {title: 'Hvad', cell: r => r.what},
  ], history(c));

  return h('div', {},
    h('p', {}, h('a', {href: '/opgaver', 'data-link': true}, 'Tilbage til mine opgaver')),
    h('h1', {}, c.citizen.name),
    h('dl', {class: 'og-facts'},
      h('dt', {}, 'Tovholder'), h('dd', {}, c.tovholder
        ? `${c.tovholder.name} (${c.tovholder.department_name || c.tovholder.department})` : 'Ingen'),
      h('dt', {}, 'Forløb'), h('dd', {}, `${c.workflow.title} (version ${c.workflow.version})`),
      h('dt', {}, 'Fase'), h('dd', {}, fmt.phase(c.phase_title, c.phase)),
      h('dt', {}, 'Status'), h('dd', {}, fmt.status(c.status) + (c.outcome ? ` (${c.outcome})` : '')),
      h('dt', {}, 'Født'), h('dd', {}, fmt.date(c.citizen.birth_date)),
      h('dt', {}, 'Startet'), h('dd', {}, fmt.date(c.started_at))),
    h('h2', {}, 'Faser'), phases(c),
    current ? h('p', {class: 'og-plantext'}, current.text) : null,
    h('h2', {}, 'Borgerens plan'),
    h('p', {}, 'Planen i et sprog, den unge kan læse, til at udskrive eller sende.'),
    planButton, planStatus,
    h('h2', {}, 'Opgaver og overdragelser'), tasks.table,
    h('h2', {}, 'Den unges mål'), goals,
    h('h2', {}, 'Hvad er sket'), hist.table);
}

export function sagPage({params, setTitle}) {
  const box = h('div', {}, h('h1', {}, 'Sagen'), h('p', {}, 'Henter sagen …'));
  get(`/v1/cases/${params[0]}`).then(({data}) => {
    setTitle(`Sag ${data.id}`); // no name in the title: browsers keep titles in their history
    replace(box, view(data));
    const h1 = box.querySelector('h1');
    h1.tabIndex = -1;
    if (document.activeElement === document.body || box.contains(document.activeElement)) {
      h1.focus({preventScroll: true});
    }
  }).catch(err => {
    replace(box, h('h1', {}, 'Sagen'), alert('error', 'Sagen kunne ikke hentes', explain(err)));
  });
  return box;
}
