-- Tests of workflows/barn-til-voksen.lua: one test per path a caseworker follows.
-- Run them with `overgang test workflows/tests`.
local wf = workflow_file "../barn-til-voksen.lua"

-- A young person with a reduced function, born 1 March 2010: the case starts on the 16th
-- birthday, 1 March 2026. The 17½th birthday is 1 September 2027, the 18th 1 March 2028.
local function young_person(extra)
  local attributes = { funktionsnedsaettelse = true }
  for k, v in pairs(extra or {}) do attributes[k] = v end
  return simulate(wf, { born = "2010-03-01", attributes = attributes })
end

local function find(s, spec)
  local list = s:tasks(spec)
  assert(#list > 0, "no task like that")
  return list[#list]
end

-- The dialogue meeting on 20 March 2026: two goals in the young person's words, wishes, a
-- baseline, and only the themes that are needed.
local function dialogue(s)
  s:advance_to "2026-03-20"
  s:complete_task { key = "dialogmoede", outcome = {
    maal = {
      { tekst = "Jeg vil bo sammen med andre unge, ikke hjemme", tema = "bolig",
        maaltype = "udvikle", forventet_niveau = "let", ffb_tema = "Varetage bolig" },
      { tekst = "Jeg vil gerne gå på STU og arbejde med dyr", tema = "uddannelse" },
    },
    oensker = "Vil gerne have samme kontaktperson", stoettebehov = "moderat",
    temaer = { "uddannelse", "bolig" } } }
end

-- Every theme department has given its contribution, and the plan is made.
local function prepared(s)
  dialogue(s)
  s:advance_to "2026-10-01"
  for _, key in ipairs { "tema-stoettebehov-voksenhandicap", "tema-uddannelse-ungeindsats",
    "tema-uddannelse-ppr", "tema-bolig-bostoette" } do
    s:complete_task { key = key, outcome = { notat = "set af " .. key } }
  end
  s:advance_to "2027-02-01"
  s:complete_task { key = "plan" }
end

test("the normal path: from the 16th birthday to the close after the 12-month follow-up", function()
  local s = young_person()
  -- The 16th birthday: Børn og Familie holds the case and meets the young person and the parents.
  s:expect_phase "dialog"
  s:expect_tovholder { department = "born-familie" }
  s:expect_task { key = "dialogmoede", department = "born-familie", due = "2026-03-29" }
  s:expect_timer { event = "overdrag", at = "2027-09-01" }
  s:expect_no_task { key = "afgoerelse-111", status = "any" }
  s:expect_text "Barnets Lov § 122"
  s:expect_text "tovholder i Børn og Familie"
  s:expect_outbox { plugin = "webhook", action = "digital-post",
    payload = { skabelon = "forloeb-startet", modtagere = "den-unge-og-foraeldremyndighed" } }

  -- The dialogue: goals in the young person's words, the FFB baseline per goal, and tasks only
  -- for the themes that are needed (the support need always).
  dialogue(s)
  s:expect_phase "afdaekning"
  s:expect_goal { key = "maal-1", theme = "bolig", text = "bo sammen med andre unge" }
  s:expect_goal { key = "maal-2", theme = "uddannelse", text = "STU" }
  -- the FFB words for the report to KL, where the meeting gave them; no default goal type
  s:expect_goal { key = "maal-1", maaltype = "udvikle", forventet_niveau = "let",
    ffb_tema = "Varetage bolig" }
  assert(not pcall(s.expect_goal, s, { key = "maal-2", maaltype = "udvikle" }),
    "maal-2 was given no goal type")
  s:expect_measure { instrument = "ffb-stoettebehov", kind = "baseline", value = "moderat",
    goal = "maal-1" }
  s:expect_state("oensker", "Vil gerne have samme kontaktperson")
  s:expect_task { key = "tema-stoettebehov-voksenhandicap", department = "voksenhandicap",
    due = "2026-11-01" }
  s:expect_task { key = "tema-uddannelse-ungeindsats", department = "ungeindsats", due = "2026-11-01" }
  s:expect_task { key = "tema-uddannelse-ppr", department = "ppr", due = "2026-11-01" }
  s:expect_task { key = "tema-bolig-bostoette", department = "bostoette", due = "2027-01-01" }
  s:expect_no_task { department = "jobcenter", status = "any" }
  s:expect_no_task { department = "pension", status = "any" }
  s:expect_text "kun det med"

  -- All contributions in: the plan, for the tovholder in person.
  s:advance_to "2026-10-01"
  for _, key in ipairs { "tema-stoettebehov-voksenhandicap", "tema-uddannelse-ungeindsats",
    "tema-uddannelse-ppr", "tema-bolig-bostoette" } do
    s:complete_task { key = key, outcome = { notat = "set af " .. key } }
  end
  s:expect_phase "planlaegning"
  s:expect_task { key = "plan", department = "born-familie", assignee = s:tovholder().id,
    due = "2027-03-01" }
  s:advance_to "2027-02-01"
  s:complete_task { key = "plan" }

  -- 17½: the handover carries what is known.
  s:advance_to "2027-09-01"
  s:expect_phase "overdragelse"
  s:expect_handover { department = "voksenhandicap", due = "2027-09-15" }
  s:expect_tovholder { department = "born-familie" }
  local h = s:tasks { kind = "handover" }[1].handover
  assert(h.summary:find("1. marts 2028", 1, true), h.summary)
  assert(h.summary:find("Bolig (bostoette: set af tema-bolig-bostoette)", 1, true), h.summary)
  assert(h.summary:find("Samlet plan: udarbejdet", 1, true), h.summary)
  assert(h.goals[1]:find("bo sammen med andre unge", 1, true), h.goals[1])

  -- Accepted: the tovholder moves, the adult decision is planned for the 18th birthday.
  s:advance_to "2027-09-08"
  s:accept_handover { department = "voksenhandicap" }
  s:expect_tovholder { department = "voksenhandicap" }
  s:expect_phase "afgoerelse"
  s:expect_task { key = "afgoerelse-voksen", department = "voksenhandicap", due = "2028-01-01",
    title = "1. marts 2028" }
  s:expect_outbox { plugin = "webhook", action = "digital-post",
    payload = { skabelon = "ny-tovholder" } }
  s:expect_timer { event = "opfoelgning", key = "opfoelgning-3", at = "2027-12-08" }
  s:expect_timer { event = "opfoelgning", key = "opfoelgning-12", at = "2028-09-08" }
  s:expect_text "begynde, den dag du fylder 18"
  s:advance_to "2027-12-01"
  s:complete_task { key = "afgoerelse-voksen", outcome = { afgoerelse = "bostøtte § 85" } }
  s:expect_phase "opfoelgning"

  -- Follow-ups 3 and 12 months after the handover, against the baseline; then the close.
  s:advance_to "2027-12-08"
  s:expect_task { key = "opfoelgning-3", department = "voksenhandicap", due = "2028-01-08" }
  s:complete_task { key = "opfoelgning-3", outcome = { stoettebehov = "moderat",
    resultater = { ["maal-1"] = "delvist opnaaet", ["maal-2"] = "ikke opnaaet" } } }
  s:expect_measure { instrument = "maalopfyldelse", kind = "followup", value = "delvist opnaaet",
    goal = "maal-1" }
  s:expect_active()
  s:advance_to "2028-09-08"
  s:complete_task { key = "opfoelgning-12", outcome = { stoettebehov = "light",
    resultat = "opnaaet" } }
  s:expect_measure { instrument = "ffb-stoettebehov", kind = "followup", value = "let",
    goal = "maal-2" }
  s:expect_measure { instrument = "maalopfyldelse", kind = "followup", value = "opnaaet",
    goal = "maal-2" }
  s:expect_closed "overgaaet"
  s:expect_phase "afsluttet"
  s:expect_text "Voksenhandicap"
end)

test("with everything answered on its due date the case runs to its end", function()
  local s = simulate(wf, { born = "2010-03-01", attributes = { funktionsnedsaettelse = true },
    auto = true })
  s:run()
  s:expect_closed "overgaaet"
  s:expect_tovholder { department = "voksenhandicap" }
  assert(s:today() == "2028-10-15", s:today())
end)

test("anbragt: the § 111 decision is taken in time, so nobody is warned", function()
  local s = young_person { anbragt = true }
  s:expect_task { key = "afgoerelse-111", department = "born-familie", due = "2027-09-01",
    title = "Barnets Lov § 111" }
  s:expect_timer { event = "varsel_111", at = "2027-07-01" }
  s:expect_timer { event = "frist_111", key = "frist-111" }
  prepared(s)
  s:advance_to "2027-05-03"
  s:complete_task { key = "afgoerelse-111", outcome = { afgoerelse = "ungestøtte bevilget" } }
  s:expect_state("afgoerelse_111", "ungestøtte bevilget")
  s:advance_to "2027-09-02"
  s:expect_no_task { key = "varsel-111", status = "any" }
  s:expect_no_task { key = "varsel-111-leder", status = "any" }
  s:expect_no_task { key = "eskalering-111-leder", status = "any" }
  local h = s:tasks { kind = "handover" }[1].handover
  assert(h.summary:find("§ 111: ungestøtte bevilget", 1, true), h.summary)
end)

test("anbragt: the § 111 deadline warns ahead and escalates when it passes", function()
  local s = young_person { anbragt = true }
  prepared(s)
  local tovholder = s:tovholder().id
  -- Two months ahead: the tovholder in person and the department lead are warned.
  s:advance_to "2027-07-01"
  s:expect_task { key = "varsel-111", department = "born-familie", assignee = tovholder,
    due = "2027-09-01", title = "senest 1. september 2027" }
  s:expect_task { key = "varsel-111-leder", department = "born-familie",
    title = "Til afdelingslederen" }
  -- The deadline passes: escalation to the lead and the tovholder, the warnings give way, and
  -- the citizen is told when the decision can be expected.
  s:advance_to "2027-09-02"
  s:expect_task { key = "eskalering-111-leder", department = "born-familie", due = "2027-09-15",
    title = "Eskalering" }
  s:expect_task { key = "eskalering-111", assignee = tovholder, due = "2027-09-15" }
  s:expect_task { key = "varsel-111", status = "cancelled" }
  s:expect_task { key = "varsel-111-leder", status = "cancelled" }
  s:expect_outbox { plugin = "webhook", action = "digital-post", payload = {
    skabelon = "frist-overskredet", forventet = "2027-09-15",
    hjemmel = "Retssikkerhedsloven § 3, stk. 2" } }
  -- The decision, late: the escalations are closed.
  s:advance_to "2027-09-10"
  s:complete_task { key = "afgoerelse-111", outcome = { afgoerelse = "ungestøtte bevilget" } }
  s:expect_task { key = "eskalering-111-leder", status = "cancelled" }
  s:expect_task { key = "eskalering-111", status = "cancelled" }
end)

test("a missed decision deadline sends the citizen a notice of when to expect it", function()
  local s = young_person()
  prepared(s)
  s:advance_to "2027-09-08"
  s:accept_handover { department = "voksenhandicap" }
  -- The adult decision was due 1 January 2028 and is not taken.
  s:advance_to "2028-01-02"
  s:expect_outbox { plugin = "webhook", action = "digital-post", payload = {
    skabelon = "frist-overskredet", afgoerelse = "afgørelsen om din støtte som voksen",
    forventet = "2028-01-14", hjemmel = "Retssikkerhedsloven § 3, stk. 2",
    modtagere = "den-unge-og-foraeldremyndighed" } }
  s:expect_task { key = "ny-frist-afgoerelse-voksen", department = "voksenhandicap",
    due = "2028-01-14", title = "14. januar 2028" }
  -- The letter in plain Danish, with the date and the paragraph.
  s:expect_outbox { payload = { tekst = "Vi kan ikke nå at træffe afgørelsen om din støtte som "
    .. "voksen inden for den frist, vi havde sat. Du kan forvente svar senest 14. januar 2028 "
    .. "(Retssikkerhedsloven § 3, stk. 2)." } }
  -- The new date is missed too: a second notice, and the management is told.
  s:advance_to "2028-01-15"
  s:expect_outbox { payload = { skabelon = "frist-overskredet", forventet = "2028-01-28" } }
  s:expect_task { key = "eskalering-afgoerelse-voksen", department = "voksenhandicap",
    due = "2028-01-28" }
  s:complete_task { key = "afgoerelse-voksen" }
  s:expect_task { key = "ny-frist-afgoerelse-voksen", status = "cancelled" }
  s:expect_phase "opfoelgning"
end)

test("an unanswered handover reminds voksenhandicap and tells the citizen", function()
  local s = young_person()
  prepared(s)
  s:advance_to "2027-09-16"
  s:expect_task { key = "rykker-overdragelse", department = "voksenhandicap" }
  s:expect_outbox { payload = { skabelon = "frist-overskredet", forventet = "2028-01-01" } }
  s:accept_handover { department = "voksenhandicap" }
  s:expect_task { key = "rykker-overdragelse", status = "cancelled" }
end)

test("the tovholder falls ill mid-way: a colleague in børn og familie takes over", function()
  local s = young_person { anbragt = true }
  dialogue(s)
  -- PPR is late: the tovholder in person gets a reminder.
  s:advance_to "2026-11-02"
  local before = s:tovholder().id
  s:expect_task { key = "rykker-tema-uddannelse-ppr", assignee = before, title = "fra ppr" }
  s:tovholder_unavailable()
  s:expect_tovholder { department = "born-familie" }
  local after = s:tovholder().id
  assert(after ~= before, "the tovholder did not change")
  -- The reminder the absent tovholder had follows to the colleague.
  s:advance { days = 1 }
  s:expect_task { key = "rykker-tema-uddannelse-ppr", assignee = after, status = "open" }
  s:expect_task { key = "rykker-tema-uddannelse-ppr", assignee = before, status = "cancelled" }
  -- Later tasks for the tovholder go to the colleague: the § 111 warning at 17 years 4 months.
  s:advance_to "2027-07-01"
  s:expect_task { key = "varsel-111", assignee = after }
  s:expect_phase "afdaekning"
end)

test("a rejected handover returns with its reason; sent again, it is accepted", function()
  local s = young_person()
  prepared(s)
  local tovholder = s:tovholder().id
  s:advance_to "2027-09-08"
  s:reject_handover { department = "voksenhandicap", reason = "Vi mangler en udtalelse om bolig" }
  s:expect_phase "overdragelse"
  s:expect_tovholder { department = "born-familie", staff = tovholder }
  s:expect_task { key = "afklar-overdragelse", assignee = tovholder, due = "2027-09-15",
    title = "afvist" }
  local task = find(s, { key = "afklar-overdragelse" })
  assert(task.body:find("Vi mangler en udtalelse om bolig", 1, true), task.body)
  s:advance_to "2027-09-10"
  s:complete_task { key = "afklar-overdragelse",
    outcome = { supplement = "Bostøtte har givet udtalelse om bolig" } }
  s:expect_handover { department = "voksenhandicap", status = "open", due = "2027-09-24" }
  local h = s:tasks { kind = "handover", status = "open" }[1].handover
  assert(h.summary:find("Supplement: Bostøtte har givet udtalelse om bolig", 1, true), h.summary)
  s:accept_handover { department = "voksenhandicap" }
  s:expect_tovholder { department = "voksenhandicap" }
  s:expect_phase "afgoerelse"
  s:expect_handover { department = "voksenhandicap", status = "rejected" }
  s:expect_handover { department = "voksenhandicap", status = "accepted" }
end)

test("the young person declines: the case closes respectfully and says how to come back", function()
  local s = young_person()
  dialogue(s)
  s:advance_to "2026-06-01"
  s:send("afslaar", { begrundelse = "Jeg vil klare det selv" })
  s:expect_closed "afslaaet"
  s:expect_phase "afslaaet"
  s:expect_text "det respekterer vi"
  s:expect_text "ombestemme dig"
  s:expect_text "Barnets Lov § 123"
  s:expect_outbox { plugin = "webhook", action = "digital-post",
    payload = { skabelon = "afslaaet" } }
  s:expect_no_task { status = "open" }
end)

test("the young person declines at the dialogue meeting", function()
  local s = young_person()
  s:complete_task { key = "dialogmoede", outcome = { afslaar = true,
    begrundelse = "Vil ikke have hjælp fra kommunen" } }
  s:expect_closed "afslaaet"
  s:expect_no_task { key = "tema-stoettebehov-voksenhandicap", status = "any" }
end)

test("a placed young person who declines still gets the § 111 decision before the close", function()
  local s = young_person { anbragt = true }
  dialogue(s)
  s:send("afslaar", {})
  s:expect_phase "nej-tak"
  s:expect_active()
  s:expect_text "Barnets Lov § 111"
  s:expect_task { key = "tema-bolig-bostoette", status = "cancelled" }
  s:expect_task { key = "afgoerelse-111", status = "open" }
  s:advance_to "2027-09-02"
  s:expect_no_task { key = "overdragelse", status = "any" }
  s:complete_task { key = "afgoerelse-111", outcome = { afgoerelse = "ungestøtte ikke relevant" } }
  s:expect_closed "afslaaet"
  s:expect_text "ombestemme dig"
end)

test("started by hand late: no deadline lies in the past", function()
  local s = simulate(wf, { born = "2010-03-01", attributes = { funktionsnedsaettelse = true,
    anbragt = true }, start = "2027-08-02" })
  s:expect_tovholder { department = "born-familie" }
  s:expect_task { key = "afgoerelse-111", due = "2027-09-01" }
  s:expect_task { key = "dialogmoede", due = "2027-08-30" }
  s:complete_task { key = "dialogmoede" }
  s:expect_task { key = "tema-stoettebehov-voksenhandicap", due = "2027-08-16" }
  s:expect_timer { event = "overdrag", at = "2027-09-01" }
end)

test("anbragt: a § 111 decision taken on the deadline day itself is in time", function()
  local s = young_person { anbragt = true }
  prepared(s)
  s:advance_to "2027-09-01"
  s:complete_task { key = "afgoerelse-111", outcome = { afgoerelse = "ungestøtte bevilget" } }
  s:advance_to "2027-09-03"
  s:expect_no_task { key = "eskalering-111-leder", status = "any" }
  s:expect_task { key = "varsel-111", status = "cancelled" }
end)

test("a measure sent as a 'maaling' event is recorded in any phase, for a goal or none", function()
  local s = young_person()
  s:send("maaling", { instrument = "ffb-stoettebehov", kind = "baseline", value = "omfattende" })
  s:expect_measure { instrument = "ffb-stoettebehov", kind = "baseline", value = "omfattende" }
  dialogue(s)
  s:expect_phase "afdaekning"
  s:send("maaling", { instrument = "maalopfyldelse", kind = "followup",
    value = "delvist opnaaet", goal = "maal-2" })
  s:expect_measure { instrument = "maalopfyldelse", kind = "followup", value = "delvist opnaaet",
    goal = "maal-2" }
end)

test("the form a department fills in the task list gives the handler what it reads", function()
  local s = young_person()
  s:advance_to "2026-03-20"
  -- as the task list sends the declared fields: texts, a select's value, a checkbox
  s:complete_task { key = "dialogmoede", outcome = {
    maal = "Jeg vil bo sammen med andre unge", tema = "bolig", oensker = "Samme kontaktperson",
    stoettebehov = "moderat", maaltype = "fastholde", forventet_niveau = "fuldstaendigt",
    ffb_tema = "Varetage bolig" } }
  s:expect_goal { key = "maal-1", text = "bo sammen med andre unge", theme = "bolig" }
  -- the FFB words as the form's selects send them, spelled as the registry has them
  s:expect_goal { key = "maal-1", maaltype = "fastholde", forventet_niveau = "fuldstændigt",
    ffb_tema = "Varetage bolig" }
  s:expect_measure { instrument = "ffb-stoettebehov", kind = "baseline", value = "moderat",
    goal = "maal-1" }
  s:expect_phase "afdaekning"
end)
