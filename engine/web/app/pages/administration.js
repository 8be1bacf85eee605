// Administration: the deployed workflows and their versions (a version's source and phase
// graph on a page of its own), the cases the engine gave up on with their error and a retry,
// the deliveries to other systems, and the staff and departments. Every list a page at a
// time, in the API's order; filters where the API has them.
import {get, post, explain} from '../api.js';
import {h, replace, alert, field, newId, focusLoadedHeading} from '../dom.js';
import {pagedList} from '../list.js';
import {phaseGraph} from '../svg.js';
import {sourceView} from '../lua.js';
import * as fmt from '../format.js';

const OUTBOX = {parked: 'Parkeret', pending: 'Venter', delivered: 'Leveret'};
const STAFF = {active: 'Aktiv', absent: 'Fraværende', inactive: 'Stoppet'};

function workflowHref(w) {
  return `/administration/forloeb/${encodeURIComponent(w.name)}/${w.version}`;
}

// A select of OPTIONS ([[value, text]]) with its label; onChange(value).
function filter(label, options, value, onChange) {
  const select = h('select', {class: 'form-select'},
    options.map(([v, text]) => h('option', {value: v, selected: v === value}, text)));
  select.addEventListener('change', () => onChange(select.value));
  return field(label, select);
}

// A section with its heading (and the id the page's contents link to).
function section(id, title, ...body) {
  const headingId = `${id}-titel`;
  return h('section', {id, 'aria-labelledby': headingId, class: 'og-section'},
    h('h2', {id: headingId, tabindex: '-1'}, title), ...body);
}

export function administrationPage() {
  const news = h('div', {class: 'og-news', tabindex: '-1'});

  function report(kind, heading, text) {
    replace(news, alert(kind, heading, text));
    news.focus();
  }

  // ---- workflows ----
  const workflows = pagedList({
    caption: 'Udrullede forløb og versioner',
    path: '/v1/workflows',
    apiOrder: 'Navn og version',
    sorts: [
      {label: 'Flest sager i gang', key: w => -w.running_cases},
      {label: 'Flest standsede sager', key: w => -w.stuck_cases},
      {label: 'Senest udrullet', key: w => -Date.parse(w.deployed_at)},
    ],
    find: {label: 'Find forløb', text: w => `${w.title} ${w.name}`},
    empty: 'Der er ikke udrullet nogen forløb endnu.',
    columns: [
      {title: 'Forløb', cell: w => h('span', {}, h('a', {href: workflowHref(w), 'data-link': true,
        'aria-label': `${w.title}, version ${w.version}: kilde og faser`}, w.title), h('br'),
      h('span', {class: 'og-kind'}, w.name))},
      {title: 'Version', cell: w => String(w.version)},
      {title: 'Udrullet', cell: w => `${fmt.dateTime(w.deployed_at)} af ${w.deployed_by}`},
      {title: 'Sager i gang', cell: w => String(w.running_cases)},
      {title: 'Standsede sager', cell: w => (w.stuck_cases
        ? h('strong', {class: 'og-warn'}, String(w.stuck_cases)) : '0')},
    ],
  });

  // ---- stuck cases ----
  let stuck = null;
  async function retryCase(c, button) {
    button.disabled = true;
    try {
      const {data} = await post(`/v1/admin/stuck-cases/${c.id}/retry`);
      report('success', `Sag ${c.id} kører igen`,
        `Sagen er aktiv igen, og ${fmt.count(data.retried_events, 'ventende hændelse', 'ventende hændelser')} ` +
        'prøves nu forfra. Går det galt igen, kommer sagen tilbage på listen.');
      stuck.reload();
    } catch (err) {
      button.disabled = false;
      report(err.conflict ? 'warning' : 'error', `Sag ${c.id} blev ikke prøvet igen`, explain(err));
      if (err.conflict) stuck.reload();
    }
  }
  stuck = pagedList({
    caption: 'Standsede sager',
    path: '/v1/admin/stuck-cases',
    apiOrder: 'Sagsnummer',
    sorts: [
      {label: 'Senest standset', key: c => -Date.parse(c.updated_at)},
      {label: 'Forløb', key: c => String(fmt.workflow(c.workflow))},
    ],
    find: {label: 'Find sag, forløb eller fejl',
      text: c => `${c.id} ${c.workflow} ${c.stuck_reason || c.event?.last_error || ''}`},
    empty: 'Ingen sager er standset. Motoren har ikke givet op på nogen.',
    columns: [
      {title: 'Sag', cell: c => h('a', {href: `/sag/${c.id}`, 'data-link': true}, `Sag ${c.id}`)},
      {title: 'Forløb', cell: c => h('span', {}, fmt.workflow(c.workflow), h('br'),
        h('span', {class: 'og-kind'}, `version ${c.version}, fase ${c.phase}`))},
      {title: 'Fejl', cell: c => h('span', {},
        h('code', {class: 'og-error'}, c.stuck_reason || c.event?.last_error || 'Ingen fejltekst'),
        c.event ? h('br') : null,
        c.event ? h('span', {class: 'og-kind'},
          `Hændelsen ${c.event.type}: ${fmt.count(c.event.attempts, 'forsøg', 'forsøg')}`) : null)},
      {title: 'Standset', cell: c => fmt.dateTime(c.updated_at)},
      {title: 'Handling', cell: c => {
        const b = h('button', {type: 'button', class: 'button button-secondary',
          'aria-label': `Prøv sag ${c.id} igen`}, 'Prøv igen');
        b.addEventListener('click', () => retryCase(c, b));
        return b;
      }},
    ],
  });

  // ---- outbox ----
  const outboxBox = h('div');
  let outbox = null;
  let outboxStatus = 'parked';
  async function retryDelivery(d, button) {
    button.disabled = true;
    try {
      await post(`/v1/admin/outbox/${d.id}/retry`);
      report('success', `Leverance ${d.id} sendes igen`,
        `Den venter nu og sendes til ${d.plugin} (${d.action}) fra første forsøg.`);
      outbox.reload();
    } catch (err) {
      button.disabled = false;
      report(err.conflict ? 'warning' : 'error', `Leverance ${d.id} blev ikke sendt igen`, explain(err));
    }
  }
  function showOutbox() {
    outbox = pagedList({
      caption: `Leverancer til andre systemer (${outboxStatus ? OUTBOX[outboxStatus].toLowerCase() : 'alle'})`,
      path: `/v1/admin/outbox${outboxStatus ? `?status=${outboxStatus}` : ''}`,
      apiOrder: 'Ældste først',
      sorts: [
        {label: 'Flest forsøg', key: d => -d.attempts},
        {label: 'Modtager', key: d => `${d.plugin} ${d.action}`},
      ],
      empty: outboxStatus === 'parked' ? 'Ingen leverancer er parkeret.' : 'Ingen leverancer.',
      columns: [
        {title: 'Nr.', cell: d => String(d.id)},
        {title: 'Til', cell: d => h('span', {}, d.plugin, h('br'), h('span', {class: 'og-kind'}, d.action))},
        {title: 'Sag', cell: d => (d.case ? h('a', {href: `/sag/${d.case}`, 'data-link': true}, `Sag ${d.case}`) : '–')},
        {title: 'Status', cell: d => `${OUTBOX[d.status] || d.status}, ${fmt.count(d.attempts, 'forsøg', 'forsøg')}`},
        {title: 'Seneste fejl', cell: d => (d.last_error ? h('code', {class: 'og-error'}, d.last_error) : '–')},
        {title: 'Oprettet', cell: d => fmt.dateTime(d.created_at)},
        {title: 'Handling', cell: d => {
          if (d.status !== 'parked') return d.delivered_at ? `Leveret ${fmt.dateTime(d.delivered_at)}` : `Næste forsøg ${fmt.dateTime(d.next_attempt_at)}`;
          const b = h('button', {type: 'button', class: 'button button-secondary',
            'aria-label': `Send leverance ${d.id} igen`}, 'Send igen');
          b.addEventListener('click', () => retryDelivery(d, b));
          return b;
        }},
      ],
    });
    replace(outboxBox, outbox);
  }
  showOutbox();

  // ---- staff ----
  const staffBox = h('div');
  const staffFilter = {department: '', status: ''};
  const departmentNames = new Map();
  const departmentFilter = h('div');
  function showStaff() {
    const q = new URLSearchParams();
    if (staffFilter.department) q.set('department', staffFilter.department);
    if (staffFilter.status) q.set('status', staffFilter.status);
    replace(staffBox, pagedList({
      caption: 'Medarbejdere',
      apiOrder: 'Brugernavn',
      sorts: [{label: 'Navn', key: p => p.name}],
      limit: 10,
      path: `/v1/staff${q.toString() ? `?${q}` : ''}`,
      empty: 'Ingen medarbejdere passer til filtret.',
      columns: [
        {title: 'Navn', cell: p => h('span', {}, p.name, h('br'), h('span', {class: 'og-kind'}, p.id))},
        {title: 'E-mail', cell: p => p.email || '–'},
        {title: 'Afdelinger', cell: p => p.departments.map(d =>
          `${departmentNames.get(d.id) || d.id}${d.lead ? ' (leder)' : ''}`).join(', ') || '–'},
        {title: 'Status', cell: p => STAFF[p.status] || p.status},
      ],
    }));
  }
  const statusFilter = filter('Status', [['', 'Alle'], ...Object.entries(STAFF)], '',
    v => { staffFilter.status = v; showStaff(); });

  // ---- departments ----
  const departments = pagedList({
    caption: 'Afdelinger',
    path: '/v1/departments',
    apiOrder: 'Id',
    sorts: [
      {label: 'Navn', key: d => d.name},
      {label: 'Flest medarbejdere', key: d => -d.members},
    ],
    find: {label: 'Find afdeling', text: d => `${d.name} ${d.id}`},
    empty: 'Der er ingen afdelinger.',
    columns: [
      {title: 'Afdeling', cell: d => d.name},
      {title: 'Id', cell: d => h('code', {}, d.id)},
      {title: 'Medarbejdere', cell: d => String(d.members)},
      {title: 'Oprettet', cell: d => fmt.date(d.created_at)},
    ],
  });

  // the department filter needs every department's name: all pages of them
  (async () => {
    const all = [];
    let cursor = null;
    try {
      do {
        const {data} = await get(`/v1/departments?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        all.push(...data.items);
        cursor = data.next_cursor;
      } while (cursor);
    } catch (err) {
      replace(departmentFilter, alert('error', 'Afdelingerne kunne ikke hentes', explain(err)));
      return;
    }
    for (const d of all) departmentNames.set(d.id, d.name);
    replace(departmentFilter, filter('Afdeling', [['', 'Alle'], ...all.map(d => [d.id, d.name])], '',
      v => { staffFilter.department = v; showStaff(); }));
    showStaff();
  })();

  const contents = [['forloeb', 'Forløb'], ['standsede', 'Standsede sager'],
    ['leverancer', 'Leverancer'], ['medarbejdere', 'Medarbejdere'], ['afdelinger', 'Afdelinger']];
  const navId = newId('indhold');
  return h('div', {},
    h('h1', {}, 'Administration'),
    h('nav', {'aria-labelledby': navId, class: 'og-toc'},
      h('h2', {id: navId, class: 'h5'}, 'På siden'),
      h('ul', {}, contents.map(([id, text]) => h('li', {}, h('a', {href: `#${id}`}, text))))),
    news,
    section('forloeb', 'Forløb',
      h('p', {}, 'Hver version af et forløb, der er udrullet, og hvor mange sager der kører på den. Åbn en version for at se dens kilde og faser.'),
      workflows),
    section('standsede', 'Standsede sager',
      h('p', {}, 'Sager, som motoren har givet op på efter gentagne fejl. Ret årsagen (fx en ny version af forløbet eller et system, der svarer igen), og prøv så sagen igen.'),
      stuck),
    section('leverancer', 'Leverancer til andre systemer',
      h('p', {}, 'Beskeder til andre systemer. En parkeret leverance er opgivet efter mange forsøg; send den igen, når modtageren virker.'),
      filter('Vis', [['parked', 'Parkerede'], ['pending', 'Ventende'], ['delivered', 'Leverede'], ['', 'Alle']],
        outboxStatus, v => { outboxStatus = v; showOutbox(); }),
      outboxBox),
    section('medarbejdere', 'Medarbejdere',
      h('div', {class: 'og-filters'}, departmentFilter, statusFilter),
      staffBox),
    section('afdelinger', 'Afdelinger', departments));
}

// One workflow version: facts, the phase graph, the phases as a list, and the source.
function workflowView(w) {
  const phases = w.definition.phases || [];
  const titles = new Map(phases.map(p => [p.name, p.title || p.name]));
  const start = w.definition.start || {};
  const startText = start.kind === 'age'
    ? `på ${start.age}-årsdagen${start.attribute ? ` for borgere med ${start.attribute}` : ''}`
    : start.kind === 'event' ? `ved hændelsen ${start.event}` : 'når en sag startes manuelt';
  return h('div', {},
    h('p', {}, h('a', {href: '/administration', 'data-link': true}, 'Tilbage til administration')),
    h('h1', {}, `${w.title}, version ${w.version}`),
    h('dl', {class: 'og-facts'},
      h('dt', {}, 'Navn'), h('dd', {}, h('code', {}, w.name)),
      h('dt', {}, 'Udrullet'), h('dd', {}, `${fmt.dateTime(w.deployed_at)} af ${w.deployed_by}`),
      h('dt', {}, 'Starter'), h('dd', {}, startText),
      h('dt', {}, 'Sager i gang'), h('dd', {}, String(w.running_cases)),
      h('dt', {}, 'Standsede sager'), h('dd', {}, String(w.stuck_cases)),
      h('dt', {}, 'Kontrolsum (SHA-256)'), h('dd', {}, h('code', {class: 'og-checksum'}, w.checksum))),
    h('h2', {}, 'Faser'),
    h('p', {}, `Sagen begynder i ${titles.get(phases[0]?.name) || '–'}. En pil viser, hvilke faser en fase kan gå videre til; en dobbelt ramme er en fase, der afslutter sagen.`),
    h('div', {class: 'og-scroll', tabindex: '0', role: 'region', 'aria-label': 'Fasegrafen (rul vandret)'},
      phaseGraph(phases, {label: `Fasegraf for ${w.title}: ${phases.length} faser`})),
    h('details', {class: 'og-details'},
      h('summary', {}, 'Faserne som liste'),
      h('ul', {}, phases.map(p => h('li', {}, h('strong', {}, titles.get(p.name)),
        ` (${p.name}) → `,
        (p.next || []).length ? p.next.map(n => titles.get(n) || n).join(', ') : 'afslutter sagen')))),
    h('h2', {}, 'Kilde'),
    h('p', {}, 'Kildekoden, som den blev udrullet. Den kan ikke ændres her: udrul en ny version.'),
    sourceView(w.source, `Kildekoden til ${w.name} version ${w.version}`));
}

export function workflowPage({params, setTitle}) {
  const [name, version] = [decodeURIComponent(params[0]), params[1]];
  const box = h('div', {}, h('h1', {}, 'Forløb'), h('p', {}, 'Henter forløbet …'));
  get(`/v1/workflows/${encodeURIComponent(name)}/${version}`).then(({data}) => {
    setTitle(`${data.title}, version ${data.version}`);
    replace(box, workflowView(data));
    focusLoadedHeading(box);
  }).catch(err => {
    replace(box, h('h1', {}, 'Forløb'), alert('error', 'Forløbet kunne ikke hentes', explain(err)));
  });
  return box;
}
