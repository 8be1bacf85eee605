// Dates, phases and statuses in Danish, as the field says them. Phase titles come from the
// workflows, through the API.

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

// A phase as the workflow titles it (phase_title from the API); its name when there is none.
export function phase(title, name) {
  return title || name || '–';
}

// A key a workflow uses that has no title of its own (a timer's event, a goal's theme):
// "frist_111" → "Frist 111".
export function words(key) {
  if (!key) return '–';
  const s = key.replace(/[-_]/g, ' ');
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
