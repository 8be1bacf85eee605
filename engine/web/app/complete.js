// Completing a task: the outcome fields its workflow declares (outcome_fields) and a note, sent with the ETag the list showed
// (If-Match). A conflict (someone else changed or completed it) says so and offers to reload.
import {post, explain} from './api.js';
import {h, field, alert} from './dom.js';

function control(f, id) {
  const common = {id, name: f.name};
  if (f.required) common['aria-required'] = 'true';
  if (f.type === 'textarea') return h('textarea', {class: 'form-input', rows: 3, ...common});
  if (f.type === 'select') {
    return h('select', {class: 'form-select', ...common},
      [h('option', {value: ''}, 'Vælg'), ...(f.options || []).map(o => h('option', {value: o.value}, o.label))]);
  }
  if (f.type === 'checkbox') {
    return h('input', {type: 'checkbox', class: 'form-checkbox', ...common});
  }
  if (f.type === 'number') {
    const attrs = {type: 'number', class: 'form-input input-width-xs', inputmode: 'decimal', step: 'any', ...common};
    if (f.min !== undefined) attrs.min = String(f.min);
    if (f.max !== undefined) attrs.max = String(f.max);
    return h('input', attrs);
  }
  if (f.type === 'date') return h('input', {type: 'date', class: 'form-input', ...common});
  return h('input', {type: 'text', class: 'form-input', ...common});
}

function value(f, c) {
  if (f.type === 'checkbox') return c.checked ? true : undefined;
  const v = c.value.trim();
  if (!v) return undefined;
  return f.type === 'number' && Number.isFinite(Number(v)) ? Number(v) : v;
}

// TASK: an item of the queue or inbox ({id, key, title, etag, citizen, outcome_fields}: the
// fields the case's workflow declares for the task's key). onDone(message) after
// the API took it; onReload() when the person asks to reload after a conflict; onCancel().
export function completeForm(task, {onDone, onReload, onCancel}) {
  const fields = task.outcome_fields || [];
  const message = h('div', {'aria-live': 'polite'});
  const controls = [];
  const groups = fields.map(f => {
    const id = `udfald-${task.id}-${f.name}`;
    const c = control(f, id);
    controls.push([f, c]);
    if (f.type === 'checkbox') {
      return h('div', {class: 'form-group'}, c, h('label', {for: id}, f.label));
    }
    return field(f.required ? `${f.label} (skal udfyldes)` : f.label, c, f.hint);
  });
  const note = h('textarea', {class: 'form-input', id: `notat-${task.id}`, rows: 3});
  const submit = h('button', {type: 'submit', class: 'button button-primary'}, 'Afslut opgaven');
  const cancel = h('button', {type: 'button', class: 'button button-secondary', onclick: onCancel},
    'Fortryd');
  const headingId = `afslut-${task.id}`;
  const form = h('form', {class: 'og-panel', 'aria-labelledby': headingId, novalidate: true},
    h('h2', {class: 'h3', id: headingId}, `Afslut: ${task.title}`),
    task.citizen ? h('p', {}, `Borger: ${task.citizen.name}`) : null,
    groups,
    field('Notat til sagen (valgfrit)', note, 'Kommer med i sagens historik.'),
    message,
    h('div', {class: 'og-actions'}, submit, cancel));

  form.addEventListener('submit', async e => {
    e.preventDefault();
    const outcome = {};
    for (const [f, c] of controls) {
      const v = value(f, c);
      if (v !== undefined) outcome[f.name] = v;
    }
    const missing = controls.find(([f]) => f.required && outcome[f.name] === undefined);
    if (missing) {
      message.replaceChildren(alert('error', 'Opgaven blev ikke afsluttet',
        `Udfyld "${missing[0].label}", før du afslutter opgaven.`));
      missing[1].setAttribute('aria-invalid', 'true');
      missing[1].focus();
      return;
    }
    const body = {outcome};
    if (note.value.trim()) body.note = note.value.trim();
    submit.disabled = true;
    message.replaceChildren();
    try {
      await post(`/v1/tasks/${task.id}/complete`, body, {ifMatch: task.etag});
      onDone(`Opgaven "${task.title}" er afsluttet${task.citizen ? ` for ${task.citizen.name}` : ''}. Sagen går videre med det, du skrev.`);
    } catch (err) {
      submit.disabled = false;
      if (err.conflict) {
        message.append(alert('warning', 'En anden har ændret opgaven',
          h('p', {}, explain(err)),
          h('button', {type: 'button', class: 'button button-secondary', onclick: onReload},
            'Hent listen igen')));
      } else {
        message.append(alert('error', 'Opgaven blev ikke afsluttet', explain(err)));
      }
      message.querySelector('button, .alert')?.focus?.();
    }
  });
  return form;
}
