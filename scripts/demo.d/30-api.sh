# Demo step: API tokens for people of the demo (made anew each run; the old ones are revoked),
# kept in var/tokens/NAME (readable by you only), and what to try with curl.
psql -qX -v ON_ERROR_STOP=1 -c "UPDATE overgang.api_token SET revoked_at = now()
                                  WHERE label = 'demo' AND revoked_at IS NULL" \
  -c "INSERT INTO overgang.staff (id, name) VALUES ('admin', 'Administrator (demo)')
      ON CONFLICT (id) DO NOTHING"
mkdir -p var/tokens && chmod 700 var/tokens
for who in jonas/tovholder mette/lead ayse/lead admin/administrator; do
  (umask 077 && "$OVERGANG" token create --staff "${who%/*}" --role "${who#*/}" --label demo \
    >"var/tokens/${who%/*}" 2>/dev/null)
done
TRY+=(
  ""
  "The HTTP API (tokens in var/tokens/; the whole API: curl $url/v1/openapi.json):"
  "curl -H \"Authorization: Bearer \$(cat var/tokens/jonas)\" $url/v1/me/queue      # jonas's queue"
  "curl -H \"Authorization: Bearer \$(cat var/tokens/jonas)\" $url/v1/cases/1       # a case's full picture"
  "curl -H \"Authorization: Bearer \$(cat var/tokens/ayse)\" $url/v1/departments/voksenhandicap/inbox"
  "README.md, 'The API in five minutes', walks through a case with curl."
)
