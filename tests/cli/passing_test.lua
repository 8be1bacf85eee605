-- Passes: what `overgang test` prints for a file whose tests all hold (tests/e2e/wftest_test.sh).
local wf = workflow_file "../../workflows/examples/ung-til-voksen.lua"

test("a passing test", function()
  local s = simulate(wf, { born = "2010-03-01", attributes = { funktionsnedsaettelse = true } })
  s:expect_phase "afdaekning"
  s:expect_tovholder "born-familie"
end)

test("another passing test", function()
  local s = simulate(wf, { born = "2010-03-01", start = "2026-06-01" })
  s:advance { months = 3, days = 1 }
  assert(s:today() == "2026-09-02")
  s:expect_task { key = "rykker-ppr" }
end)
