-- uddannelse-til-job: from education (STU or the municipal youth effort, KUI) to work.
--
-- Who: a young person in the final year of STU (særligt tilrettelagt ungdomsuddannelse), or a
-- young person under 25 in the municipal youth effort (KUI) whose next step is work or further
-- education. DOMAIN.md: KUI gives young people under 25 one contact person and an education
-- plan; the step after STU (job, flexjob, protected employment, further education) is planned
-- in its final year with the jobcenter.
--
-- How a case starts, by whichever comes first:
-- * the STU route: the daily start sweep starts a case for every citizen of 16 or more whose
--   person register or case system (through a plugin) sets the attribute `stu_sidste_aar` at
--   the beginning of the final STU year; once per citizen.
-- * the KUI route: the event `kui_indskrevet` about the citizen, sent when the young person
--   is enrolled in the municipal youth effort, by the youth system through a plugin (the
--   webhook's {"cpr": ..., "type": "kui_indskrevet"}) or by a caseworker through the API
--   (POST /v1/citizens/{id}/events). Its payload may give `uddannelse_slut` ("YYYY-MM-DD"),
--   the end of the current programme. The event starts a case unless one runs already; sent
--   again later, it goes into the running case and moves the end date.
-- * by hand (`overgang case start`, POST /v1/cases), for anyone else.
-- The sweep has no upper age, so a young person of 25 or more is handled in `started`: KUI
-- covers young people under 25, so the jobcenter holds such a case from the start.
--
-- Citizen attributes read: `stu_sidste_aar` (STU route; otherwise the KUI route) and
-- `uddannelse_slut` ("YYYY-MM-DD", optional): when the programme ends. Without it we assume one
-- school year from the start. The KUI tovholder can hold the case until the 25th birthday at the
-- latest, so the end is never later than that.
--
-- Departments (the shipped set: born-familie, voksenhandicap, jobcenter, ungeindsats, bostoette,
-- pension, ppr, sundhed, socialpsykiatri). This workflow uses:
--   ungeindsats    the KUI: tovholder until the handover; further education
--   jobcenter      planning after STU; praktik, job, løntilskud, flexjob assessment; the
--                  tovholder after the handover
--   voksenhandicap protected employment (beskyttet beskæftigelse)
--
-- The law. DOMAIN.md gives no paragraph numbers for STU, KUI or employment, so texts cite the
-- laws by name: "STU-loven" (lov om ungdomsuddannelse for unge med særlige behov), "lov om
-- kommunal indsats for unge under 25 år" (KUI) and "lov om en aktiv beskæftigelsesindsats"
-- (praktik, løntilskud, fleksjob). Protected employment is a social service (serviceloven,
-- § 103 as far as we know; it is not in DOMAIN.md, so the text names only the law). The one
-- paragraph cited is Retssikkerhedsloven § 3, stk. 2 (DOMAIN.md), when a deadline lapses.
--
-- The strategies (seeds): "mindst indgribende indsats først" and "lokale tilbud før eksterne".
-- Every step toward work has a level, from ordinary education or job (1) to protected
-- employment (5). A step is only started when every lighter level has a written reason why it
-- is not enough: either it was tried (the step's outcome resultat = "ikke-nok", hvorfor = ...)
-- or the tovholder considered it (the choice's outcome fravalgt = { trin = "hvorfor" }).
-- The records are kept in case.state.overvejelser. An offer is local unless the choice says
-- lokal = false, and then it needs ekstern_begrundelse; case.state.tilbud keeps them all.
--
-- What departments enter (task outcomes):
--   samtale        maal, tema, i_job_eller_uddannelse (true/false or "ja"/"nej"), timer,
--                  selvvurdering (1-10)
--   valg-af-trin   trin (a key of TRIN below), tilbud, lokal (false: external) or ekstern = true,
--                  ekstern_begrundelse, fravalgt = { [trin] = "hvorfor det ikke er nok" } or
--                  fravalgt_TRIN = "hvorfor" (TRIN with _ for -, as the task list sends it)
--   a step (TRIN)  resultat = "startet" (start "YYYY-MM-DD", timer, i = what was started) or
--                  "ikke-nok" (hvorfor)
--   opfoelgning-N  i_job_eller_uddannelse, timer, selvvurdering
--   any task       takker_nej = true (begrundelse): the young person says no thanks
-- The declarations in OPGAVER below give these fields to the task list.
-- Events from outside: `maaling` (payload: instrument, value, kind = "baseline" or
-- "followup", goal?) — a measure of effect a caseworker records, in any phase.

-- The steps toward work, from the least intrusive. `giver` is what the young person is in when
-- the step starts them (a praktik that works leads to an ordinary job).
local TRIN = {
  uddannelse = { niveau = 1, department = "ungeindsats", uger = 8, giver = "uddannelse",
    title = "Videre uddannelse: find en uddannelse, der passer",
    lov = "lov om kommunal indsats for unge under 25 år" },
  ["ordinaert-job"] = { niveau = 1, department = "jobcenter", uger = 8, giver = "ordinaert-job",
    title = "Ordinært job: find et job på almindelige vilkår",
    lov = "lov om en aktiv beskæftigelsesindsats" },
  praktik = { niveau = 2, department = "jobcenter", uger = 13, giver = "ordinaert-job",
    title = "Praktik i en virksomhed",
    lov = "lov om en aktiv beskæftigelsesindsats" },
  loentilskud = { niveau = 3, department = "jobcenter", uger = 8, giver = "loentilskud",
    title = "Job med løntilskud",
    lov = "lov om en aktiv beskæftigelsesindsats" },
  ["fleksjob-vurdering"] = { niveau = 4, department = "jobcenter", uger = 12, giver = "fleksjob",
    title = "Vurdering af fleksjob",
    lov = "lov om en aktiv beskæftigelsesindsats" },
  ["beskyttet-beskaeftigelse"] = { niveau = 5, department = "voksenhandicap", uger = 8,
    giver = "beskyttet-beskaeftigelse",
    title = "Beskyttet beskæftigelse",
    lov = "serviceloven" },
}
local NIVEAU = { "ordinær uddannelse eller job", "praktik", "job med løntilskud", "fleksjob",
  "beskyttet beskæftigelse" }
local TRIN_ORDEN = { "uddannelse", "ordinaert-job", "praktik", "loentilskud",
  "fleksjob-vurdering", "beskyttet-beskaeftigelse" }

-- The outcome a case closes with, by what the young person was in at the last follow-up.
local UDFALD = { uddannelse = "i-uddannelse", ["ordinaert-job"] = "i-job", loentilskud = "i-job",
  fleksjob = "i-job", ["beskyttet-beskaeftigelse"] = "i-beskyttet-beskaeftigelse" }

-- Follow-ups after the start in job or education, in months.
local OPFOELGNING = { 3, 6, 12 }

-- The measures of effect: the same three instruments at the baseline and every follow-up.
local MAAL = "eget-maal"

local function nonempty(s) return type(s) == "string" and s:match("%S") ~= nil end

-- For the report to KL (FFB): the goal types, the levels and the sub-themes case:goal takes.
local MAALTYPE = {
  fastholde = "fastholde", udvikle = "udvikle", ["begraense-tab"] = "begraense-tab",
  ["begrænse tab"] = "begraense-tab", ["begraense tab"] = "begraense-tab",
}
local FFB_NIVEAU = { fuldstaendigt = "fuldstændigt" }
for _, w in ipairs { "ingen", "let", "moderat", "omfattende", "fuldstændigt" } do
  FFB_NIVEAU[w] = w
end
local FFB_TEMAER = { "Varetage uddannelse", "Varetage beskæftigelse", "Varetage økonomi",
  "Varetage bolig", "Deltage i sociale fællesskaber og fritidsaktiviteter",
  "Varetage relationer til netværk", "Indgå i samspil og kontakt", "Varetage egen sundhed",
  "Uddannelse og job", "Boligsituation", "Økonomisk situation", "Familiesituation",
  "Fysisk helbred" }
local FFB_TEMA = {}
for _, t in ipairs(FFB_TEMAER) do FFB_TEMA[t] = true end

local function is_date(s) return type(s) == "string" and s:match("^%d%d%d%d%-%d%d%-%d%d$") ~= nil end

-- "ja"/"nej", a number of hours, a self-rating 1-10; "ikke oplyst" when not entered (as FFB's
-- "not assessed"), so a missing answer is never read as a zero.
local function measures(case, kind, o)
  local i = o.i_job_eller_uddannelse
  if i == "ja" then i = true elseif i == "nej" then i = false end
  local timer = tonumber(o.timer)
  if timer == nil and i == false then timer = 0 end
  local selv = tonumber(o.selvvurdering)
  if selv and (selv < 1 or selv > 10 or selv % 1 ~= 0) then selv = nil end
  case:measure { instrument = "i-job-eller-uddannelse", kind = kind, goal = MAAL,
    value = (i == true and "ja") or (i == false and "nej") or "ikke oplyst" }
  case:measure { instrument = "timer-pr-uge", kind = kind, goal = MAAL,
    value = timer or "ikke oplyst" }
  case:measure { instrument = "selvvurdering-1-10", kind = kind, goal = MAAL,
    value = selv or "ikke oplyst" }
end

-- When the programme ends: uddannelse_slut, else one school year from now; never after the
-- 25th birthday, when the KUI ends.
local function slutdato(case, given)
  local a = is_date(given) and given or case.citizen.attributes.uddannelse_slut
  local slut = is_date(a) and date.parse(a) or date.add(case.now, { years = 1 })
  local u25 = case.citizen.birthday(25)
  return u25 < slut and u25 or slut
end

-- The handover three months before the programme ends: the municipality's own choice, so the
-- jobcenter knows the young person before the last school day; no law sets it. A later call
-- (a new end date) replaces the timer.
local function plan_overdrag(case, slut)
  local at = date.add(slut, { months = -3 })
  case:timer { event = "overdrag", at = at > case.now and at or case.now, key = "overdrag" }
end

-- The tovholder's task to choose (again) the next step toward work.
local function ask_choice(case, department, why)
  case:task { department = department, key = "valg-af-trin",
    title = "Vælg næste skridt mod job eller uddannelse (mindst indgribende først)",
    body = why .. " Skridtene fra det mindst indgribende: " .. table.concat(TRIN_ORDEN, ", ")
      .. ". Skriv i fravalgt, hvorfor de lettere skridt ikke er nok. Et eksternt tilbud "
      .. "(lokal = false) kræver en ekstern_begrundelse.",
    due = date.add(case.now, { weeks = 3 }) }
end

-- Whether a level has a written reason why it is not enough.
local function considered(recs, niveau)
  for _, r in ipairs(recs) do
    if r.niveau == niveau and nonempty(r.hvorfor) then return true end
  end
  return false
end

local function copy(list)
  local out = {}
  for i, v in ipairs(list) do out[i] = v end
  return out
end

-- Moves the case on when the handover is accepted and/or the young person has started.
local function advance(case)
  local st = case.state
  if st.overdraget and st.start then
    if case.phase ~= "opfoelgning" then case:phase "opfoelgning" end
  elseif st.overdraget and case.phase == "overdragelse" then
    case:phase "jobcenter"
  elseif case.phase == "afklaring" then
    case:phase "skridt"
  end
end

-- Hands the case over to the jobcenter; at the timer, and again after a rejection.
local function hand_over(case)
  local st = case.state
  local lines = {}
  for _, r in ipairs(st.overvejelser or {}) do
    lines[#lines + 1] = ("%s (%s): %s"):format(r.trin, r.maade, r.hvorfor)
  end
  local valgt = st.tilbud and st.tilbud[#st.tilbud]
  if case.phase ~= "overdragelse" then case:phase "overdragelse" end
  case:handover {
    to = "jobcenter", key = "overdragelse",
    title = "Overdragelse: ung fra " .. (st.vej == "stu" and "STU" or "ungeindsatsen")
      .. " mod job eller uddannelse",
    summary = ("Forløbet slutter %s. Valgt skridt: %s%s. Start i job/uddannelse: %s. "
      .. "Mindre indgribende skridt og hvorfor de ikke var nok: %s."):format(
      st.slut or "ukendt",
      valgt and valgt.trin or "ingen endnu",
      valgt and (valgt.lokal and " (lokalt tilbud)" or " (eksternt: " .. valgt.ekstern_begrundelse .. ")") or "",
      st.start and (st.start.i .. " fra " .. st.start.dato) or "ikke endnu",
      #lines > 0 and table.concat(lines, "; ") or "ingen"),
    goals = { st.maal },
    questions = { "Hvem i jobcentret bliver den unges tovholder?",
      "Hvilken støtte skal være på plads, når uddannelsen slutter?" },
    due = date.working_days(case.now, 10),
  }
end

-- The young person says no thanks. Under 18 the case stays open: conservatively, we assume the
-- duty of education for 15-17-year-olds (uddannelsespligten, in the KUI law as far as we know;
-- DOMAIN.md is silent) means the KUI keeps in touch. From 18 the effort is voluntary here.
local function decline(case, why)
  if case.citizen.age < 18 then
    case:set("takket_nej", { dato = date.ymd(case.now), begrundelse = why or "ikke oplyst" })
    case:task { department = case.tovholder.department, key = "takket-nej-under-18",
      title = "Den unge har sagt nej tak, men er under 18: tal med den unge og forældrene",
      body = "Uddannelsespligten gælder til 18 år (lov om kommunal indsats for unge under 25 "
        .. "år). Begrundelse: " .. (why or "ikke oplyst"),
      due = date.working_days(case.now, 5) }
    return
  end
  case:phase "fravalgt"
  case:outbox { plugin = "webhook", action = "digital-post", key = "takket-nej",
    payload = { skabelon = "takket-nej" } }
  case:close { outcome = "takket-nej", reason = "Den unge har sagt nej tak: " .. (why or "ikke oplyst") }
end

-- The choice of a step: mindst indgribende først, lokale tilbud før eksterne.
local function choose(case, o)
  local st = case.state
  local trin = o.trin or "ordinaert-job"
  local t = TRIN[trin]
  local dept = case.tovholder.department
  if not t then
    ask_choice(case, dept, ("'%s' er ikke et skridt, workflowet kender."):format(tostring(trin)))
    return
  end
  -- The reasons given now for lighter steps, in a fixed order.
  local recs = copy(st.overvejelser or {})
  local fravalgt = type(o.fravalgt) == "table" and o.fravalgt or {}
  local added = false
  for _, k in ipairs(TRIN_ORDEN) do
    local why = fravalgt[k] or o["fravalgt_" .. k:gsub("%-", "_")]
    if nonempty(why) and TRIN[k].niveau < t.niveau then
      recs[#recs + 1] = { niveau = TRIN[k].niveau, trin = k, maade = "overvejet", hvorfor = why,
        dato = date.ymd(case.now) }
      added = true
    end
  end
  if added then case:set("overvejelser", recs) end
  local missing = {}
  for n = 1, t.niveau - 1 do
    if not considered(recs, n) then missing[#missing + 1] = NIVEAU[n] end
  end
  if #missing > 0 then
    case:set("afvist_valg", { trin = trin, mangler = missing, dato = date.ymd(case.now) })
    ask_choice(case, dept, ("Mindst indgribende indsats først: før %s skal det stå, hvorfor %s "
      .. "ikke er nok."):format(NIVEAU[t.niveau], table.concat(missing, ", ")))
    return
  end
  local lokal = o.lokal ~= false and o.ekstern ~= true
  if not lokal and not nonempty(o.ekstern_begrundelse) then
    case:set("afvist_valg", { trin = trin, mangler = { "begrundelse for eksternt tilbud" },
      dato = date.ymd(case.now) })
    ask_choice(case, dept, "Lokale tilbud før eksterne: et eksternt tilbud kræver en begrundelse "
      .. "for, at intet lokalt tilbud passer. Vælg et lokalt tilbud, eller skriv begrundelsen.")
    return
  end
  if st.afvist_valg then case:set("afvist_valg", nil) end
  local tilbud = copy(st.tilbud or {})
  tilbud[#tilbud + 1] = { trin = trin, tilbud = o.tilbud or "ikke navngivet", lokal = lokal,
    ekstern_begrundelse = not lokal and o.ekstern_begrundelse or nil, dato = date.ymd(case.now) }
  case:set("tilbud", tilbud)
  local department = t.department
  if trin == "uddannelse" and case.citizen.age >= 25 then department = "jobcenter" end
  case:task { department = department, key = trin, title = t.title .. " (" .. t.lov .. ")",
    body = ("Tilbud: %s, %s. Den unges mål: %s. Resultat: startet (start, timer) eller ikke-nok "
      .. "(hvorfor)."):format(o.tilbud or "ikke navngivet",
      lokal and "lokalt" or ("eksternt, fordi: " .. o.ekstern_begrundelse),
      st.maal or "ikke skrevet ned endnu"),
    due = date.add(case.now, { weeks = t.uger }) }
  advance(case)
end

-- A department reports how a step went.
local function step_done(case, trin, o)
  local t = TRIN[trin]
  local st = case.state
  if (o.resultat or "startet") == "ikke-nok" then
    if nonempty(o.hvorfor) then
      local recs = copy(st.overvejelser or {})
      recs[#recs + 1] = { niveau = t.niveau, trin = trin, maade = "afprøvet", hvorfor = o.hvorfor,
        dato = date.ymd(case.now) }
      case:set("overvejelser", recs)
    end
    ask_choice(case, case.tovholder.department, ("%s var ikke nok%s."):format(t.title,
      nonempty(o.hvorfor) and (": " .. o.hvorfor) or " (begrundelsen mangler: skriv den i fravalgt)"))
    return
  end
  local start = is_date(o.start) and date.parse(o.start) or case.now
  case:set("start", { i = o.i or t.giver, trin = trin, dato = date.ymd(start),
    timer = tonumber(o.timer) })
  for _, m in ipairs(OPFOELGNING) do
    case:timer { event = "opfoelgning", at = date.add(start, { months = m }),
      key = "opfoelgning-" .. m, payload = { maaneder = m } }
  end
  case:outbox { plugin = "webhook", action = "digital-post", key = "startet",
    payload = { skabelon = "startet-job-uddannelse", start = date.ymd(start) } }
  advance(case)
end

local function followup_done(case, m, o)
  if o.i_job_eller_uddannelse == "ja" or o.i_job_eller_uddannelse == "nej" then
    local svar = {}
    for k, v in pairs(o) do svar[k] = v end
    svar.i_job_eller_uddannelse = o.i_job_eller_uddannelse == "ja"
    o = svar
  end
  measures(case, "followup", o)
  case:set("opfoelgning_" .. m, { dato = date.ymd(case.now), i_job_eller_uddannelse =
    o.i_job_eller_uddannelse, timer = tonumber(o.timer), selvvurdering = tonumber(o.selvvurdering),
    fortsaet = ({ ja = true, nej = false, [true] = true, [false] = false })[o.fortsaet] })
  if m == OPFOELGNING[#OPFOELGNING] then
    local outcome = "uafklaret"
    if o.i_job_eller_uddannelse == true then
      outcome = UDFALD[o.i or case.state.start.i] or "i-job"
    elseif o.i_job_eller_uddannelse == false then
      outcome = "ikke-i-job-eller-uddannelse"
    end
    case:phase "afsluttet"
    case:close { outcome = outcome, reason = ("Opfølgning %d måneder efter start"):format(m) }
  elseif o.i_job_eller_uddannelse == false then
    ask_choice(case, case.tovholder.department, ("Ved opfølgningen efter %d måneder er den unge "
      .. "ikke i job eller uddannelse."):format(m))
  end
end

-- What people enter when they complete a task (the fields above), by task key: the task list
-- builds its form from these, and completing a task is checked against them. Every task takes
-- takker_nej and begrundelse.
local NEJ_TAK = {
  { name = "takker_nej", label = "Den unge siger nej tak til hjælpen", type = "checkbox" },
  { name = "begrundelse", label = "Den unges begrundelse for at sige nej tak", type = "textarea" },
}
local function felter(list)
  local out = {}
  for _, f in ipairs(list) do out[#out + 1] = f end
  for _, f in ipairs(NEJ_TAK) do out[#out + 1] = f end
  return out
end
local JA_NEJ = { { "ja", "Ja" }, { "nej", "Nej" } }
local STATUS = {
  { name = "i_job_eller_uddannelse", label = "Er den unge i job eller uddannelse?",
    type = "select", instrument = "i-job-eller-uddannelse", options = JA_NEJ },
  { name = "timer", label = "Timer om ugen i job eller uddannelse", type = "number",
    instrument = "timer-pr-uge" },
  { name = "selvvurdering", label = "Den unges egen vurdering (1-10)", type = "number",
    instrument = "selvvurdering-1-10", hint = "Hvordan går det, på en skala fra 1 til 10?" },
}
-- For the report to KL (FFB): the goal type (udvikle unless the conversation says otherwise),
-- the level expected when the goal is reached, the FFB sub-theme, and at a follow-up whether
-- the effort goes on.
local FFB_TEMA_VALG = {}
for _, t in ipairs(FFB_TEMAER) do FFB_TEMA_VALG[#FFB_TEMA_VALG + 1] = { t, t } end
local FFB_MAAL = {
  { name = "maaltype", label = "Måltype (FFB)", type = "select", options = {
    { "udvikle", "Udvikle" }, { "fastholde", "Fastholde" }, { "begraense-tab", "Begrænse tab" } },
    hint = "Uden svar: udvikle." },
  { name = "forventet_niveau", label = "Forventet støttebehov, når målet er nået (FFB)",
    type = "select", options = { { "ingen", "Ingen" }, { "let", "Let" },
      { "moderat", "Moderat" }, { "omfattende", "Omfattende" },
      { "fuldstaendigt", "Fuldstændigt" } } },
  { name = "ffb_tema", label = "FFB-tema for målet", type = "select", options = FFB_TEMA_VALG },
}
local FORTSAET = { name = "fortsaet", label = "Skal indsatsen fortsætte?", type = "select",
  options = { { "ja", "Ja, indsatsen fortsætter" }, { "nej", "Nej, indsatsen afsluttes" } } }
local OPGAVER = {
  samtale = { title = "Samtale om den unges mål", outcome = felter {
    { name = "maal", label = "Den unges mål, med den unges egne ord", type = "textarea" },
    { name = "tema", label = "Temaet, målet hører til", type = "select", options = {
      { "uddannelse", "Uddannelse" }, { "beskaeftigelse", "Beskæftigelse" },
      { "bolig", "Bolig" }, { "sociale-forhold", "Sociale forhold" }, { "andet", "Andet" } } },
    FFB_MAAL[1], FFB_MAAL[2], FFB_MAAL[3],
    STATUS[1], STATUS[2], STATUS[3],
  } },
  ["jobcenter-planlaegning"] = { title = "Planlægning efter STU", outcome = felter {} },
  ["afklar-overdragelse"] = { title = "Afklaring af en afvist overdragelse",
    outcome = felter {} },
}
local valg = {
  { name = "trin", label = "Næste skridt", type = "select", required = true, options = {} },
  { name = "tilbud", label = "Tilbuddet", type = "text" },
  { name = "ekstern", label = "Tilbuddet er eksternt (ikke kommunens eget)", type = "checkbox" },
  { name = "ekstern_begrundelse", label = "Hvorfor intet lokalt tilbud passer",
    type = "textarea" },
}
for i, k in ipairs(TRIN_ORDEN) do
  local t = TRIN[k]
  table.insert(valg[1].options, { k, t.title })
  if i < #TRIN_ORDEN then
    valg[#valg + 1] = { name = "fravalgt_" .. k:gsub("%-", "_"), type = "textarea",
      label = ("Hvorfor er %s ikke nok?"):format(t.title:match("^[^:]+"):lower()) }
  end
  OPGAVER[k] = { title = t.title, outcome = felter {
    { name = "resultat", label = "Resultat", type = "select",
      options = { { "startet", "Startet" }, { "ikke-nok", "Ikke nok" } } },
    { name = "start", label = "Startdato", type = "date" },
    { name = "timer", label = "Timer om ugen", type = "number", instrument = "timer-pr-uge" },
    { name = "hvorfor", label = "Hvorfor skridtet ikke var nok", type = "textarea" },
  } }
end
OPGAVER["valg-af-trin"] = { title = "Valg af næste skridt", outcome = felter(valg) }
for _, m in ipairs(OPFOELGNING) do
  OPGAVER["opfoelgning-" .. m] = { title = ("Opfølgning efter %d måneder"):format(m),
    outcome = felter { STATUS[1], STATUS[2], STATUS[3], FORTSAET } }
end

-- The tasks the tovholder is reminded of when their deadline passes.
local reminded = { samtale = true, ["valg-af-trin"] = true, ["jobcenter-planlaegning"] = true,
  ["afklar-overdragelse"] = true }
for k in pairs(TRIN) do reminded[k] = true end
for _, m in ipairs(OPFOELGNING) do reminded["opfoelgning-" .. m] = true end

return workflow {
  name = "uddannelse-til-job", version = 1,
  title = "Fra uddannelse til job (STU og ungeindsats)",
  start = { age = 16, when = "stu_sidste_aar", event = "kui_indskrevet" },

  phases = {
    { "afklaring", title = "Afklaring", next = { "skridt", "overdragelse", "fravalgt" },
      text = "Du er snart færdig med din uddannelse, og nu skal vi finde ud af, hvad du skal "
        .. "bagefter: job, praktik eller mere uddannelse. Du har fået en tovholder, som er din "
        .. "faste kontakt. Vi starter med en samtale om, hvad du selv gerne vil "
        .. "(STU-loven og lov om kommunal indsats for unge under 25 år)." },
    { "skridt", title = "Skridt mod job", next = { "overdragelse", "opfoelgning", "fravalgt", "afsluttet" },
      text = "Nu prøver vi et skridt ad gangen mod job eller uddannelse. Vi starter med det, der "
        .. "ligner almindelig uddannelse og arbejde mest, og helst her i kommunen. Hvis det ikke "
        .. "er nok, skriver vi ned hvorfor, før vi prøver noget andet "
        .. "(lov om en aktiv beskæftigelsesindsats)." },
    { "overdragelse", title = "Overdragelse", next = { "jobcenter", "opfoelgning", "fravalgt", "afsluttet" },
      text = "Din uddannelse slutter snart, så vi giver din sag videre til jobcentret. De får at "
        .. "vide, hvad du og vi allerede ved, så du ikke skal fortælle det hele igen. Din tovholder "
        .. "er den samme, indtil jobcentret har sagt ja til at tage over "
        .. "(lov om en aktiv beskæftigelsesindsats)." },
    { "jobcenter", title = "Jobcentret", next = { "opfoelgning", "fravalgt", "afsluttet" },
      text = "Jobcentret har taget over, og du har fået en ny tovholder der. I fortsætter med de "
        .. "skridt, vi har aftalt, mod job eller uddannelse (lov om en aktiv beskæftigelsesindsats)." },
    { "opfoelgning", title = "Opfølgning", next = { "afsluttet", "fravalgt" },
      text = "Du er i gang med job eller uddannelse. Efter 3, 6 og 12 måneder spørger vi dig, "
        .. "hvordan det går: er du stadig i gang, hvor mange timer om ugen, og hvad du selv synes "
        .. "på en skala fra 1 til 10. Så kan vi se, om hjælpen virker "
        .. "(lov om en aktiv beskæftigelsesindsats)." },
    { "afsluttet", title = "Afsluttet",
      text = "Dit forløb er slut. Hvis du får brug for hjælp igen, kan du altid kontakte "
        .. "jobcentret (lov om en aktiv beskæftigelsesindsats) eller ungeindsatsen, hvis du er "
        .. "under 25 år (lov om kommunal indsats for unge under 25 år)." },
    -- not announced: the plan does not tell a young person what happens if they say no thanks
    { "fravalgt", title = "Fravalgt", announce = false,
      text = "Du har sagt nej tak til hjælpen, og vi har lukket dit forløb. Det er dit valg. Du "
        .. "kan altid sige til, hvis du vil have hjælp igen (lov om kommunal indsats for unge "
        .. "under 25 år og lov om en aktiv beskæftigelsesindsats)." },
  },

  tasks = OPGAVER,

  on = {
    started = function(case, ev)
      local stu = case.citizen.has("stu_sidste_aar")
      local slut = slutdato(case)
      case:set("vej", stu and "stu" or "kui")
      case:set("slut", date.ymd(slut))
      local dept
      if case.citizen.age >= 25 then
        -- KUI covers young people under 25: the jobcenter holds the case, no handover.
        dept = "jobcenter"
        case:assign_tovholder { department = dept,
          reason = "Den unge er fyldt 25 år, og ungeindsatsen gælder unge under 25 år "
            .. "(lov om kommunal indsats for unge under 25 år): jobcentret er tovholder" }
        case:set("overdraget", true)
      else
        dept = "ungeindsats"
        case:assign_tovholder { department = dept,
          reason = "Ungeindsatsen giver den unge én kontaktperson på vejen fra uddannelse mod "
            .. "job (lov om kommunal indsats for unge under 25 år)" }
        plan_overdrag(case, slut)
      end
      case:outbox { plugin = "webhook", action = "digital-post", key = "din-tovholder",
        payload = { skabelon = "din-tovholder" } }
      case:task { department = dept, key = "samtale",
        title = "Samtale med den unge: eget mål og hvor den unge står nu",
        body = "Skriv den unges mål med den unges egne ord og et tema (uddannelse, job, ...). "
          .. "Udgangspunkt: i job eller uddannelse (ja/nej), timer om ugen, og den unges egen "
          .. "vurdering på en skala fra 1 til 10.",
        due = date.add(case.now, { weeks = 4 }) }
      if stu and dept ~= "jobcenter" then
        case:task { department = "jobcenter", key = "jobcenter-planlaegning",
          title = "Planlægning af tiden efter STU sammen med den unge og ungeindsatsen",
          body = "Det næste skridt efter STU planlægges i det sidste år sammen med jobcentret. "
            .. "STU slutter " .. date.ymd(slut) .. ".",
          due = date.add(case.now, { months = 2 }) }
      end
    end,

    task_done = function(case, ev)
      local key, o = ev.payload.key or "", ev.payload.outcome or {}
      if o.takker_nej then
        decline(case, o.begrundelse)
        return
      end
      if key == "samtale" then
        local maal = nonempty(o.maal) and o.maal or "Målet er ikke skrevet ned endnu"
        case:set("maal", maal)
        -- The goal type is "udvikle" unless the conversation says otherwise: the way from
        -- education toward work is to develop the young person's ability to hold a job or an
        -- education (lov om en aktiv beskæftigelsesindsats; lov om kommunal indsats for unge
        -- under 25 år). forventet_niveau (an FFB level) and ffb_tema (an FFB sub-theme such as
        -- "Varetage beskæftigelse") as given; a word case:goal does not know is left out.
        case:goal { key = MAAL, theme = nonempty(o.tema) and o.tema or "beskaeftigelse",
          text = maal, maaltype = MAALTYPE[o.maaltype] or "udvikle",
          forventet_niveau = FFB_NIVEAU[o.forventet_niveau],
          ffb_tema = FFB_TEMA[o.ffb_tema] and o.ffb_tema or nil }
        measures(case, "baseline", o)
        ask_choice(case, case.tovholder.department, "Samtalen er holdt.")
      elseif key == "jobcenter-planlaegning" then
        case:set("jobcenter_planlaegning", date.ymd(case.now))
      elseif key == "valg-af-trin" then
        choose(case, o)
      elseif TRIN[key] then
        step_done(case, key, o)
      elseif key == "afklar-overdragelse" then
        hand_over(case)
      elseif key:match("^opfoelgning%-%d+$") then
        followup_done(case, tonumber(key:match("%d+")), o)
      end
    end,

    -- Enrolled in the municipal youth effort: the event that may have started the case (it
    -- then follows 'started'), or news for a running case. A given end date moves the
    -- handover, until the case has been handed over.
    kui_indskrevet = function(case, ev)
      case:set("kui_indskrevet", date.ymd(case.now))
      local given = ev.payload.uddannelse_slut
      if is_date(given) then
        local slut = slutdato(case, given)
        case:set("slut", date.ymd(slut))
        if not case.state.overdraget then plan_overdrag(case, slut) end
      end
    end,

    overdrag = function(case, ev)
      if not case.state.overdraget then hand_over(case) end
    end,

    -- A measure a caseworker records on the case (the task list's Sagen page): the registry
    -- checks the instrument and the value, so a wrong one fails the step with the reason.
    maaling = function(case, ev)
      local p = ev.payload
      case:measure { instrument = p.instrument, kind = p.kind, value = p.value, goal = p.goal }
    end,

    handover_accepted = function(case, ev)
      case:assign_tovholder { department = "jobcenter",
        reason = "Jobcentret har taget imod overdragelsen fra ungeindsatsen" }
      case:set("overdraget", true)
      case:outbox { plugin = "webhook", action = "digital-post", key = "ny-tovholder-jobcenter",
        payload = { skabelon = "ny-tovholder" } }
      advance(case)
    end,

    handover_rejected = function(case, ev)
      case:task { department = case.tovholder.department, key = "afklar-overdragelse",
        title = "Jobcentret har afvist overdragelsen: afklar og send den igen",
        body = "Begrundelse: " .. ev.payload.reason,
        due = date.working_days(case.now, 5) }
    end,

    opfoelgning = function(case, ev)
      local m = ev.payload.maaneder
      case:task { department = case.tovholder.department, key = "opfoelgning-" .. m,
        title = ("Opfølgning %d måneder efter start i job eller uddannelse"):format(m),
        body = "Spørg den unge: er du i job eller uddannelse, hvor mange timer om ugen, og hvad "
          .. "synes du selv på en skala fra 1 til 10?",
        due = date.working_days(case.now, 10) }
    end,

    task_overdue = function(case, ev)
      local p = ev.payload
      if p.kind == "handover" then
        -- Retssikkerhedsloven § 3, stk. 2: the citizen is told in writing when a deadline
        -- cannot be kept.
        case:outbox { plugin = "webhook", action = "digital-post", key = "frist-" .. p.task,
          payload = { skabelon = "frist-overskredet" } }
        case:task { department = p.department, key = "rykker-overdragelse",
          title = "Rykker: svar på overdragelsen", due = date.working_days(case.now, 2) }
      elseif reminded[p.key] then
        case:task { department = case.tovholder.department, key = "rykker-" .. p.key,
          title = "Fristen er overskredet hos " .. p.department .. ": følg op",
          due = date.working_days(case.now, 2) }
      end
    end,

    tovholder_unavailable = function(case, ev)
      case:assign_tovholder { department = case.tovholder.department,
        reason = "Tovholderen er fraværende; en kollega i afdelingen tager over" }
      case:outbox { plugin = "webhook", action = "digital-post",
        key = "ny-tovholder-" .. date.ymd(case.now), payload = { skabelon = "ny-tovholder" } }
    end,
  },
}
