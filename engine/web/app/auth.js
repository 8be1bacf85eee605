// Who is signed in. Today: a token pasted on the sign-in page (overgang token create, or
// var/demo-tokens/ROLE in the demo), kept in sessionStorage for this tab only and sent as
// "Authorization: Bearer"; never put in a URL. OIDC sign-in replaces signIn() below: it will
// obtain the same bearer token from the municipality's identity provider (authorization code
// flow with PKCE) and hand it to setToken().

const KEY = 'overgang.token';

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  sessionStorage.setItem(KEY, value);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

// How a person signs in: 'token' now; 'oidc' once the daemon offers it.
export const method = 'token';
