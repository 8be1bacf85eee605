// Sagen: one case as GET /v1/cases/{id} gives it: who the tovholder is, where the case is
// among its phases, what happened in time order, tasks and handovers, the young person's own
// goals with their measures drawn per instrument, and the citizen's printable plan. Actions:
// a note, a measure on a goal (sent as the workflow's 'maaling' event), and handing the
// tovholder role to a colleague; each says what happened and reloads what it changed.
import {get, post, request, explain} from '../api.js';
import {h, replace, alert, table, field, focusLoadedHeading} from '../dom.js';
import {measureChart} from '../chart.js';
import * as fmt from '../format.js';

const EVENTS = {
  started: 'Sagen blev startet',
  task_done: 'En opgave blev udført',
  task_overdue: 'En frist blev overskredet',
  handover_accepted: 'Overdragelsen blev accepteret',
  handover_rejected: 'Overdragelsen blev afvist',
  afslaar: 'Den unge sagde nej tak',
  maaling: 'En måling blev registreret',
  tovholder_unavailable: 'Tovholderen blev fraværende',
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

function tasksTable(c) {
  return table('Opgaver og overdragelser', [
    {title: 'Frist', cell: t => fmt.date(t.due_at)},
    {title: 'Hvad', cell: t => h('span', {}, t.title, h('br'), h('span', {class: 'og-kind'}, fmt.kind(t.kind)))},
    {title: 'Afdeling', cell: t => t.department_name || t.department},
    {title: 'Status', cell: t => fmt.status(t.status)},
    {title: 'Tildelt', cell: t => t.assignee_name || t.assignee || '–'},
  ], [...c.tasks].sort((a, b) => (a.closed_at ? 1 : 0) - (b.closed_at ? 1 : 0) ||
    new Date(a.due_at || 0) - new Date(b.due_at || 0))).table;
}

function instrumentTitle(instruments, name) {
  return instruments.find(i => i.name === name)?.title || fmt.words(name);
}

// The goals in the young person's words, each with a chart per instrument measured on it;
// measures on no goal after them.
function goalsView(c, instruments) {
  const charts = (ms, about) => {
    const names = [...new Set(ms.map(m => m.instrument))];
    return names.map(name => measureChart(instruments.find(i => i.name === name), name,
      ms.filter(m => m.instrument === name), `${instrumentTitle(instruments, name)}${about}`));
  };
  const parts = [];
  if (!c.goals.length) parts.push(h('p', {}, 'Der er ikke skrevet mål endnu.'));
  for (const g of c.goals) {
    const ms = c.measures.filter(m => m.goal === g.key);
    parts.push(h('section', {class: 'og-goal', 'aria-label': `Mål: ${g.text}`},
      h('h3', {class: 'h4'}, h('q', {}, g.text)),
      h('p', {class: 'og-kind'}, `Tema: ${fmt.words(g.theme)}. Skrevet ${fmt.date(g.created_at)}.`),
      ms.length ? h('div', {class: 'og-charts'}, charts(ms, ` – målet "${g.text}"`))
        : h('p', {}, 'Ingen målinger på dette mål endnu.')));
  }
  const loose = c.measures.filter(m => !m.goal || !c.goals.some(g => g.key === m.goal));
  if (loose.length) {
    parts.push(h('section', {class: 'og-goal', 'aria-label': 'Målinger uden et bestemt mål'},
      h('h3', {class: 'h4'}, 'Målinger uden et bestemt mål'),
      h('div', {class: 'og-charts'}, charts(loose, ''))));
  }
  return parts;
}

function facts(c) {
  return h('dl', {class: 'og-facts'},
    h('dt', {}, 'Tovholder'), h('dd', {class: 'og-tovholder'}, c.tovholder
      ? `${c.tovholder.name} (${c.tovholder.department_name || c.tovholder.department})` : 'Ingen'),
    h('dt', {}, 'Forløb'), h('dd', {}, `${c.workflow.title} (version ${c.workflow.version})`),
    h('dt', {}, 'Fase'), h('dd', {}, fmt.phase(c.phase_title, c.phase)),
    h('dt', {}, 'Status'), h('dd', {}, fmt.status(c.status) + (c.outcome ? ` (${c.outcome})` : '')),
    h('dt', {}, 'Født'), h('dd', {}, fmt.date(c.citizen.birth_date)),
    h('dt', {}, 'Startet'), h('dd', {}, fmt.date(c.started_at)));
}

// An action's form in a disclosure: its message area says what happened, or the API's detail;
// a conflict offers to reload the case.
function actionForm(id, summary, intro, fields, submitText, run) {
  const message = h('div', {class: 'og-action-message', tabindex: '-1'});
  const submit = h('button', {type: 'submit', class: 'button button-primary'}, submitText);
  const form = h('form', {novalidate: true, 'aria-labelledby': `${id}-titel`},
    intro ? h('p', {}, intro) : null, fields, h('div', {class: 'og-actions'}, submit));
  const box = h('details', {class: 'og-action', id},
    h('summary', {id: `${id}-titel`}, summary), form, message);
  form.addEventListener('input', () => {
    if (message.querySelector('.alert-error')) message.replaceChildren();
  });
  form.addEventListener('submit', async e => {
    e.preventDefault();
    submit.disabled = true;
    try {
      await run({form, message, say: (kind, heading, ...body) => {
        replace(message, alert(kind, heading, ...body));
        message.focus();
      }});
    } finally {
      submit.disabled = false;
    }
  });
  return box;
}

function refused(say, label, err, reload) {
  if (err.conflict) {
    say('warning', 'En anden har ændret sagen', h('p', {}, `${explain(err)} Hent sagen igen, og prøv så igen.`),
      h('button', {type: 'button', class: 'button button-secondary', onclick: reload}, 'Hent sagen igen'));
  } else {
    say('error', `${label}: det lykkedes ikke`, explain(err));
  }
}

function required(say, control, what) {
  control.setAttribute('aria-invalid', 'true');
  say('error', `Udfyld ${what}`, `Feltet "${what}" skal udfyldes.`);
  control.focus();
}

function noteForm(ctx) {
  const text = h('textarea', {class: 'form-input', rows: 4, id: 'notat-tekst'});
  return actionForm('notat', 'Skriv et notat', null,
    field('Notat', text, 'Kommer med i sagens historik, med dit navn.'), 'Gem notatet',
    async ({say}) => {
      text.removeAttribute('aria-invalid');
      if (!text.value.trim()) return required(say, text, 'Notat');
      try {
        await post(`/v1/cases/${ctx.c.id}/notes`, {text: text.value.trim()});
        text.value = '';
        await ctx.reload(['history']);
        say('success', 'Notatet er gemt', 'Det står nu nederst i "Hvad er sket".');
      } catch (err) {
        refused(say, 'Notatet', err, () => ctx.reload(['all']));
      }
    });
}

// The value control for an instrument: its words, or a number within its limits.
function valueControl(instrument) {
  const v = instrument?.values || {};
  if (Array.isArray(v.words)) {
    return {control: h('select', {class: 'form-select', id: 'maaling-vaerdi'},
      h('option', {value: ''}, 'Vælg'),
      [...new Set([...v.words, ...(v.not_comparable || [])])].map(w => h('option', {value: w}, w))),
    hint: instrument.kind === 'yesno' ? 'Ja eller nej.' : 'Fra det laveste til det højeste trin.'};
  }
  const attrs = {type: 'number', class: 'form-input input-width-xs', id: 'maaling-vaerdi',
    inputmode: instrument?.kind === 'scale' ? 'numeric' : 'decimal',
    step: instrument?.kind === 'scale' ? '1' : 'any'};
  if (typeof v.min === 'number') attrs.min = v.min;
  if (typeof v.max === 'number') attrs.max = v.max;
  const range = typeof v.max === 'number' ? `Fra ${v.min ?? 0} til ${v.max}` : `Mindst ${v.min ?? 0}`;
  return {control: h('input', attrs), hint: `${range}${v.unit ? ` (${v.unit})` : ''}.`};
}

// Waits (a little) until the engine has handled event ID: true when done.
async function handled(caseId, id) {
  for (let i = 0; i < 20; i++) {
    const {data} = await get(`/v1/cases/${caseId}`);
    const e = (data.timeline || []).find(x => x.kind === 'event' && x.id === id);
    if (e && e.status === 'done') return true;
    await new Promise(r => setTimeout(r, 500));
  }
  return false;
}

function measureForm(ctx) {
  const c = ctx.c;
  const goal = h('select', {class: 'form-select', id: 'maaling-maal'},
    h('option', {value: ''}, 'Intet bestemt mål'),
    c.goals.map(g => h('option', {value: g.key}, g.text)));
  const instrument = h('select', {class: 'form-select', id: 'maaling-instrument'},
    h('option', {value: ''}, 'Vælg'),
    ctx.instruments.map(i => h('option', {value: i.name}, i.title)));
  const kindBox = h('fieldset', {},
    h('legend', {class: 'form-label'}, 'Hvilken måling'),
    h('ul', {class: 'nobullet-list'},
      h('li', {}, h('input', {type: 'radio', class: 'form-radio radio-large', name: 'maaling-art',
        id: 'maaling-art-baseline', value: 'baseline'}),
      h('label', {for: 'maaling-art-baseline'}, 'Udgangspunkt (den første måling)')),
      h('li', {}, h('input', {type: 'radio', class: 'form-radio radio-large', name: 'maaling-art',
        id: 'maaling-art-followup', value: 'followup', checked: true}),
      h('label', {for: 'maaling-art-followup'}, 'Opfølgning'))));
  const valueBox = h('div');
  let value = null;
  const pick = () => {
    const inst = ctx.instruments.find(i => i.name === instrument.value);
    if (!inst) { replace(valueBox); value = null; return; }
    const vc = valueControl(inst);
    value = vc.control;
    replace(valueBox, field('Værdi', value, vc.hint));
  };
  instrument.addEventListener('change', pick);
  return actionForm('maaling', 'Registrér en måling', 'Målingen tegnes på målet under "Den unges mål".',
    [field('Mål', goal), field('Instrument', instrument), kindBox, valueBox], 'Gem målingen',
    async ({say, form}) => {
      for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
      const inst = ctx.instruments.find(i => i.name === instrument.value);
      if (!inst) return required(say, instrument, 'Instrument');
      if (!value.value.trim()) return required(say, value, 'Værdi');
      let v = value.value.trim();
      if (value.tagName === 'INPUT') {
        v = Number(v);
        const sc = inst.values || {};
        if (!Number.isFinite(v) || (typeof sc.min === 'number' && v < sc.min) ||
            (typeof sc.max === 'number' && v > sc.max) || (inst.kind === 'scale' && !Number.isInteger(v))) {
          value.setAttribute('aria-invalid', 'true');
          say('error', 'Værdien passer ikke til instrumentet', value.getAttribute('aria-describedby')
            ? document.getElementById(value.getAttribute('aria-describedby')).textContent : '');
          value.focus();
          return;
        }
      }
      const kind = form.querySelector('input[name="maaling-art"]:checked').value;
      const payload = {instrument: inst.name, kind, value: v};
      if (goal.value) payload.goal = goal.value;
      try {
        const {data: ev} = await post(`/v1/cases/${c.id}/events`, {type: 'maaling', payload});
        say('info', 'Målingen er sendt', 'Sagen behandler den nu …');
        const done = await handled(c.id, ev.id);
        await ctx.reload(['goals', 'history']);
        const what = `${kind === 'baseline' ? 'Udgangspunkt' : 'Opfølgning'} på ${inst.title}: ${v}` +
          (goal.value ? ` for målet "${goal.selectedOptions[0].textContent}"` : '');
        if (done) {
          say('success', 'Målingen er registreret', `${what}. Den er tegnet på grafen.`);
        } else {
          say('warning', 'Målingen er ikke behandlet endnu',
            `${what} venter stadig hos sagen. Hent sagen igen om lidt; kommer den ikke, har sagens forløb afvist værdien.`);
        }
      } catch (err) {
        refused(say, 'Målingen', err, () => ctx.reload(['all']));
      }
    });
}

function tovholderForm(ctx) {
  const c = ctx.c;
  const staff = h('select', {class: 'form-select', id: 'tovholder-ny'}, h('option', {value: ''}, 'Henter kolleger …'));
  const reason = h('textarea', {class: 'form-input', rows: 3, id: 'tovholder-begrundelse'});
  get('/v1/staff?status=active&limit=200').then(({data}) => {
    const others = data.items.filter(s => s.id !== c.tovholder?.staff && s.status === 'active');
    replace(staff, h('option', {value: ''}, others.length ? 'Vælg en kollega' : 'Ingen kolleger at vælge'),
      others.map(s => h('option', {value: s.id}, s.name)));
  }).catch(err => {
    replace(staff, h('option', {value: ''}, 'Kollegerne kunne ikke hentes'));
    staff.insertAdjacentElement('afterend', alert('error', 'Kollegerne kunne ikke hentes', explain(err)));
  });
  return actionForm('tovholder', 'Giv tovholderrollen videre',
    'Den nye tovholder bliver den unges faste kontakt. Skiftet og begrundelsen står i sagens historik.',
    [field('Ny tovholder', staff), field('Begrundelse', reason, 'Fx ferie, sygdom eller nyt ansvar.')],
    'Giv rollen videre',
    async ({say}) => {
      staff.removeAttribute('aria-invalid');
      reason.removeAttribute('aria-invalid');
      if (!staff.value) return required(say, staff, 'Ny tovholder');
      if (!reason.value.trim()) return required(say, reason, 'Begrundelse');
      try {
        const {data} = await request('PUT', `/v1/cases/${c.id}/tovholder`,
          {body: {staff: staff.value, reason: reason.value.trim()}, ifMatch: ctx.c.etag});
        const text = `${data.tovholder.name} er nu tovholder. Begrundelsen står i historikken.`;
        reason.value = '';
        try {
          await ctx.reload(['facts', 'history', 'actions']);
        } catch (err) {
          ctx.say('success', 'Tovholderrollen er givet videre',
            `${text} Du kan ikke længere se sagen.`);
          return;
        }
        ctx.say('success', 'Tovholderrollen er givet videre', text);
      } catch (err) {
        refused(say, 'Tovholderskiftet', err, () => ctx.reload(['all']));
      }
    });
}

function actionsView(ctx) {
  const c = ctx.c;
  if (c.status === 'closed') return h('p', {}, 'Sagen er lukket.');
  const me = ctx.me;
  const forms = [noteForm(ctx)];
  if (me.role !== 'administrator') forms.push(measureForm(ctx));
  if (c.tovholder && (c.tovholder.staff === me.staff || me.role === 'lead')) forms.push(tovholderForm(ctx));
  return h('div', {class: 'og-action-list'}, forms);
}

function view(c, ctx) {
  const current = c.plan.find(p => p.current);
  const planStatus = h('div', {role: 'status'});
  const planButton = h('button', {type: 'button', class: 'button button-secondary'},
    'Hent planen til udskrift');
  planButton.addEventListener('click', () => downloadPlan(c.id, planButton, planStatus));
  const parts = ctx.parts;
  replace(parts.facts, facts(c));
  replace(parts.tasks, tasksTable(c));
  replace(parts.goals, goalsView(c, ctx.instruments));
  replace(parts.history, historyTable(c));
  replace(parts.actions, actionsView(ctx));
  return h('div', {},
    h('p', {}, h('a', {href: '/opgaver', 'data-link': true}, 'Tilbage til mine opgaver')),
    h('h1', {}, c.citizen.name),
    ctx.news,
    parts.facts,
    h('h2', {}, 'Faser'), phases(c),
    current ? h('p', {class: 'og-plantext'}, current.text) : null,
    h('h2', {}, 'Handlinger'), parts.actions,
    h('h2', {}, 'Borgerens plan'),
    h('p', {}, 'Planen i et sprog, den unge kan læse, til at udskrive eller sende.'),
    planButton, planStatus,
    h('h2', {}, 'Opgaver og overdragelser'), parts.tasks,
    h('h2', {}, 'Den unges mål'), parts.goals,
    h('h2', {}, 'Hvad er sket'), parts.history);
}

function historyTable(c) {
  return table('Hvad er sket, ældste først', [
    {title: 'Hvornår', cell: r => fmt.dateTime(r.at)},
    {title: 'Hvad', cell: r => r.what},
  ], history(c)).table;
}

export function sagPage({params, setTitle, me}) {
  const box = h('div', {}, h('h1', {}, 'Sagen'), h('p', {}, 'Henter sagen …'));
  const news = h('div', {class: 'og-news', tabindex: '-1'});
  const ctx = {me, news, instruments: [], c: null,
    parts: {facts: h('div'), tasks: h('div'), goals: h('div'), history: h('div'), actions: h('div')},
    say(kind, heading, ...body) {
      replace(news, alert(kind, heading, ...body));
      news.focus();
    }};
  // PARTS: which parts changed ('all' for the whole page).
  ctx.reload = async changed => {
    const {data} = await get(`/v1/cases/${params[0]}`);
    ctx.c = data;
    if (changed.includes('all')) {
      replace(news);
      replace(box, view(data, ctx));
      return;
    }
    if (changed.includes('facts')) replace(ctx.parts.facts, facts(data));
    if (changed.includes('goals')) replace(ctx.parts.goals, goalsView(data, ctx.instruments));
    if (changed.includes('history')) {
      replace(ctx.parts.history, historyTable(data));
      replace(ctx.parts.tasks, tasksTable(data));
    }
    if (changed.includes('actions')) replace(ctx.parts.actions, actionsView(ctx));
  };
  Promise.all([get(`/v1/cases/${params[0]}`),
    get('/v1/instruments').catch(() => ({data: {items: []}}))]).then(([{data}, {data: inst}]) => {
    setTitle(`Sag ${data.id}`); // no name in the title: browsers keep titles in their history
    ctx.c = data;
    ctx.instruments = inst.items || [];
    replace(box, view(data, ctx));
    focusLoadedHeading(box);
  }).catch(err => {
    replace(box, h('h1', {}, 'Sagen'), alert('error', 'Sagen kunne ikke hentes', explain(err)));
  });
  return box;
}
