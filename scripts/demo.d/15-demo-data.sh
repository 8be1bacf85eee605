# Demo step: a synthetic municipality (overgang demo-data): the departments and staff of the
# shipped workflows, which it deploys, 10,000 made-up citizens with visibly synthetic CPR
# numbers (the day of the month plus 60), and cases of both workflows in every phase. Running
# it again adds nothing. Tokens for one person in each role are kept in var/demo-tokens/ROLE.
# The example workflow's people and citizens (20-example, 25-shipped, 30-api) come on top.
mkdir -p var
"$OVERGANG" -c "$conf" demo-data --workflows workflows --tokens var/demo-tokens |
  sed -n '/^citizens added/p;/^synthetic/p;/^API tokens/,$p'
demo_case=$(psql -qAtX -c "SELECT id FROM overgang.cases WHERE tovholder = 'hanne.kjaer'
                             AND status = 'active' AND phase = 'afdaekning' ORDER BY id LIMIT 1")
TRY+=(
  ""
  "The synthetic municipality (overgang demo-data; tokens in var/demo-tokens/ROLE):"
  "curl -H \"Authorization: Bearer \$(cat var/demo-tokens/tovholder)\" $url/v1/me/queue          # Hanne Kjær's queue (tovholder, Børn og Familie)"
  "curl -H \"Authorization: Bearer \$(cat var/demo-tokens/worker)\" $url/v1/departments/voksenhandicap/inbox   # Voksenhandicap's inbox (Nadia Ali)"
  "curl -H \"Authorization: Bearer \$(cat var/demo-tokens/tovholder)\" $url/v1/cases/${demo_case:-1}/plan     # a case's plan, in the young person's words"
  "curl -H \"Authorization: Bearer \$(cat var/demo-tokens/tovholder)\" $url/v1/cases/${demo_case:-1}/plan.html"
  "curl -H \"Authorization: Bearer \$(cat var/demo-tokens/manager)\" '$url/v1/reports/cases?from=$(date -d "1 year ago" +%F)&to=$(date +%F)'   # the manager's report: counts, no person data"
)
