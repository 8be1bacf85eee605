-- Tests of workflows/uddannelse-til-job.lua: from STU or the municipal youth effort (KUI) to
-- job or education. Run them with `overgang test`; ctest runs every *_test.lua file here.
local wf = workflow_file "../uddannelse-til-job.lua"

-- A young person of 20 in the final year of STU, which ends 30 June 2027. The case starts on
-- 10 August 2026, when the person register marks the final year (the start rule's attribute);
-- the handover to the jobcenter is due three months before the end, on 30 March 2027.
local function stu_elev(extra)
  local attributes = { stu_sidste_aar = true, uddannelse_slut = "2027-06-30" }
  for k, v in pairs(extra or {}) do attributes[k] = v end
  return simulate(wf, { born = "2006-05-01", start = "2026-08-10", attributes = attributes })
end

-- The conversation is held: the goal in the young person's words, and the baseline.
local function samtale_holdt(s)
  s:advance_to "2026-08-31"
  s:complete_task { key = "samtale", outcome = {
    maal = "Jeg vil gerne arbejde med dyr og tjene mine egne penge", tema = "beskaeftigelse",
    i_job_eller_uddannelse = false, selvvurdering = 4 } }
  return s
end

local function state_list(s, key)
  return s:state()[key] or {}
end

-- The task the tovholder is asked to choose a step with, in its newest (open) form.
local function open_choice(s)
  local open = s:tasks { key = "valg-af-trin", status = "open" }
  assert(#open == 1, ("expected one open choice, found %d"):format(#open))
  return open[1]
end

test("a young person in the final STU year gets a tovholder from ungeindsatsen", function()
  local s = stu_elev()
  s:expect_phase "afklaring"
  s:expect_tovholder { department = "ungeindsats" }
  s:expect_task { department = "ungeindsats", key = "samtale", due = "2026-09-07" }
  s:expect_task { department = "jobcenter", key = "jobcenter-planlaegning", due = "2026-10-10" }
  s:expect_timer { event = "overdrag", at = "2027-03-30" }
  s:expect_state("vej", "stu")
  s:expect_outbox { plugin = "webhook", action = "digital-post",
    payload = { skabelon = "din-tovholder" } }
  s:expect_text "STU-loven"
  s:expect_text "lov om kommunal indsats for unge under 25 år"
end)

test("the start rule starts a case only for a young person marked in the final STU year", function()
  local ok, err = pcall(simulate, wf, { born = "2006-05-01" })
  assert(not ok and err:find("stu_sidste_aar", 1, true), err)
end)

test("a young person in KUI without STU is started by hand, without the STU planning", function()
  local s = simulate(wf, { born = "2007-02-01", start = "2026-09-01" })
  s:expect_state("vej", "kui")
  s:expect_tovholder { department = "ungeindsats" }
  s:expect_no_task { key = "jobcenter-planlaegning" }
  -- no end date: one year from the start, handed over three months before
  s:expect_timer { event = "overdrag", at = "2027-06-01" }
end)

test("KUI enrolment by event: the case follows 'started', and a later end date moves the handover", function()
  -- as overgangd starts it on the event kui_indskrevet: 'started', then the event itself
  local s = simulate(wf, { born = "2007-02-01", start = "2026-09-01" })
  s:send("kui_indskrevet", { uddannelse_slut = "2027-08-31" })
  s:expect_state("vej", "kui")
  s:expect_state("kui_indskrevet", "2026-09-01")
  s:expect_state("slut", "2027-08-31")
  s:expect_tovholder { department = "ungeindsats" }
  s:expect_timer { event = "overdrag", at = "2027-05-31", key = "overdrag" }
  -- sent again with a later end: the handover moves with it
  s:advance_to "2026-10-01"
  s:send("kui_indskrevet", { uddannelse_slut = "2027-12-31" })
  s:expect_state("slut", "2027-12-31")
  s:expect_timer { event = "overdrag", at = "2027-09-30", key = "overdrag" }
  -- never past the 25th birthday, when KUI ends
  s:send("kui_indskrevet", { uddannelse_slut = "2033-01-01" })
  s:expect_state("slut", "2032-02-01")
end)

test("the conversation records the goal in the young person's words and a baseline", function()
  local s = samtale_holdt(stu_elev())
  s:expect_goal { key = "eget-maal", theme = "beskaeftigelse", text = "arbejde med dyr" }
  -- toward work the goal is to develop (FFB måltype "udvikle") unless the conversation says so
  s:expect_goal { key = "eget-maal", maaltype = "udvikle" }
  s:expect_measure { instrument = "i-job-eller-uddannelse", kind = "baseline", value = "nej" }
  s:expect_measure { instrument = "timer-pr-uge", kind = "baseline", value = 0 }
  s:expect_measure { instrument = "selvvurdering-1-10", kind = "baseline", value = 4 }
  s:expect_task { department = "ungeindsats", key = "valg-af-trin", due = "2026-09-21" }
end)

test("the normal path: an ordinary job, follow-ups at 3, 6 and 12 months, then close", function()
  local s = samtale_holdt(stu_elev())
  s:complete_task { key = "valg-af-trin", outcome = { trin = "ordinaert-job", lokal = true,
    tilbud = "Dyrehandlen på Torvet" } }
  s:expect_phase "skridt"
  s:expect_task { department = "jobcenter", key = "ordinaert-job", due = "2026-10-26" }
  s:expect_text "helst her i kommunen"
  -- the jobcenter finds a job that starts after STU
  s:advance_to "2026-10-20"
  s:complete_task { key = "ordinaert-job", outcome = { resultat = "startet",
    start = "2027-08-01", timer = 25 } }
  s:expect_state("start", { i = "ordinaert-job", trin = "ordinaert-job", dato = "2027-08-01",
    timer = 25 })
  s:expect_timer { event = "opfoelgning", key = "opfoelgning-3", at = "2027-11-01" }
  s:expect_timer { event = "opfoelgning", key = "opfoelgning-6", at = "2028-02-01" }
  s:expect_timer { event = "opfoelgning", key = "opfoelgning-12", at = "2028-08-01" }
  s:expect_phase "skridt"
  -- the handover before STU ends
  s:advance_to "2027-03-30"
  s:expect_phase "overdragelse"
  s:expect_handover { department = "jobcenter", due = "2027-04-13" }
  s:expect_tovholder { department = "ungeindsats" }
  local h = s:tasks { kind = "handover" }[1].handover
  assert(h.summary:find("ordinaert-job fra 2027-08-01", 1, true), h.summary)
  assert(h.goals[1]:find("arbejde med dyr", 1, true), h.goals[1])
  s:advance_to "2027-04-06"
  s:accept_handover { department = "jobcenter" }
  s:expect_tovholder { department = "jobcenter" }
  s:expect_phase "opfoelgning"
  s:expect_text "3, 6 og 12 måneder"
  s:expect_outbox { plugin = "webhook", action = "digital-post", payload = { skabelon = "ny-tovholder" } }
  -- three follow-ups, each by the tovholder's department
  s:advance_to "2027-11-01"
  s:expect_task { department = "jobcenter", key = "opfoelgning-3", due = "2027-11-15" }
  s:complete_task { key = "opfoelgning-3", outcome = { i_job_eller_uddannelse = true, timer = 25,
    selvvurdering = 6 } }
  s:advance_to "2028-02-01"
  s:complete_task { key = "opfoelgning-6", outcome = { i_job_eller_uddannelse = true, timer = 30,
    selvvurdering = 7 } }
  s:advance_to "2028-08-01"
  s:expect_active()
  s:complete_task { key = "opfoelgning-12", outcome = { i_job_eller_uddannelse = true, timer = 32,
    selvvurdering = 8 } }
  s:expect_measure { instrument = "selvvurdering-1-10", kind = "followup", value = 6 }
  s:expect_measure { instrument = "timer-pr-uge", kind = "followup", value = 30 }
  s:expect_measure { instrument = "selvvurdering-1-10", kind = "followup", value = 8 }
  s:expect_measure { instrument = "i-job-eller-uddannelse", kind = "followup", value = "ja" }
  s:expect_closed "i-job"
  s:expect_phase "afsluttet"
  s:expect_text "Dit forløb er slut"
end)

test("a heavier step without a reason for the lighter ones is not started", function()
  local s = samtale_holdt(stu_elev())
  s:complete_task { key = "valg-af-trin", outcome = { trin = "fleksjob-vurdering" } }
  s:expect_no_task { key = "fleksjob-vurdering", status = "any" }
  s:expect_phase "afklaring"
  local afvist = s:state().afvist_valg
  assert(afvist.trin == "fleksjob-vurdering" and #afvist.mangler == 3, "afvist_valg")
  local body = open_choice(s).body
  assert(body:find("Mindst indgribende indsats først", 1, true), body)
  assert(body:find("praktik", 1, true), body)
end)

test("praktik is tried before a flexjob assessment, and why it was not enough is kept", function()
  local s = samtale_holdt(stu_elev())
  s:complete_task { key = "valg-af-trin", outcome = { trin = "praktik", lokal = true,
    tilbud = "Praktik på Naturcenteret",
    fravalgt = { ["ordinaert-job"] = "Kan i dag ikke klare et job på almindelige vilkår" } } }
  s:expect_task { department = "jobcenter", key = "praktik", due = "2026-11-30" }
  s:expect_phase "skridt"
  s:advance_to "2026-11-20"
  s:complete_task { key = "praktik", outcome = { resultat = "ikke-nok",
    hvorfor = "Kan arbejde 8 timer om ugen i praktikken, men ikke mere" } }
  local choice = open_choice(s)
  assert(choice.department == "ungeindsats", choice.department)
  assert(choice.body:find("8 timer om ugen", 1, true), choice.body)
  -- without a word on løntilskud the assessment is still refused ...
  s:complete_task { key = "valg-af-trin", outcome = { trin = "fleksjob-vurdering" } }
  s:expect_no_task { key = "fleksjob-vurdering", status = "any" }
  assert(open_choice(s).body:find("job med løntilskud", 1, true))
  -- ... and with it, it starts
  s:complete_task { key = "valg-af-trin", outcome = { trin = "fleksjob-vurdering",
    fravalgt = { loentilskud = "Løntilskud forudsætter flere timer, end den unge kan klare" } } }
  s:expect_task { department = "jobcenter", key = "fleksjob-vurdering" }
  local recs = state_list(s, "overvejelser")
  assert(#recs == 3, #recs)
  assert(recs[1].trin == "ordinaert-job" and recs[1].maade == "overvejet")
  assert(recs[2].trin == "praktik" and recs[2].maade == "afprøvet" and recs[2].niveau == 2)
  assert(recs[2].hvorfor:find("8 timer", 1, true))
  assert(recs[3].trin == "loentilskud" and recs[3].niveau == 3)
  -- the record travels with the handover
  s:advance_to "2027-03-30"
  local h = s:tasks { kind = "handover" }[1].handover
  assert(h.summary:find("praktik (afprøvet): Kan arbejde 8 timer", 1, true), h.summary)
end)

test("an external offer is started only with a reason why no local one fits", function()
  local s = samtale_holdt(stu_elev())
  s:complete_task { key = "valg-af-trin", outcome = { trin = "ordinaert-job", lokal = false,
    tilbud = "Zoo i nabokommunen" } }
  s:expect_no_task { key = "ordinaert-job", status = "any" }
  assert(open_choice(s).body:find("Lokale tilbud før eksterne", 1, true))
  s:complete_task { key = "valg-af-trin", outcome = { trin = "ordinaert-job", lokal = false,
    tilbud = "Zoo i nabokommunen",
    ekstern_begrundelse = "Ingen lokal arbejdsplads med dyr har en plads, der passer" } }
  s:expect_task { department = "jobcenter", key = "ordinaert-job" }
  local t = s:tasks { key = "ordinaert-job" }[1]
  assert(t.body:find("eksternt, fordi: Ingen lokal", 1, true), t.body)
  local tilbud = state_list(s, "tilbud")
  assert(#tilbud == 1 and tilbud[1].lokal == false and
    tilbud[1].ekstern_begrundelse:find("Ingen lokal", 1, true))
  s:expect_state("afvist_valg", nil)
end)

test("a rejected handover to the jobcenter is clarified, sent again and accepted", function()
  local s = samtale_holdt(stu_elev())
  s:complete_task { key = "valg-af-trin", outcome = { trin = "praktik",
    fravalgt = { uddannelse = "Den unge vil ikke i skole igen nu" } } }
  s:advance_to "2027-03-30"
  s:expect_handover { department = "jobcenter" }
  s:advance_to "2027-04-02"
  s:reject_handover { department = "jobcenter", reason = "Vi mangler resultatet af praktikken" }
  s:expect_task { department = "ungeindsats", key = "afklar-overdragelse", due = "2027-04-09" }
  s:expect_tovholder { department = "ungeindsats" }
  s:expect_phase "overdragelse"
  s:complete_task { key = "afklar-overdragelse" }
  s:expect_handover { department = "jobcenter", status = "open" }
  s:accept_handover { department = "jobcenter" }
  s:expect_tovholder { department = "jobcenter" }
  -- nobody has started yet: the jobcenter carries on with the steps
  s:expect_phase "jobcenter"
  s:expect_text "Jobcentret har taget over"
  s:expect_outbox { plugin = "webhook", action = "digital-post", payload = { skabelon = "ny-tovholder" } }
  -- the praktik, still open, now answers to the jobcenter's tovholder
  s:complete_task { key = "praktik", outcome = { resultat = "ikke-nok", hvorfor = "For lange dage" } }
  s:expect_task { department = "jobcenter", key = "valg-af-trin" }
end)

test("an unanswered handover reminds the jobcenter and tells the citizen in writing", function()
  local s = samtale_holdt(stu_elev())
  s:advance_to "2027-04-14"
  s:expect_task { department = "jobcenter", key = "rykker-overdragelse" }
  s:expect_outbox { plugin = "webhook", action = "digital-post", payload = { skabelon = "frist-overskredet" } }
end)

test("a tovholder who becomes unavailable mid-way is replaced in the same department", function()
  local s = samtale_holdt(stu_elev())
  s:complete_task { key = "valg-af-trin", outcome = { trin = "ordinaert-job" } }
  local before = s:tovholder()
  s:advance_to "2026-10-01"
  s:tovholder_unavailable()
  s:expect_tovholder { department = "ungeindsats" }
  assert(s:tovholder().id ~= before.id, "the tovholder did not change")
  s:expect_outbox { plugin = "webhook", action = "digital-post", payload = { skabelon = "ny-tovholder" } }
  s:expect_phase "skridt"
  s:expect_task { department = "jobcenter", key = "ordinaert-job" }
  -- what the new tovholder gets next lands in ungeindsatsen
  s:complete_task { key = "ordinaert-job", outcome = { resultat = "ikke-nok",
    hvorfor = "Ingen job fundet" } }
  s:expect_task { department = "ungeindsats", key = "valg-af-trin" }
end)

test("the young person declines: the case closes with a letter", function()
  local s = samtale_holdt(stu_elev())
  s:complete_task { key = "valg-af-trin", outcome = { trin = "ordinaert-job" } }
  s:advance_to "2026-10-05"
  s:complete_task { key = "ordinaert-job", outcome = { takker_nej = true,
    begrundelse = "Vil selv finde et job" } }
  s:expect_closed "takket-nej"
  s:expect_phase "fravalgt"
  s:expect_text "Du har sagt nej tak"
  s:expect_outbox { plugin = "webhook", action = "digital-post", payload = { skabelon = "takket-nej" } }
  s:expect_no_task { key = "jobcenter-planlaegning" }
end)

test("under 18 a no thanks does not close the case: the tovholder follows up", function()
  local s = simulate(wf, { born = "2009-03-01", start = "2026-08-10",
    attributes = { stu_sidste_aar = true } })
  s:complete_task { key = "samtale", outcome = { takker_nej = true } }
  s:expect_active()
  s:expect_task { department = "ungeindsats", key = "takket-nej-under-18", due = "2026-08-17" }
end)

test("a young person of 25 has the jobcenter as tovholder from the start, no handover", function()
  local s = simulate(wf, { born = "2001-03-01", start = "2026-08-10",
    attributes = { stu_sidste_aar = true, uddannelse_slut = "2027-06-30" } })
  s:expect_tovholder { department = "jobcenter" }
  s:expect_no_task { key = "jobcenter-planlaegning" }
  s:complete_task { key = "samtale" }
  s:complete_task { key = "valg-af-trin", outcome = { trin = "uddannelse" } }
  s:expect_task { department = "jobcenter", key = "uddannelse" }
  s:complete_task { key = "uddannelse", outcome = { start = "2026-09-01" } }
  s:expect_phase "opfoelgning"
  s:advance_to "2027-06-30"
  s:expect_no_task { kind = "handover", status = "any" }
end)

test("a follow-up that finds the young person out of work asks for a new step", function()
  local s = samtale_holdt(stu_elev())
  s:complete_task { key = "valg-af-trin", outcome = { trin = "ordinaert-job" } }
  s:complete_task { key = "ordinaert-job", outcome = { start = "2026-10-01", timer = 20 } }
  s:advance_to "2027-01-01"
  s:complete_task { key = "opfoelgning-3", outcome = { i_job_eller_uddannelse = false } }
  s:expect_measure { instrument = "timer-pr-uge", kind = "followup", value = 0 }
  s:expect_measure { instrument = "selvvurdering-1-10", kind = "followup", value = "ikke oplyst" }
  s:expect_task { department = "ungeindsats", key = "valg-af-trin" }
  s:expect_active()
end)

test("with everything answered on time the case runs to its end", function()
  local s = simulate(wf, { born = "2006-05-01", start = "2026-08-10", auto = true,
    attributes = { stu_sidste_aar = true, uddannelse_slut = "2027-06-30" } })
  s:run()
  s:expect_closed "uafklaret"
  assert(s:today() == "2027-12-07", s:today())
end)

test("a measure sent as a 'maaling' event is recorded in any phase, for a goal or none", function()
  local s = stu_elev()
  s:send("maaling", { instrument = "selvvurdering-1-10", kind = "baseline", value = 6 })
  s:expect_measure { instrument = "selvvurdering-1-10", kind = "baseline", value = 6 }
  samtale_holdt(s)
  s:expect_phase "afklaring"
  s:send("maaling", { instrument = "timer-pr-uge", kind = "followup", value = 12,
    goal = "eget-maal" })
  s:expect_measure { instrument = "timer-pr-uge", kind = "followup", value = 12,
    goal = "eget-maal" }
end)

test("the task list's form: ja/nej, a reason per lighter step and an external offer", function()
  local s = stu_elev()
  s:advance_to "2026-08-31"
  s:complete_task { key = "samtale", outcome = { maal = "Arbejde med dyr", tema = "beskaeftigelse",
    i_job_eller_uddannelse = "nej", timer = "0", selvvurdering = "4", maaltype = "fastholde",
    forventet_niveau = "fuldstaendigt", ffb_tema = "Varetage beskæftigelse" } }
  s:expect_goal { key = "eget-maal", text = "Arbejde med dyr", maaltype = "fastholde",
    forventet_niveau = "fuldstændigt", ffb_tema = "Varetage beskæftigelse" }
  s:expect_measure { instrument = "i-job-eller-uddannelse", kind = "baseline", value = "nej" }
  s:expect_measure { instrument = "timer-pr-uge", kind = "baseline", value = 0 }
  s:complete_task { key = "valg-af-trin", outcome = { trin = "praktik", ekstern = true,
    ekstern_begrundelse = "Ingen lokal praktik med dyr",
    fravalgt_ordinaert_job = "Kan i dag ikke klare et job på almindelige vilkår" } }
  s:expect_task { department = "jobcenter", key = "praktik" }
  local tilbud = state_list(s, "tilbud")
  assert(#tilbud == 1 and tilbud[1].lokal == false, "an external offer")
  local recs = state_list(s, "overvejelser")
  assert(#recs == 1 and recs[1].trin == "ordinaert-job", "the reason for the lighter step")
  s:complete_task { key = "praktik", outcome = { resultat = "startet", start = "2026-09-07",
    timer = "15" } }
  s:advance_to "2026-12-07"
  s:complete_task { key = "opfoelgning-3", outcome = { i_job_eller_uddannelse = "ja",
    timer = "15", selvvurdering = "7", fortsaet = "ja" } }
  s:expect_measure { instrument = "i-job-eller-uddannelse", kind = "followup", value = "ja" }
  assert(s:state()["opfoelgning_3"].fortsaet == true, "the follow-up's decision: go on")
  s:expect_no_task { key = "valg-af-trin", status = "open" }
end)
