// What a person enters when completing a task: the outcome the case's workflow reads
// (ev.payload.outcome), per task key, as the shipped workflows document it in their headers.
// A task with no entry here is completed with a note only. (The API does not yet say which
// outcome fields a task takes; when it does, this table goes.)

const RESULTAT = [
  ['', 'Vælg'], ['opnaaet', 'Opnået'], ['delvist opnaaet', 'Delvist opnået'],
  ['ikke opnaaet', 'Ikke opnået'], ['ikke relevant', 'Ikke relevant'],
];
const FFB = [
  ['', 'Vælg'], ['ingen', 'Ingen'], ['let', 'Let'], ['moderat', 'Moderat'],
  ['omfattende', 'Omfattende'], ['fuldstaendigt', 'Fuldstændigt'], ['ikke vurderet', 'Ikke vurderet'],
];

const BY_KEY = {
  dialogmoede: [
    {name: 'maal', label: 'Den unges mål, med den unges egne ord', type: 'textarea'},
    {name: 'oensker', label: 'Den unges og forældrenes ønsker', type: 'textarea'},
    {name: 'stoettebehov', label: 'Støttebehov (FFB)', type: 'select', options: FFB},
    {name: 'afslaar', label: 'Den unge siger nej tak til forberedelsen', type: 'checkbox'},
  ],
  'afgoerelse-111': [{name: 'afgoerelse', label: 'Afgørelse', type: 'text',
    hint: 'Fx "ungestøtte bevilget" eller "ikke relevant".'}],
  'afgoerelse-voksen': [{name: 'afgoerelse', label: 'Afgørelse', type: 'text'}],
  'afklar-overdragelse': [{name: 'supplement', label: 'Det, der mangler i overdragelsen',
    type: 'textarea'}],
};

const BY_PREFIX = [
  ['tema-', [{name: 'notat', label: 'Afdelingens bidrag til planen', type: 'textarea'}]],
  ['opfoelgning-', [
    {name: 'stoettebehov', label: 'Støttebehov nu (FFB)', type: 'select', options: FFB},
    {name: 'resultat', label: 'Resultat for den unges mål', type: 'select', options: RESULTAT},
  ]],
];

export function outcomeFields(key) {
  if (!key) return [];
  if (BY_KEY[key]) return BY_KEY[key];
  const hit = BY_PREFIX.find(([prefix]) => key.startsWith(prefix));
  return hit ? hit[1] : [];
}

export {RESULTAT, FFB};
