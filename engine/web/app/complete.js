// Completing a task: its outcome fields and a note, sent with the ETag the list showed
// (If-Match). A conflict (someone else changed or completed it) says so and offers to reload.
import {post, explain} from './api.js';
import {h, field, alert} from './dom.js';
import {outcomeFields} from './outcomes.js';

function control(f, id) {
  if (f.type === 'textarea') return h('textarea', {class: 'form-input', id, name: f.name, rows: 3});
  if (f.type === 'select') {
    return h('select', {class: 'form-select', id, name: f.name},
      f.options.map(([value, label]) => h('option', {value}, label)));
  }
  if (f.type === 'checkbox') {
    return h('input', {type: 'checkbox', class: 'form-checkbox', id, name: f.name});
  }
  return h('input', {type: 'text', class: 'form-input', id, name: f.name});
}

// TASK: an item of the queue or inbox ({id, key, title, etag, citizen}). onDone(message) after
// the API took it; onReload() when the person asks to reload after a conflict; onCancel().
export function completeForm(task, {onDone, onReload, onCancel}) {
  const fields = outcomeFields(task.key);
  const message = h('div', {'aria-live': 'polite'});
  const controls = [];
  const groups = fields.map(f => {
    const id = `udfald-${task.id}-${f.name}`;
    const c = control(f, id);
    controls.push([f, c]);
    if (f.type === 'checkbox') {
      return h('div', {class: 'form-group'}, c, h('label', {for: id}, f.label));
    }
    return field(f.label, c, f.hint);
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
      if (f.type === 'checkbox') {
        if (c.checked) outcome[f.name] = true;
      } else if (c.value.trim()) {
        outcome[f.name] = c.value.trim();
      }
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
