-- Tests of the guide's example workflow (workflows/examples/ung-til-voksen.lua).
-- Run them with `overgang test`; ctest runs every *_test.lua file in this folder.
local wf = workflow_file "../examples/ung-til-voksen.lua"

-- A young person with a reduced function, born 1 March 2010: the case starts on their
-- 16th birthday, 1 March 2026, as the start rule says.
local function young_person()
  return simulate(wf, { born = "2010-03-01", attributes = { funktionsnedsaettelse = true } })
end

-- The conversation and PPR's statement are done: the case is being planned.
local function planned()
  local s = young_person()
  s:complete_task { key = "samtale",
    outcome = { maal = "Jeg vil gerne bo i min egen lejlighed", stoettebehov = "moderat" } }
  s:advance_to "2026-08-14"
  s:complete_task { department = "ppr", outcome = { anbefaling = "STU" } }
  return s
end

test("the case starts at 16 with a tovholder from børn og familie", function()
  local s = young_person()
  s:expect_phase "afdaekning"
  s:expect_tovholder { department = "born-familie" }
  s:expect_task { department = "born-familie", title = "Samtale", due_by = "2026-03-29" }
  s:expect_task { department = "ppr", title = "Udtalelse om skole og uddannelse",
    due = "2026-09-01" }
  s:expect_timer { event = "overdrag", at = "2027-09-01" }
  s:expect_text "Barnets Lov § 122"
end)

test("without a reduced function the case does not start by itself", function()
  local ok, err = pcall(simulate, wf, { born = "2010-03-01" })
  assert(not ok and err:find("only for citizens with 'funktionsnedsaettelse'", 1, true), err)
end)

test("the conversation records the young person's goal and a baseline", function()
  local s = young_person()
  s:advance_to "2026-03-20"
  s:complete_task { key = "samtale",
    outcome = { maal = "Jeg vil gerne bo i min egen lejlighed", stoettebehov = "moderat" } }
  s:expect_goal { key = "eget-maal", text = "egen lejlighed" }
  s:expect_measure { instrument = "ffb-stoettebehov", kind = "baseline", value = "moderat" }
  s:expect_phase "afdaekning"
end)

test("planning starts when the conversation and PPR's statement are in", function()
  local s = planned()
  s:expect_phase "planlaegning"
  s:expect_state("anbefaling", "STU")
  s:expect_task { key = "handleplan", due = "2027-03-01" }
  s:expect_text "§ 123"
end)

test("a late statement from PPR gives the tovholder a reminder", function()
  local s = young_person()
  s:advance_to "2026-09-02"
  s:expect_task { department = "born-familie", key = "rykker-ppr" }
  s:expect_task { department = "ppr", status = "open" }
end)

test("at 17½ the case is handed over to voksenhandicap", function()
  local s = planned()
  s:advance_to "2027-09-01"
  s:expect_phase "overdragelse"
  s:expect_handover { department = "voksenhandicap", due = "2027-09-15" }
  s:expect_tovholder { department = "born-familie" }
  local handover = s:tasks { kind = "handover" }[1].handover
  assert(handover.summary:find("STU", 1, true), handover.summary)
  assert(handover.goals[1] == "Jeg vil gerne bo i min egen lejlighed")
end)

test("a rejected handover is clarified and sent again", function()
  local s = planned()
  s:advance_to "2027-09-08"
  s:reject_handover { department = "voksenhandicap", reason = "Vi mangler en udtalelse om bolig" }
  s:expect_task { key = "afklar-overdragelse", due_by = "2027-09-15" }
  s:complete_task { key = "afklar-overdragelse" }
  s:expect_handover { department = "voksenhandicap" }
  s:expect_phase "overdragelse"
end)

test("an accepted handover moves the tovholder to voksenhandicap", function()
  local s = planned()
  s:advance_to "2027-09-03"
  s:accept_handover { department = "voksenhandicap" }
  s:expect_tovholder { department = "voksenhandicap" }
  s:expect_phase "opfoelgning"
  s:expect_outbox { plugin = "digital-post", action = "brev",
    payload = { skabelon = "ny-tovholder" } }
  s:expect_timer { event = "opfoelgning", at = "2028-09-01" }
end)

test("an unanswered handover reminds voksenhandicap and tells the citizen", function()
  local s = planned()
  s:advance_to "2027-09-16"
  s:expect_task { department = "voksenhandicap", title = "Rykker" }
  s:expect_outbox { plugin = "digital-post", payload = { skabelon = "frist-overskredet" } }
end)

test("an absent tovholder is replaced by a colleague in the department", function()
  local s = young_person()
  local before = s:tovholder()
  s:tovholder_unavailable()
  s:expect_tovholder { department = "born-familie" }
  assert(s:tovholder().id ~= before.id, "the tovholder did not change")
end)

test("the follow-up at 18½ closes the case", function()
  local s = planned()
  s:advance_to "2027-09-03"
  s:accept_handover { department = "voksenhandicap" }
  s:advance_to "2028-09-01"
  s:complete_task { key = "opfoelgning", outcome = { stoettebehov = "let" } }
  s:expect_measure { kind = "followup", value = "let" }
  s:expect_closed "overgaaet"
  s:expect_text "afsluttet"
end)

test("with everything answered on time the case runs to its end", function()
  local s = simulate(wf, { born = "2010-03-01", attributes = { funktionsnedsaettelse = true },
    auto = true })
  s:run()
  s:expect_closed "overgaaet"
  assert(s:today() == "2028-10-01", s:today())
end)
