-- Deliberately failing tests: what `overgang test` prints for each kind of failure
-- (tests/e2e/wftest_test.sh compares the output with failing_test.out).
local wf = workflow_file "../../workflows/examples/ung-til-voksen.lua"
local broken = workflow_file "fejl.lua"

local function young_person()
  return simulate(wf, { born = "2010-03-01", attributes = { funktionsnedsaettelse = true } })
end

test("this one passes", function()
  young_person():expect_phase "afdaekning"
end)

test("the wrong phase", function()
  local s = young_person()
  s:expect_phase "planlaegning"
end)

test("a task that is not there", function()
  local s = young_person()
  s:expect_task { department = "jobcenter", due_by = "2026-05-01" }
end)

test("completing a task that is not there", function()
  local s = young_person()
  s:complete_task { department = "jobcenter" }
end)

test("the wrong tovholder", function()
  young_person():expect_tovholder { department = "voksenhandicap" }
end)

test("a text the citizen does not read", function()
  young_person():expect_text "§ 111"
end)

test("the workflow fails in a step", function()
  local s = simulate(broken, { born = "2010-03-01", start = "2026-03-01" })
  s:complete_task { department = "ppr", outcome = { karakter = 7 } }
end)

test("a measure off the instrument's scale", function()
  local s = young_person()
  s:complete_task { key = "samtale", outcome = { maal = "Egen bolig", stoettebehov = "svaer" } }
end)

test("an assertion", function()
  local s = young_person()
  assert(s:age() == 17, "the young person is " .. s:age())
end)

test("a mistake in the test", function()
  local s = young_person()
  s:expect_phse "afdaekning"
end)

test("a test that never ends", function()
  while true do end
end)
