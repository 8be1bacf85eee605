// The /v1 API, as the pages call it: the token on every request, JSON in and out, and an
// error as ApiError carrying the problem's detail (RFC 9457) for the page to show.
import {token, signOut} from './auth.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.detail = problem.detail || problem.title || '';
  }

  // Someone else changed the thing since it was read (412), or it is no longer in a state
  // that allows this (409).
  get conflict() {
    return this.status === 409 || this.status === 412;
  }
}

// Called when the token is refused, so the app can ask for a new one.
let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

// request('GET', '/v1/me') → {data, etag}. OPTIONS: body (sent as JSON), ifMatch, accept,
// raw (a blob back), signingIn (a 401 is the sign-in page's to explain).
export async function request(method, path, options = {}) {
  const headers = {Accept: options.accept || 'application/json'};
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (options.ifMatch) headers['If-Match'] = options.ifMatch;
  let body;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let res;
  try {
    res = await fetch(path, {method, headers, body, cache: 'no-store', credentials: 'omit'});
  } catch (e) {
    throw new ApiError(0, {title: 'Ingen forbindelse',
      detail: 'Serveren svarer ikke. Prøv igen om lidt.'});
  }
  const type = res.headers.get('Content-Type') || '';
  if (!res.ok) {
    let problem = {title: `HTTP ${res.status}`};
    if (type.includes('json')) {
      try { problem = await res.json(); } catch (e) { /* keep the status */ }
    }
    if (res.status === 401 && !options.signingIn) {
      signOut();
      onUnauthorized(problem);
    }
    throw new ApiError(res.status, problem);
  }
  const etag = res.headers.get('ETag');
  if (options.raw) return {blob: await res.blob(), etag, type};
  const data = type.includes('json') ? await res.json() : await res.text();
  return {data, etag};
}

export const get = (path, options) => request('GET', path, options);
export const post = (path, body, options = {}) => request('POST', path, {...options, body});

// A page of a list: path with limit and cursor added.
export function pageUrl(path, cursor, limit = 25) {
  const u = new URL(path, location.origin);
  u.searchParams.set('limit', String(limit));
  if (cursor) u.searchParams.set('cursor', cursor);
  return u.pathname + u.search;
}

// Danish words for what went wrong, with the API's own detail after them.
export function explain(err) {
  if (!(err instanceof ApiError)) return 'Noget gik galt i browseren. Hent siden igen.';
  const lead = {
    0: 'Ingen forbindelse til serveren.',
    400: 'Oplysningerne blev ikke godtaget.',
    401: 'Du er ikke logget ind, eller din adgang er udløbet.',
    403: 'Du har ikke adgang til dette.',
    404: 'Det findes ikke (længere).',
    409: 'Det kan ikke lade sig gøre nu: det er allerede ændret.',
    412: 'En anden har ændret det, siden du hentede det.',
    422: 'Oplysningerne blev ikke godtaget.',
    428: 'Siden skal hentes igen, før ændringen kan gemmes.',
  }[err.status] || 'Serveren kunne ikke gøre det.';
  return err.detail && err.status !== 0 ? `${lead} ${err.detail}` : lead;
}
