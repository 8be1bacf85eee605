// A small chart of one instrument's measures on a case: the baseline and the follow-ups in
// time order, on the instrument's scale (GET /v1/instruments). Built as SVG in JS (the CSP
// allows no inline script); the same values are in a table under it for those who do not see
// the chart, and the chart itself is an image with a short description.
import {h} from './dom.js';
import {s} from './svg.js';
import * as fmt from './format.js';

// Compares words as the registry does: trimmed, lower case, æ ø å as ae oe aa.
export function norm(word) {
  return String(word).trim().toLowerCase().replace(/æ/g, 'ae').replace(/ø/g, 'oe').replace(/å/g, 'aa');
}

// The instrument's scale as {labels: [lowest … highest] or null, min, max, unit, position(v)};
// position is null for a value with no place on the scale ("ikke vurderet").
export function scaleOf(instrument) {
  const v = instrument?.values || {};
  if (Array.isArray(v.words)) {
    const none = (v.not_comparable || []).map(norm);
    const words = v.words.filter(w => !none.includes(norm(w)));
    return {labels: words, min: 0, max: Math.max(words.length - 1, 1), unit: '',
      position: x => {
        const i = words.findIndex(w => norm(w) === norm(x));
        return i < 0 ? null : i;
      }};
  }
  const min = typeof v.min === 'number' ? v.min : 0;
  return {labels: null, min, max: typeof v.max === 'number' ? v.max : null, unit: v.unit || '',
    position: x => (typeof x === 'number' && Number.isFinite(x) ? x : null)};
}

function kindWord(m) {
  return m.kind === 'baseline' ? 'Udgangspunkt' : 'Opfølgning';
}

// MEASURES: of one instrument (and goal), any order. Returns a <figure>.
export function measureChart(instrument, name, measures, title) {
  const ms = [...measures].sort((a, b) => new Date(a.measured_at) - new Date(b.measured_at));
  const sc = scaleOf(instrument);
  const placed = ms.map(m => ({m, y: sc.position(m.value)}));
  const ys = placed.map(p => p.y).filter(y => y !== null);
  const max = sc.max ?? Math.max(sc.min + 1, ...ys);
  const min = Math.min(sc.min, ...ys);
  const W = 320, H = 150, left = sc.labels ? 96 : 40, right = 12, top = 12, bottom = 28;
  const x = i => left + (ms.length === 1 ? (W - left - right) / 2
    : i * (W - left - right) / (ms.length - 1));
  const y = v => top + (H - top - bottom) * (1 - (v - min) / ((max - min) || 1));
  const svg = s('svg', {viewBox: `0 0 ${W} ${H}`, class: 'og-chart', role: 'img',
    'aria-label': `${title}: ${ms.map(m => `${kindWord(m).toLowerCase()} ${fmt.date(m.measured_at)}: ${m.value}`).join('; ')}`,
    focusable: 'false'});
  // the scale's steps: the words, or the lowest and highest number
  const ticks = sc.labels ? sc.labels.map((l, i) => [i, l]) : [[min, String(min)], [max, String(max)]];
  for (const [v, label] of ticks) {
    svg.append(s('line', {x1: left, x2: W - right, y1: y(v), y2: y(v), class: 'og-chart-grid'}),
      s('text', {x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'og-chart-label'},
        label.length > 14 ? `${label.slice(0, 13)}…` : label));
  }
  const line = placed.map((p, i) => (p.y === null ? null : `${x(i)},${y(p.y)}`)).filter(Boolean);
  if (line.length > 1) svg.append(s('polyline', {points: line.join(' '), class: 'og-chart-line'}));
  placed.forEach((p, i) => {
    const cy = p.y === null ? H - bottom + 10 : y(p.y);
    svg.append(s('circle', {cx: x(i), cy, r: 5, class: `og-chart-point og-chart-${p.m.kind}` +
      (p.y === null ? ' og-chart-none' : '')}));
  });
  if (ms.length) {
    svg.append(s('text', {x: x(0), y: H - 2, 'text-anchor': ms.length === 1 ? 'middle' : 'start',
      class: 'og-chart-label'}, fmt.date(ms[0].measured_at)));
  }
  if (ms.length > 1) {
    svg.append(s('text', {x: x(ms.length - 1), y: H - 2, 'text-anchor': 'end',
      class: 'og-chart-label'}, fmt.date(ms[ms.length - 1].measured_at)));
  }
  const rows = h('table', {class: 'table table--compact og-chart-table'},
    h('caption', {}, `Værdierne: ${title}`),
    h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Dato'), h('th', {scope: 'col'}, 'Måling'),
      h('th', {scope: 'col'}, 'Værdi'))),
    h('tbody', {}, ms.map(m => h('tr', {},
      h('td', {}, fmt.date(m.measured_at)), h('td', {}, kindWord(m)),
      h('td', {}, `${m.value}${sc.unit ? ` ${sc.unit}` : ''}`)))));
  return h('figure', {class: 'og-chart-box', 'data-instrument': name},
    h('figcaption', {}, title, sc.unit ? ` (${sc.unit})` : ''), svg, rows);
}
