# shellcheck shell=bash
# The memory measure: overgangd's resident memory (VmRSS) at idle, with the example workflow
# deployed and the three shipped plugins loaded (webhook with an endpoint and a sender, ldap
# optional and pointed at a directory that is not there, personregister), ten seconds after
# start-up with nothing to do; and its peak (VmHWM) by then. Target: at most 64 MiB resident.

MEMORY_TARGET_MIB=64

bench_memory() {
  say "memory: one daemon at idle with the shipped plugins"
  new_bench_db bench_memory
  "$OVERGANG" workflow deploy --by bench "$TOP/workflows/examples/ung-til-voksen.lua" \
    >"$BENCH_DIR/memory-deploy.log" 2>&1 || fail "memory: deploying the example workflow failed"
  local dir=$BENCH_DIR/memory
  rm -rf "$dir" && mkdir -p "$dir/import"
  (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$dir/cpr.key" &&
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$dir/secret")
  local conf=$BENCH_DIR/memory.conf
  write_conf "$conf" "workers = $BENCH_WORKERS"
  cat >>"$conf" <<CONF
[api]
cpr_key_file = $dir/cpr.key
[plugin.webhook]
path = $TOP/build/bench/webhook.so
outbound = kvittering
out.kvittering.url = http://127.0.0.1:9/kvittering
out.kvittering.secret_file = $dir/secret
inbound = sagssystem
in.sagssystem.secret_file = $dir/secret
[plugin.ldap]
path = $TOP/build/bench/ldap.so
optional = true
uri = ldap://127.0.0.1:9
base_dn = ou=people,dc=kommune,dc=dk
interval = 1h
[plugin.personregister]
path = $TOP/build/bench/personregister.so
import_dir = $dir/import
CONF
  daemon_start memory "$conf"
  sleep 10
  local pid=${DAEMONS[memory]} rss hwm
  rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
  hwm=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
  echo "    resident $rss MiB, peak $hwm MiB (pid $pid)"
  daemon_stop memory
  record memory.idle_mib "$rss" MiB "resident at idle with the example workflow and the three plugins" "<= $MEMORY_TARGET_MIB"
  record memory.idle_peak_mib "$hwm" MiB "the peak resident memory by then"
}
