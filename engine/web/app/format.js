// Dates, phases and statuses in Danish, as the field says them.

const dateFmt = new Intl.DateTimeFormat('da-DK', {day: 'numeric', month: 'long', year: 'numeric',
  timeZone: 'Europe/Copenhagen'});
const timeFmt = new Intl.DateTimeFormat('da-DK', {day: 'numeric', month: 'short', year: 'numeric',
  hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Copenhagen'});

export function date(iso) {
  return iso ? dateFmt.format(new Date(iso)) : '–';
}

export function dateTime(iso) {
  return iso ? timeFmt.format(new Date(iso)) : '–';
}

// The workflows name their phases with ASCII keys (afdaekning, afgoerelse, ...); shown with
// the Danish letters. The API gives no title for a phase yet.
const PHASES = {
  dialog: 'Dialog', afdaekning: 'Afdækning', planlaegning: 'Planlægning',
  overdragelse: 'Overdragelse', afgoerelse: 'Afgørelse', opfoelgning: 'Opfølgning',
  'nej-tak': 'Nej tak', afsluttet: 'Afsluttet', afslaaet: 'Afslået', afklaring: 'Afklaring',
  skridt: 'Skridt', fravalgt: 'Fravalgt', jobcenter: 'Jobcenter',
};

export function phase(key) {
  if (!key) return '–';
  if (PHASES[key]) return PHASES[key];
  const s = key.replace(/-/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const STATUS = {
  open: 'Åben', claimed: 'Taget', done: 'Udført', accepted: 'Accepteret', rejected: 'Afvist',
  cancelled: 'Annulleret', active: 'Aktiv', stuck: 'Standset', closed: 'Lukket',
  pending: 'Venter',
};

export function status(s) {
  return STATUS[s] || s || '–';
}

export const ROLES = {
  tovholder: 'Tovholder', worker: 'Sagsbehandler', lead: 'Leder',
  administrator: 'Administrator', manager: 'Ledelse', auditor: 'Revisor',
};

export function kind(k) {
  return k === 'handover' ? 'Overdragelse' : 'Opgave';
}

// A workflow's name as a heading: "barn-til-voksen" → "Barn til voksen".
export function workflow(name) {
  if (!name) return '–';
  const s = name.replace(/-/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// "1 opgave", "2 opgaver".
export function count(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}
