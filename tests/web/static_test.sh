# The web task list's files as overgangd serves them (engine/http/static.h): types, caching
# and the security headers; nothing outside the web folder is reachable (.., %2e%2e, encoded
# slashes, absolute paths, dot-files, symbolic links out); the API's paths stay the API's;
# the build's folder is found without configuration; a bad folder stops the daemon with a
# clear message.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
csp="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

# A web folder with one file of each kind, beside a secret it must never hand out.
web=$TEST_TMP/web
mkdir -p "$web/app" "$TEST_TMP/outside"
echo '<!doctype html><title>forside</title>' >"$web/index.html"
echo 'export const x = 1;' >"$web/app/main.js"
echo 'body { color: black; }' >"$web/app/site.css"
echo '<svg xmlns="http://www.w3.org/2000/svg"></svg>' >"$web/app/icon.svg"
printf 'wOF2' >"$web/app/font.woff2"
echo 'HEMMELIG-1' >"$TEST_TMP/secret.txt"
echo 'HEMMELIG-2' >"$TEST_TMP/outside/secret.txt"
echo 'HEMMELIG-3' >"$web/.env"
ln -s "$TEST_TMP/secret.txt" "$web/link-out.txt"
ln -s "$TEST_TMP/outside" "$web/outdir"
ln -s "$web/app/main.js" "$web/link-in.js"

start() { # NAME CONF: a daemon on a free port; sets url
  local port; port=$(free_port)
  sed -i "s/^listen = .*/listen = 127.0.0.1:$port/" "$2"
  daemon_start "$1" "$2"
  url="http://127.0.0.1:$port"
  wait_for 10 status_is 200 "$url/healthz" || fail "$1 did not start: $(tail -n 5 "$TEST_TMP/$1.log")"
}
write_conf "$TEST_TMP/d.conf" "workers = 0"
printf '[web]\nroot = %s\n' "$web" >>"$TEST_TMP/d.conf"
start d "$TEST_TMP/d.conf"

get() { rm -f "$TEST_TMP/b" "$TEST_TMP/h"; touch "$TEST_TMP/b"; curl -s --path-as-is --max-time 5 -D "$TEST_TMP/h" -o "$TEST_TMP/b" -w '%{http_code}' "$@"; }
header() { tr -d '\r' <"$TEST_TMP/h" | sed -n "s/^$1: //Ip" | head -n 1; }
body() { cat "$TEST_TMP/b"; }

step "/ is index.html, never cached without asking, with the security headers"
assert_eq 200 "$(get "$url/")" "GET /"
assert_contains "$(body)" "<title>forside</title>" "the page"
assert_eq "text/html; charset=utf-8" "$(header Content-Type)" "type of /"
assert_eq "no-cache" "$(header Cache-Control)" "Cache-Control of /"
assert_eq "$csp" "$(header Content-Security-Policy)" "CSP of /"
assert_eq nosniff "$(header X-Content-Type-Options)" "nosniff"
assert_eq no-referrer "$(header Referrer-Policy)" "Referrer-Policy"

step "each file with the type of its extension, and an ETag that answers 304"
for f in "app/main.js text/javascript; charset=utf-8" "app/site.css text/css; charset=utf-8" \
  "app/icon.svg image/svg+xml" "app/font.woff2 font/woff2" "index.html text/html; charset=utf-8"; do
  path=${f%% *}
  assert_eq 200 "$(get "$url/$path")" "GET /$path"
  assert_eq "${f#* }" "$(header Content-Type)" "type of /$path"
  assert_eq "$csp" "$(header Content-Security-Policy)" "CSP of /$path"
done
etag=$(get "$url/app/main.js" >/dev/null; header ETag)
[ -n "$etag" ] || fail "no ETag on /app/main.js"
assert_eq 304 "$(get -H "If-None-Match: $etag" "$url/app/main.js")" "a file not changed"
assert_eq "" "$(body)" "a 304's body"
assert_eq 200 "$(get -H 'If-None-Match: "other"' "$url/app/main.js")" "another ETag"
assert_eq 200 "$(get -I "$url/app/main.js")" "HEAD"
assert_eq "text/javascript; charset=utf-8" "$(header Content-Type)" "HEAD's type"

step "a page of the app is index.html; a missing file is 404 problem+json, with the headers too"
assert_eq 200 "$(get "$url/sag/12")" "an app page"
assert_contains "$(body)" "<title>forside</title>" "an app page"
assert_eq 404 "$(get "$url/app/nope.js")" "a missing file"
assert_eq "application/problem+json" "$(header Content-Type)" "the 404's type"
assert_eq "$csp" "$(header Content-Security-Policy)" "CSP of a 404"
assert_eq 405 "$(get -X POST "$url/")" "POST /"
assert_eq "GET, HEAD" "$(header Allow)" "Allow"

step "nothing outside the folder: .., encoded dots and slashes, absolute paths, dot-files, links out"
for p in "/../secret.txt" "/app/../../secret.txt" "/%2e%2e/secret.txt" "/%2E%2E/secret.txt" \
  "/app/%2e%2e/%2e%2e/secret.txt" "/app/..%2f..%2fsecret.txt" "/..%5csecret.txt" \
  "//$TEST_TMP/secret.txt" "/%2f${TEST_TMP#/}/secret.txt" "/link-out.txt" "/outdir/secret.txt" \
  "/.env" "/%2eenv" "/app/./main.js" "/app//main.js" "/app/main.js%00.css"; do
  code=$(get "$url$p")
  case "$(body)" in *HEMMELIG*) fail "$p handed out a file from outside the web folder" ;; esac
  [ "$code" = 404 ] || fail "$p: expected 404, got $code"
done
assert_eq 200 "$(get "$url/link-in.js")" "a link to a file inside the folder"
assert_contains "$(body)" "export const x" "the linked file"

step "the API's paths stay the API's"
assert_eq 404 "$(get "$url/v1/no-such-thing")" "an unknown API path"
assert_eq "application/problem+json" "$(header Content-Type)" "its type"
assert_eq 401 "$(get "$url/v1/me")" "an API route without a token"
assert_eq 404 "$(get "$url/metrics/x")" "under /metrics"
assert_eq 200 "$(get "$url/healthz")" "/healthz"
daemon_stop d

step "without [web] root the daemon serves the build's folder (the app and the design system)"
write_conf "$TEST_TMP/e.conf" "workers = 0"
start e "$TEST_TMP/e.conf"
assert_eq 200 "$(get "$url/")" "GET / from the build"
assert_contains "$(body)" '<html lang="da">' "the app's page"
assert_eq "$csp" "$(header Content-Security-Policy)" "CSP"
assert_eq 200 "$(get "$url/vendor/dkfds/css/dkfds.min.css")" "the design system's stylesheet"
assert_eq "text/css; charset=utf-8" "$(header Content-Type)" "its type"
assert_contains "$(cat "$TEST_TMP/e.log")" '"msg":"web task list loaded"' "the log"
daemon_stop e

step "a folder that is missing, has no index.html or is too large stops the daemon, saying why"
refused() { # CONF WHAT: overgangd exits 1 and logs WHAT
  local rc=0
  timeout 10 "$OVERGANGD" -c "$1" 2>"$TEST_TMP/refused.log" || rc=$?
  assert_eq 1 "$rc" "exit status"
  assert_contains "$(cat "$TEST_TMP/refused.log")" "$2" "the message"
}
write_conf "$TEST_TMP/f.conf" "workers = 0"
printf '[web]\nroot = %s\n' "$TEST_TMP/nowhere" >>"$TEST_TMP/f.conf"
refused "$TEST_TMP/f.conf" "web root $TEST_TMP/nowhere: No such file or directory"
sed -i "s|^root = .*|root = $TEST_TMP/outside|" "$TEST_TMP/f.conf"
refused "$TEST_TMP/f.conf" "there is no index.html"
truncate -s 33M "$web/app/big.bin"
sed -i "s|^root = .*|root = $web|" "$TEST_TMP/f.conf"
refused "$TEST_TMP/f.conf" "its files come to more than 32 MiB"
