// Drawings built in the browser as SVG: a workflow's phase graph and simple bar charts. Like
// dom.h(), every text goes in as text. Each drawing has a name (role=img, aria-label); the
// numbers and phases are also in a table or list beside it, for those who cannot see it.
import {h} from './dom.js';

const NS = 'http://www.w3.org/2000/svg';

// s('rect', {x: 0, width: 10}, child...): an SVG element.
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Shortens TEXT to MAX characters with an ellipsis.
function clip(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// Layers for a left-to-right layout: the length of the longest path from the first phase,
// edges back to an earlier phase (a loop) left out. Phases no other phase leads to start
// their own walk.
export function layers(phases) {
  const index = new Map(phases.map((p, i) => [p.name, i]));
  const state = new Array(phases.length).fill(0); // 0 new, 1 on the walk, 2 done
  const order = [];
  const back = new Set();
  function visit(i) {
    state[i] = 1;
    for (const n of phases[i].next || []) {
      const j = index.get(n);
      if (j === undefined) continue;
      if (state[j] === 1) back.add(`${i}>${j}`);
      else if (state[j] === 0) visit(j);
    }
    state[i] = 2;
    order.push(i);
  }
  for (let i = 0; i < phases.length; i++) if (state[i] === 0) visit(i);
  order.reverse(); // a topological order of the forward edges
  const layer = new Array(phases.length).fill(0);
  for (const i of order) {
    for (const n of phases[i].next || []) {
      const j = index.get(n);
      if (j !== undefined && !back.has(`${i}>${j}`)) layer[j] = Math.max(layer[j], layer[i] + 1);
    }
  }
  return {layer, back, index};
}

// The phase graph: a box per phase (its title), an arrow to each phase it may go to. Phases
// with no next phase end the case and have a double border; the first phase is where a case
// begins. LABEL: the drawing's name; TITLE(phase): the text in its box.
export function phaseGraph(phases, {label, title = p => p.title || p.name} = {}) {
  const {layer, back, index} = layers(phases);
  const W = 132, H = 44, GX = 72, GY = 26, PAD = 12, LANE = 9;
  const rows = [];
  phases.forEach((p, i) => { (rows[layer[i]] ||= []).push(i); });
  const tallest = Math.max(...rows.map(r => (r ? r.length : 0)));
  // the edges: to the next layer (near), further on (far: over the boxes, a lane each, in the
  // gaps between layers), or back (a loop: under the boxes)
  const list = [];
  phases.forEach((p, i) => {
    for (const n of p.next || []) {
      const j = index.get(n);
      if (j === undefined) continue;
      const kind = back.has(`${i}>${j}`) || layer[j] <= layer[i] ? 'back'
        : layer[j] - layer[i] === 1 ? 'near' : 'far';
      list.push({i, j, kind});
    }
  });
  const far = list.filter(e => e.kind === 'far')
    .sort((a, b) => (layer[a.j] - layer[a.i]) - (layer[b.j] - layer[b.i]) || layer[a.i] - layer[b.i]);
  far.forEach((e, k) => { e.lane = k; });
  const top = PAD + (far.length ? 16 + far.length * LANE : 0);
  const pos = [];
  rows.forEach((r, l) => {
    (r || []).forEach((i, k) => {
      const offset = ((tallest - r.length) * (H + GY)) / 2;
      pos[i] = {x: PAD + l * (W + GX), y: top + offset + k * (H + GY)};
    });
  });
  const width = PAD * 2 + rows.length * W + (rows.length - 1) * GX;
  const loops = list.some(e => e.kind === 'back');
  const height = top + tallest * H + (tallest - 1) * GY + PAD + (loops ? 40 : 0);
  // ports: a node's edges out leave its right side, edges in arrive on its left, spread
  // along it in the order of the other end, top to bottom
  const outs = phases.map(() => []), ins = phases.map(() => []);
  for (const e of list) {
    if (e.kind === 'back') continue;
    outs[e.i].push(e);
    ins[e.j].push(e);
  }
  const order = (a, b) => (a.lane ?? -1) - (b.lane ?? -1);
  phases.forEach((p, i) => {
    outs[i].sort((a, b) => (a.kind === 'far') - (b.kind === 'far') || pos[a.j].y - pos[b.j].y || order(b, a));
    ins[i].sort((a, b) => (b.kind === 'far') - (a.kind === 'far') || order(b, a) || pos[a.i].y - pos[b.i].y);
    outs[i].forEach((e, k) => { e.y1 = pos[i].y + (H * (k + 1)) / (outs[i].length + 1); e.out = k; });
    ins[i].forEach((e, k) => { e.y2 = pos[i].y + (H * (k + 1)) / (ins[i].length + 1); e.in = k; });
  });
  const edges = list.map(e => {
    const a = pos[e.i], b = pos[e.j];
    let d;
    if (e.kind === 'back') {
      const low = Math.max(a.y, b.y) + H + 26;
      d = `M${a.x + W / 2},${a.y + H} C${a.x + W / 2},${low} ${b.x + W / 2},${low} ${b.x + W / 2},${b.y + H + 4}`;
    } else if (e.kind === 'near') {
      const x1 = a.x + W, x2 = b.x - 4, mid = (x1 + x2) / 2;
      d = `M${x1},${e.y1} C${mid},${e.y1} ${mid},${e.y2} ${x2},${e.y2}`;
    } else {
      const lane = top - 12 - e.lane * LANE;
      const up = a.x + W + 8 + (e.out % 4) * 7;
      const down = b.x - 12 - (e.in % 4) * 7;
      d = `M${a.x + W},${e.y1} L${up},${e.y1} L${up},${lane} L${down},${lane} L${down},${e.y2} L${b.x - 4},${e.y2}`;
    }
    return s('path', {d, class: `og-edge og-edge-${e.kind}`, 'marker-end': 'url(#og-arrow)'});
  });
  const nodes = phases.map((p, i) => {
    const t = title(p);
    const end = !(p.next || []).length;
    return s('g', {class: `og-node${end ? ' og-node-end' : ''}${i === 0 ? ' og-node-start' : ''}`,
      transform: `translate(${pos[i].x},${pos[i].y})`},
    s('title', {}, t),
    s('rect', {width: W, height: H, rx: 6}),
    end ? s('rect', {x: 3, y: 3, width: W - 6, height: H - 6, rx: 4, class: 'og-node-inner'}) : null,
    s('text', {x: W / 2, y: H / 2, 'dominant-baseline': 'central', 'text-anchor': 'middle'},
      clip(t, 17)));
  });
  return s('svg', {class: 'og-graph', role: 'img', 'aria-label': label,
    viewBox: `0 0 ${width} ${height}`, width, height},
  s('defs', {}, s('marker', {id: 'og-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse'},
  s('path', {d: 'M0,0 L10,5 L0,10 z', class: 'og-arrowhead'}))),
  edges, nodes);
}

// A horizontal bar chart: a bar per row, made of parts stacked left to right.
// ROWS: [{label, parts: [number|null...]}]; PARTS: [{name, cls}] (the legend); a row with a
// null part is suppressed and shows SUPPRESSED instead of bars. MAX: the scale's end (default
// the largest row total). UNIT(value): the text after each bar.
export function barChart({label, rows, parts, max, unit = v => String(v), suppressed = 'skjult'}) {
  // a row: its label on a line of its own, the bar under it; narrow enough for a phone
  const BAR = 320, TEXT = 124, ROW = 46, PAD = 6, BARH = 16;
  const totals = rows.map(r => (r.parts.some(v => v === null || v === undefined)
    ? null : r.parts.reduce((a, b) => a + b, 0)));
  const end = max || Math.max(1, ...totals.filter(t => t !== null));
  const width = BAR + TEXT;
  const height = PAD * 2 + rows.length * ROW;
  const body = rows.map((r, k) => {
    const y = PAD + k * ROW;
    const barY = y + 20;
    const bars = [];
    let x = 0;
    if (totals[k] === null) {
      bars.push(s('text', {x: 4, y: barY + BARH / 2, 'dominant-baseline': 'central',
        class: 'og-bar-note'}, suppressed));
    } else {
      r.parts.forEach((v, p) => {
        const w = (v / end) * BAR;
        if (w > 0) bars.push(s('rect', {x, y: barY, width: w, height: BARH, class: parts[p].cls},
          s('title', {}, `${parts[p].name}: ${v}`)));
        x += w;
      });
      bars.push(s('text', {x: x + 6, y: barY + BARH / 2, 'dominant-baseline': 'central'},
        unit(r.value !== undefined ? r.value : totals[k])));
    }
    return s('g', {},
      s('text', {x: 0, y: y + 8, 'dominant-baseline': 'central', class: 'og-bar-label'},
        clip(r.label, 60)),
      bars);
  });
  const svg = s('svg', {class: 'og-bars', role: 'img', 'aria-label': label,
    viewBox: `0 0 ${width} ${height}`, width, height}, body);
  const legend = parts.length > 1
    ? h('ul', {class: 'og-legend', 'aria-hidden': 'true'}, parts.map(p =>
      h('li', {}, h('span', {class: `og-swatch ${p.cls}`}), p.name)))
    : null;
  return h('figure', {class: 'og-figure'}, svg, legend);
}
