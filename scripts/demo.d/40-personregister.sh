# Demo step: the personregister plugin with a generated extract of 2,000 made-up citizens in
# var/import/ (made once; scripts/demo.d/make-extract.py). The plugin is added to the demo's
# configuration unless it has a [plugin.personregister] section already; an administrator
# imports the extract with one POST, and the start sweep (overgang sweep, or the daemon's
# next one) starts cases for the 16-year-olds with funktionsnedsaettelse.
if ! grep -q '^\[plugin\.personregister\]' "$conf"; then
  cat >>"$conf" <<CONF

[plugin.personregister]
path = $top/build/demo/personregister.so
import_dir = $top/var/import
attributes = funktionsnedsaettelse, anbragt
CONF
fi
import_dir=$(sed -n '/^\[plugin\.personregister\]/,/^\[/s/^import_dir *= *//p' "$conf" | head -n 1)
mkdir -p "$import_dir"
[ -s "$import_dir/borgere.csv" ] ||
  python3 scripts/demo.d/make-extract.py --lines 2000 --municipality 320 "$import_dir/borgere.csv"
TRY+=(
  ""
  "The person register (plugins/personregister/README.md): import $import_dir/borgere.csv, read the report:"
  "curl -H \"Authorization: Bearer \$(cat var/tokens/admin)\" -d '{\"file\": \"borgere.csv\"}' $url/v1/plugins/personregister/imports"
  "curl -H \"Authorization: Bearer \$(cat var/tokens/admin)\" $url/v1/plugins/personregister/imports/ID"
  "build/demo/overgang sweep                            # cases for the imported 16-year-olds"
)
