// Log ind: paste a token. (OIDC sign-in comes here later: a "Log ind med kommunens login"
// button beside the token field; see auth.js.)
import {get, explain} from '../api.js';
import {setToken, signOut} from '../auth.js';
import {h, field, alert} from '../dom.js';

export function loginPage({onSignedIn}) {
  const input = h('input', {class: 'form-input', type: 'password', name: 'token',
    autocomplete: 'off', spellcheck: 'false', required: true});
  const message = h('div', {'aria-live': 'polite'});
  const button = h('button', {type: 'submit', class: 'button button-primary'}, 'Log ind');
  const form = h('form', {novalidate: true},
    field('Din adgangsnøgle (token)', input,
      'Nøglen får du af en administrator (overgang token create). Den gemmes kun i denne fane, til du logger af eller lukker den.'),
    button);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const value = input.value.trim();
    message.replaceChildren();
    if (!value) {
      message.append(alert('error', 'Skriv din adgangsnøgle', 'Feltet er tomt.'));
      input.focus();
      return;
    }
    button.disabled = true;
    setToken(value);
    try {
      await get('/v1/me', {signingIn: true});
      onSignedIn();
    } catch (err) {
      signOut();
      message.append(alert('error', 'Du blev ikke logget ind',
        err.status === 401 ? 'Nøglen er ukendt, udløbet eller tilbagekaldt.' : explain(err)));
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  return h('div', {class: 'og-narrow'},
    h('h1', {}, 'Log ind'),
    h('p', {class: 'font-lead'}, 'Opgavelisten for tovholdere og afdelinger: dine opgaver, dine sager og afdelingens indbakke.'),
    message, form);
}
