# Demo step: the example workflow of the authoring guide, its departments and staff, and
# made-up citizens; the daemon's start sweep starts their cases when it comes up.
psql -qX -v ON_ERROR_STOP=1 -f scripts/demo.d/20-example.sql
"$OVERGANG" workflow deploy workflows/examples/ung-til-voksen.lua --by demo
TRY+=(
  "build/demo/overgang case list                       # the cases the start sweep started"
  "build/demo/overgang case show 1                     # one case: phase, tovholder, tasks, events"
  "build/demo/overgang simulate workflows/examples/ung-til-voksen.lua --born 2010-03-01 --attr funktionsnedsaettelse --auto"
  "build/demo/overgang graph workflows/examples/ung-til-voksen.lua"
  "less workflows/README.md                            # the authoring guide"
)
