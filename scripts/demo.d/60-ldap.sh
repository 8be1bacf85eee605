# Demo step: the ldap plugin against a slapd of the demo's own (var/slapd, plain LDAP on a
# free port, the directory of tests/plugins/ldap/directory.ldif), synchronising departments
# and staff every 10 minutes and on an administrator's request. Optional: without slapd the
# demo runs without it.
ldap_dir=$top/var/slapd
if command -v slapd >/dev/null && command -v slapadd >/dev/null; then
  if [ ! -s "$ldap_dir/slapd.conf" ]; then
    mkdir -p "$ldap_dir/data"
    sed -e "s|@DIR@|$ldap_dir|g" -e "s|@SRC@|$top/tests/plugins/ldap|g" \
      tests/plugins/ldap/slapd.conf.in >"$ldap_dir/slapd.conf"
    slapadd -q -f "$ldap_dir/slapd.conf" -b dc=kommune,dc=dk -l tests/plugins/ldap/directory.ldif
  fi
  ldap_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  slapd -f "$ldap_dir/slapd.conf" -h "ldap://127.0.0.1:$ldap_port/" -d 0 2>>"$ldap_dir/slapd.log" &
  STOP+=("kill $! 2>/dev/null && echo 'slapd stopped.'")
  for _ in $(seq 50); do
    ldapsearch -x -H "ldap://127.0.0.1:$ldap_port" -b "" -s base -LLL 1.1 >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo overgang-secret >"$ldap_dir/password" && chmod 600 "$ldap_dir/password"
  # the port changes each run: the section is written anew
  sed -i '/^\[plugin\.ldap\]/,/^$/d' "$conf"
  cat >>"$conf" <<CONF

[plugin.ldap]
path = $top/build/demo/ldap.so
optional = true
uri = ldap://127.0.0.1:$ldap_port
bind_dn = cn=overgang,ou=system,dc=kommune,dc=dk
bind_password_file = $ldap_dir/password
base_dn = ou=people,dc=kommune,dc=dk
group_base_dn = ou=groups,dc=kommune,dc=dk
disabled_attribute = userAccountControl
disabled_match = bits
disabled_value = 2
interval = 10m

CONF
  TRY+=(
    ""
    "The ldap plugin (plugins/ldap/README.md) syncs staff from the demo's slapd on ldap://127.0.0.1:$ldap_port:"
    "curl -H \"Authorization: Bearer \$(cat var/tokens/admin)\" $url/v1/plugins/ldap/status"
    "curl -X POST -H \"Authorization: Bearer \$(cat var/tokens/admin)\" $url/v1/plugins/ldap/sync"
  )
fi
