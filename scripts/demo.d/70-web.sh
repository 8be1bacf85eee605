# Demo step: the web task list, which overgangd serves at / from the build (build/demo/web).
TRY+=(
  ""
  "The web task list: open $url/ in a browser and log in with a token from var/demo-tokens/ROLE:"
)
for role in tovholder worker lead manager administrator; do
  if [ -s "var/demo-tokens/$role" ]; then
    TRY+=("  $role: $(cat "var/demo-tokens/$role")")
  fi
done
