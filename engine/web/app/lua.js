// A workflow's Lua source, read-only with simple highlighting: keywords, strings and comments
// get a class each (og-kw, og-str, og-com). A small tokenizer, not a parser: enough to read by.
import {h} from './dom.js';

const KEYWORDS = new Set(['and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for',
  'function', 'goto', 'if', 'in', 'local', 'nil', 'not', 'or', 'repeat', 'return', 'then',
  'true', 'until', 'while']);

// The end of a long bracket ([[ ]], [==[ ]==]) opening at I, or -1 when there is none there.
function longBracket(src, i) {
  const m = /^\[(=*)\[/.exec(src.slice(i, i + 64));
  if (!m) return -1;
  const close = `]${m[1]}]`;
  const end = src.indexOf(close, i + m[0].length);
  return end < 0 ? src.length : end + close.length;
}

// [{kind: 'kw'|'str'|'com'|null, text}] covering SRC.
export function tokens(src) {
  const out = [];
  let plain = '';
  const push = (kind, text) => {
    if (plain) out.push({kind: null, text: plain});
    plain = '';
    out.push({kind, text});
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '-' && src[i + 1] === '-') {
      let end = src[i + 2] === '[' ? longBracket(src, i + 2) : -1;
      if (end < 0) {
        end = src.indexOf('\n', i);
        if (end < 0) end = src.length;
      }
      push('com', src.slice(i, end));
      i = end;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      push('str', src.slice(i, Math.min(j + 1, src.length)));
      i = j + 1;
    } else if (c === '[' && (src[i + 1] === '[' || src[i + 1] === '=') && longBracket(src, i) > 0) {
      const end = longBracket(src, i);
      push('str', src.slice(i, end));
      i = end;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j])) j++;
      const word = src.slice(i, j);
      if (KEYWORDS.has(word)) push('kw', word);
      else plain += word;
      i = j;
    } else {
      plain += c;
      i++;
    }
  }
  if (plain) out.push({kind: null, text: plain});
  return out;
}

// A <pre> of the source that can be scrolled with the keyboard; LABEL names it.
export function sourceView(src, label) {
  const code = h('code', {}, tokens(src).map(t =>
    (t.kind ? h('span', {class: `og-${t.kind}`}, t.text) : t.text)));
  return h('pre', {class: 'og-source', tabindex: '0', role: 'region', 'aria-label': label}, code);
}
