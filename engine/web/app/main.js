// The web task list: a page per address, routed here in the browser (overgangd answers every
// page's address with index.html). Signed-in state and who the person is come from the API.
import {get, explain, setUnauthorizedHandler} from './api.js';
import {token, signOut} from './auth.js';
import {h, replace, alert} from './dom.js';
import {ROLES} from './format.js';
import {loginPage} from './pages/login.js';
import {opgaverPage} from './pages/opgaver.js';
import {sagPage} from './pages/sag.js';
import {indbakkePage} from './pages/indbakke.js';
import {administrationPage, workflowPage} from './pages/administration.js';
import {ledelsePage} from './pages/ledelse.js';

const main = document.getElementById('main-content');
let me = null;
let firstRender = true; // on a fresh load focus stays at the top, so the skip link comes first

// Pages: a pattern, the title, who sees it in the menu, and what builds it.
const pages = [
  {path: /^\/opgaver$/, title: 'Mine opgaver', menu: 'Mine opgaver',
    roles: ['tovholder', 'worker', 'lead', 'administrator'], build: opgaverPage},
  {path: /^\/indbakke$/, title: 'Afdelingens indbakke', menu: 'Afdelingens indbakke',
    roles: ['worker', 'lead'], build: indbakkePage}, // the API's inbox is theirs only
  {path: /^\/sag\/(\d+)$/, title: 'Sagen', build: sagPage},
  {path: /^\/administration$/, title: 'Administration', menu: 'Administration',
    roles: ['administrator'], build: administrationPage},
  {path: /^\/administration\/forloeb\/([^/]+)\/(\d+)$/, title: 'Forløb', under: 'Administration',
    build: workflowPage},
  {path: /^\/ledelse$/, title: 'Ledelse', menu: 'Ledelse',
    roles: ['manager'], build: ledelsePage},
];

function home() {
  const first = pages.find(p => p.menu && p.roles.includes(me.role));
  return first ? first.path.source.replace(/^\^|\$$/g, '').replace(/\\\//g, '/') : '/opgaver';
}

export function navigate(path, {replace: replacing = false} = {}) {
  if (replacing) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

function setTitle(title) {
  document.title = `${title} – Overgang`;
}

function renderMenu(current) {
  const menu = document.getElementById('menu');
  const list = document.getElementById('mainmenu');
  const user = document.getElementById('user');
  if (!me) {
    menu.hidden = true;
    user.hidden = true;
    return;
  }
  menu.hidden = false;
  user.hidden = false;
  const dept = me.departments.map(d => d.name).join(', ');
  replace(document.getElementById('user-name'),
    `${me.name}, ${ROLES[me.role] || me.role}${dept ? ` · ${dept}` : ''}`);
  replace(list, pages.filter(p => p.menu && p.roles.includes(me.role)).map(p => {
    const href = p.path.source.replace(/^\^|\$$/g, '').replace(/\\\//g, '/');
    const here = current === p || (current && current.under === p.menu);
    return h('li', {class: here ? 'active current' : null},
      h('a', {href, class: 'nav-link', 'data-link': true, 'aria-current': current === p ? 'page' : here ? 'true' : null},
        h('span', {}, p.menu)));
  }));
}

async function render() {
  const path = location.pathname;
  if (!token()) {
    me = null;
    renderMenu(null);
    setTitle('Log ind');
    replace(main, loginPage({onSignedIn: () => navigate('/', {replace: true})}));
    return;
  }
  if (!me) {
    try {
      ({data: me} = await get('/v1/me'));
    } catch (err) {
      if (!token()) return render();
      replace(main, alert('error', 'Vi kunne ikke finde ud af, hvem du er', explain(err)));
      return;
    }
  }
  if (path === '/' || path === '/login') {
    navigate(home(), {replace: true});
    return;
  }
  const page = pages.find(p => p.path.test(path));
  renderMenu(page);
  if (!page) {
    setTitle('Siden findes ikke');
    replace(main, h('h1', {}, 'Siden findes ikke'),
      h('p', {}, h('a', {href: home(), 'data-link': true}, 'Gå til forsiden')));
    return;
  }
  setTitle(page.title);
  const params = path.match(page.path).slice(1);
  const ctx = {me, params, navigate, setTitle};
  replace(main, page.build(ctx));
  // a new page within the app: focus its heading so a screen reader starts there
  const heading = main.querySelector('h1');
  const moved = !firstRender;
  firstRender = false;
  if (heading && moved) {
    heading.tabIndex = -1;
    heading.focus({preventScroll: true});
  }
}

// Links marked data-link change the page without reloading it.
document.addEventListener('click', e => {
  const a = e.target.closest('a[data-link]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', render);
document.getElementById('log-off').addEventListener('click', () => {
  signOut();
  me = null;
  navigate('/login');
});
setUnauthorizedHandler(() => {
  me = null;
  navigate('/login', {replace: true});
});
render();
