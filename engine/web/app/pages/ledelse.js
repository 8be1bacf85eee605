// Ledelse: numbers only, never a person. For a period (and perhaps one workflow or department)
// the effect report (did things get better, per instrument), the deadlines met per
// department, and the time cases spend in each phase: as tables, simple bar charts and CSV.
// Numbers that concern too few citizens come from the API suppressed (null) and are shown
// as "skjult".
import {get, request, explain} from '../api.js';
import {h, replace, alert, field, table} from '../dom.js';
import {barChart} from '../svg.js';
import * as fmt from '../format.js';

const num = new Intl.NumberFormat('da-DK');
const pct = new Intl.NumberFormat('da-DK', {style: 'percent', maximumFractionDigits: 0});
const days = new Intl.NumberFormat('da-DK', {maximumFractionDigits: 1});

// A day as the API takes it (YYYY-MM-DD), in Danish time.
function isoDay(d) {
  return new Intl.DateTimeFormat('sv-SE', {timeZone: 'Europe/Copenhagen'}).format(d);
}

function defaultPeriod() {
  const to = new Date();
  const from = new Date(to);
  from.setFullYear(from.getFullYear() - 1);
  from.setDate(from.getDate() + 1);
  return {from: isoDay(from), to: isoDay(to)};
}

const SKJULT = 'skjult';

// A count or null (suppressed).
function n(v) {
  return v === null || v === undefined ? h('span', {class: 'og-suppressed'}, SKJULT) : num.format(v);
}

function share(v) {
  return v === null || v === undefined ? h('span', {class: 'og-suppressed'}, SKJULT) : pct.format(v);
}

function countAndShare(count, part) {
  if (count === null || count === undefined) return n(count);
  return part === null || part === undefined ? num.format(count) : `${num.format(count)} (${pct.format(part)})`;
}

// The suppression note under a report, in the API's terms: min_group and how many.
function suppressionNote(r) {
  if (!r.suppressed) {
    return h('p', {class: 'og-note'}, `Ingen tal er skjult. Tal, der vedrører 1 til ${r.min_group - 1} borgere, vises aldrig.`);
  }
  return h('p', {class: 'og-note'},
    `${fmt.count(r.suppressed, 'tal er', 'tal er')} skjult ("${SKJULT}"): de vedrører 1 til ${r.min_group - 1} borgere, ` +
    'eller de er en sum, hvor en af delene er skjult.');
}

export function ledelsePage() {
  const period = defaultPeriod();
  const names = {departments: new Map(), instruments: new Map(), workflows: []};
  const dept = id => (id ? names.departments.get(id) || id : 'Ingen tovholder');
  const instrument = key => names.instruments.get(key) || fmt.words(key);

  const from = h('input', {type: 'date', class: 'form-input', name: 'from', value: period.from, required: true});
  const to = h('input', {type: 'date', class: 'form-input', name: 'to', value: period.to, required: true});
  const workflow = h('select', {class: 'form-select', name: 'workflow'}, h('option', {value: ''}, 'Alle forløb'));
  const department = h('select', {class: 'form-select', name: 'department'}, h('option', {value: ''}, 'Alle afdelinger'));
  const message = h('div', {'aria-live': 'polite'});
  const submit = h('button', {type: 'submit', class: 'button button-primary'}, 'Vis tallene');
  const results = h('div');
  const form = h('form', {class: 'og-report-form', novalidate: true, 'aria-label': 'Vælg periode og forløb'},
    h('div', {class: 'og-filters'},
      field('Fra og med', from),
      field('Til og med', to),
      field('Forløb', workflow),
      field('Afdeling', department)),
    message,
    submit);

  function query(format) {
    const q = new URLSearchParams({from: from.value, to: to.value});
    if (workflow.value) q.set('workflow', workflow.value);
    if (department.value) q.set('department', department.value);
    if (format) q.set('format', format);
    return q.toString();
  }

  // A button that fetches the report as CSV (the token in the header, never in the URL) and
  // saves it.
  function csvButton(report, title, file) {
    const status = h('span', {role: 'status', class: 'og-csv-status'});
    const q = query('csv');
    const name = `${file}-${from.value}-${to.value}.csv`;
    const button = h('button', {type: 'button', class: 'button button-secondary'},
      `Hent ${title} som CSV`);
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const {blob} = await request('GET', `/v1/reports/${report}?${q}`, {accept: 'text/csv', raw: true});
        const url = URL.createObjectURL(new Blob([blob], {type: 'text/csv'}));
        const a = h('a', {href: url, download: name}, name);
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
        replace(status, `Hentet som ${name}.`);
      } catch (err) {
        replace(status, alert('error', 'Filen kunne ikke hentes', explain(err)));
      } finally {
        button.disabled = false;
      }
    });
    return h('div', {class: 'og-actions og-csv'}, button, status);
  }

  function effectSection(r) {
    const rows = r.rows;
    const chart = rows.length ? barChart({
      label: 'Effekt pr. redskab og afdeling: sager, der blev bedre, uændrede eller værre (tallene står i tabellen)',
      parts: [{name: 'Bedre', cls: 'og-fill-good'}, {name: 'Uændret', cls: 'og-fill-same'},
        {name: 'Værre', cls: 'og-fill-bad'}],
      rows: rows.map(x => ({label: `${instrument(x.instrument)}, ${dept(x.department)}`,
        parts: [x.improved, x.unchanged, x.worse], value: x.cases})),
      unit: v => (v === null ? '' : `${num.format(v)} sager`),
    }) : null;
    const t = table('Effekt pr. forløb, afdeling og redskab', [
      {title: 'Forløb', cell: x => fmt.workflow(x.workflow)},
      {title: 'Afdeling', cell: x => dept(x.department)},
      {title: 'Redskab', cell: x => h('span', {}, instrument(x.instrument), h('br'),
        h('span', {class: 'og-kind'}, x.better === 'lower' ? 'lavere er bedre' : 'højere er bedre'))},
      {title: 'Sager', cell: x => n(x.cases)},
      {title: 'Bedre', cell: x => countAndShare(x.improved, x.share_improved)},
      {title: 'Uændret', cell: x => countAndShare(x.unchanged, x.share_unchanged)},
      {title: 'Værre', cell: x => countAndShare(x.worse, x.share_worse)},
    ], rows);
    const goals = table('Målopfyldelse pr. forløb og afdeling', [
      {title: 'Forløb', cell: x => fmt.workflow(x.workflow)},
      {title: 'Afdeling', cell: x => dept(x.department)},
      {title: 'Mål', cell: x => n(x.goals)},
      {title: 'Opnået', cell: x => n(x.opnaaet)},
      {title: 'Delvist opnået', cell: x => n(x.delvist_opnaaet)},
      {title: 'Ikke opnået', cell: x => n(x.ikke_opnaaet)},
      {title: 'Ikke relevant', cell: x => n(x.ikke_relevant)},
    ], r.goal_results);
    return h('section', {'aria-labelledby': 'effekt', class: 'og-section'},
      h('h2', {id: 'effekt'}, 'Effekt'),
      h('p', {}, 'Sager med et udgangspunkt og en senere opfølgning i perioden: blev det bedre, uændret eller værre? For støttebehov (FFB) er et mindre behov bedre.'),
      rows.length ? [chart, t.table] : h('p', {}, 'Ingen målinger i perioden.'),
      h('h3', {}, 'Målopfyldelse'),
      h('p', {}, 'Den unges egne mål, der er fulgt op på i perioden (den seneste opfølgning på hvert mål).'),
      r.goal_results.length ? goals.table : h('p', {}, 'Ingen mål er fulgt op i perioden.'),
      suppressionNote(r),
      csvButton('effect', 'effektrapporten', 'effekt'));
  }

  function deadlinesSection(r) {
    const kind = k => (k === 'handover' ? 'overdragelser' : 'opgaver');
    const byWorkflow = new Map();
    for (const x of r.rows) (byWorkflow.get(x.workflow) || byWorkflow.set(x.workflow, []).get(x.workflow)).push(x);
    const charts = [...byWorkflow].map(([wf, rows]) => [
      h('h3', {}, fmt.workflow(wf)),
      barChart({
        label: `Frister i ${fmt.workflow(wf)} pr. afdeling: overholdt, overskredet og ikke forfaldne endnu (tallene står i tabellen)`,
        parts: [{name: 'Overholdt', cls: 'og-fill-good'}, {name: 'Overskredet', cls: 'og-fill-bad'},
          {name: 'Ikke forfaldne endnu', cls: 'og-fill-same'}],
        rows: rows.map(x => ({label: `${dept(x.department)}, ${kind(x.kind)}`,
          parts: [x.met, x.missed, x.open],
          value: x.met === null || x.missed === null || x.met + x.missed === 0 ? null : x.met / (x.met + x.missed)})),
        unit: v => (v === null ? '' : `${pct.format(v)} overholdt`),
      })]);
    const t = table('Frister pr. forløb, afdeling og slags', [
      {title: 'Forløb', cell: x => fmt.workflow(x.workflow)},
      {title: 'Afdeling', cell: x => dept(x.department)},
      {title: 'Slags', cell: x => fmt.words(kind(x.kind))},
      {title: 'Frister i perioden', cell: x => n(x.due)},
      {title: 'Overholdt', cell: x => n(x.met)},
      {title: 'Overskredet', cell: x => n(x.missed)},
      {title: 'Ikke forfaldne endnu', cell: x => n(x.open)},
      {title: 'Andel overholdt', cell: x => (x.met === null || x.missed === null ? share(null)
        : x.met + x.missed ? pct.format(x.met / (x.met + x.missed)) : '–')},
    ], r.rows);
    const keys = table('Frister pr. opgave', [
      {title: 'Forløb', cell: x => fmt.workflow(x.workflow)},
      {title: 'Opgave', cell: x => h('span', {}, fmt.words(x.key),
        x.deadline ? [h('br'), h('span', {class: 'og-kind'}, x.deadline)] : null)},
      {title: 'Frister i perioden', cell: x => n(x.due)},
      {title: 'Overholdt', cell: x => n(x.met)},
      {title: 'Overskredet', cell: x => n(x.missed)},
      {title: 'Ikke forfaldne endnu', cell: x => n(x.open)},
    ], r.by_key);
    return h('section', {'aria-labelledby': 'frister', class: 'og-section'},
      h('h2', {id: 'frister'}, 'Frister overholdt'),
      h('p', {}, 'Opgaver og overdragelser med frist i perioden: udført til tiden, for sent (eller stadig åbne efter fristen), eller endnu ikke forfaldne. Afdelingen er den, opgaven lå hos.'),
      r.rows.length ? [charts, h('h3', {}, 'Alle afdelinger'), t.table] : h('p', {}, 'Ingen frister i perioden.'),
      r.by_key.length ? [h('h3', {}, 'Pr. opgave og lovens frister'), keys.table] : null,
      suppressionNote(r),
      csvButton('deadlines-met', 'fristrapporten', 'frister'));
  }

  function phasesSection(r) {
    const chart = r.rows.length ? barChart({
      label: 'Tid i fase: median i dage pr. fase og afdeling (tallene står i tabellen)',
      parts: [{name: 'Median', cls: 'og-fill-same'}],
      rows: r.rows.map(x => ({label: `${fmt.phase(x.phase_title, x.phase)}, ${dept(x.department)}`,
        parts: [x.median_days]})),
      unit: v => `${days.format(v)} dage`,
    }) : null;
    const t = table('Tid i fase pr. forløb, fase og afdeling', [
      {title: 'Forløb', cell: x => fmt.workflow(x.workflow)},
      {title: 'Fase', cell: x => fmt.phase(x.phase_title, x.phase)},
      {title: 'Afdeling', cell: x => dept(x.department)},
      {title: 'Ophold afsluttet', cell: x => n(x.intervals)},
      {title: 'Median (dage)', cell: x => (x.median_days === null ? n(null) : days.format(x.median_days))},
      {title: '90 % var under (dage)', cell: x => (x.p90_days === null ? n(null) : days.format(x.p90_days))},
    ], r.rows);
    return h('section', {'aria-labelledby': 'faser', class: 'og-section'},
      h('h2', {id: 'faser'}, 'Tid i fase'),
      h('p', {}, 'Hvor længe sagerne var i hver fase, for de ophold i en fase, der sluttede i perioden. Afdelingen er tovholderens, da fasen begyndte.'),
      r.rows.length ? [chart, t.table] : h('p', {}, 'Ingen faser sluttede i perioden.'),
      suppressionNote(r),
      csvButton('phases', 'fase-rapporten', 'tid-i-fase'));
  }

  async function show() {
    replace(message);
    for (const input of [from, to]) input.removeAttribute('aria-invalid');
    const bad = [from, to].find(i => !/^\d{4}-\d{2}-\d{2}$/.test(i.value));
    if (bad) {
      bad.setAttribute('aria-invalid', 'true');
      replace(message, alert('error', 'Vælg en periode', 'Skriv både første og sidste dag i perioden.'));
      bad.focus();
      return;
    }
    if (from.value > to.value) {
      to.setAttribute('aria-invalid', 'true');
      replace(message, alert('error', 'Perioden slutter, før den begynder', 'Vælg en sidste dag, der ikke er før den første.'));
      to.focus();
      return;
    }
    submit.disabled = true;
    replace(results, h('p', {}, 'Henter tallene …'));
    const q = query();
    try {
      const [effect, deadlines, phases] = await Promise.all(['effect', 'deadlines-met', 'phases']
        .map(r => get(`/v1/reports/${r}?${q}`).then(x => x.data)));
      replace(results,
        h('p', {role: 'status', class: 'font-lead'},
          `Tal for ${fmt.date(`${from.value}T12:00:00Z`)} til og med ${fmt.date(`${to.value}T12:00:00Z`)}` +
          `${workflow.value ? `, ${fmt.workflow(workflow.value)}` : ''}` +
          `${department.value ? `, ${dept(department.value)}` : ''}.`),
        effectSection(effect), deadlinesSection(deadlines), phasesSection(phases));
    } catch (err) {
      replace(results);
      replace(message, alert('error', 'Tallene kunne ikke hentes', explain(err)));
    } finally {
      submit.disabled = false;
    }
  }
  form.addEventListener('submit', e => { e.preventDefault(); show(); });

  // the names the reports refer to by key, then the first numbers
  (async () => {
    const all = async path => {
      const items = [];
      let cursor = null;
      do {
        const {data} = await get(`${path}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        items.push(...data.items);
        cursor = data.next_cursor;
      } while (cursor);
      return items;
    };
    try {
      const [deps, instruments, overview] = await Promise.all([all('/v1/departments'),
        get('/v1/instruments').then(x => x.data.items), get('/v1/reports/deadlines').then(x => x.data)]);
      for (const d of deps) names.departments.set(d.id, d.name);
      for (const i of instruments) names.instruments.set(i.name, i.title);
      for (const d of deps) department.append(h('option', {value: d.id}, d.name));
      for (const w of [...new Set(overview.workflows.map(x => x.workflow))].sort()) {
        workflow.append(h('option', {value: w}, fmt.workflow(w)));
      }
    } catch (err) {
      replace(message, alert('warning', 'Navnene kunne ikke hentes', explain(err)));
    }
    show();
  })();

  return h('div', {},
    h('h1', {}, 'Ledelse'),
    h('p', {class: 'font-lead'}, 'Tal for kommunens overgange: effekt, frister og tid i fase. Kun tal, aldrig personer.'),
    form, results);
}
