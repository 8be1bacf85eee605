# Demo step: the webhook plugin. Outbound, the endpoint "kvittering" (a workflow's
# case:outbox { plugin = "webhook", action = "kvittering", ... }) points at a port where
# nothing listens, so its deliveries are retried and then parked, for an administrator to see
# and retry through the API. Inbound, the sender "sagssystem" may put signed events into
# cases. Both sides share a secret made once in var/webhook.secret.
[ -s var/webhook.secret ] || (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >var/webhook.secret)
if ! grep -q '^\[plugin\.webhook\]' "$conf"; then
  cat >>"$conf" <<CONF

[plugin.webhook]
path = $top/build/demo/webhook.so
outbound = kvittering
out.kvittering.url = http://127.0.0.1:7799/kvittering
out.kvittering.secret_file = $top/var/webhook.secret
out.kvittering.timeout = 2s
inbound = sagssystem
in.sagssystem.secret_file = $top/var/webhook.secret
in.sagssystem.ref_system = sagssystem
CONF
fi
TRY+=(
  ""
  "The webhook plugin (plugins/webhook/README.md): a signed event from the case system into case 1:"
  "t=\$(date +%s); key=demo-\$t; body='{\"case\": 1, \"type\": \"besked\", \"payload\": {\"tekst\": \"hej\"}}'"
  "sig=\$(printf '%s.%s.%s' \"\$t\" \"\$key\" \"\$body\" | openssl dgst -sha256 -hmac \"\$(cat var/webhook.secret)\" | sed 's/.*= //')"
  "curl -H \"Overgang-Signature: t=\$t,v1=\$sig\" -H \"Idempotency-Key: \$key\" -H 'Content-Type: application/json' -d \"\$body\" $url/v1/plugins/webhook/in/sagssystem"
  "curl -H \"Authorization: Bearer \$(cat var/tokens/admin)\" '$url/v1/admin/outbox?status=parked'   # deliveries given up"
)
