-- barn-til-voksen, version 1: the transition from child to adult for a young person with a
-- significant and lasting reduced physical or mental function.
--
-- The law:
--   Barnets Lov § 122: the preparation starts as soon as possible after the 16th birthday.
--   Barnets Lov § 123: cross-cutting, in dialogue with the young person and the parents, no
--     more extensive than needed, ready so that adult support can start at 18; six themes.
--   Barnets Lov § 111: for a young person placed outside the home (attribute `anbragt`) the
--     decision on support after 18 is taken at the latest 6 months before the 18th birthday.
--   Retssikkerhedsloven § 3, stk. 2: when a decision deadline cannot be met, the citizen is told
--     in writing when a decision can be expected.
--
-- How a case starts: the start sweep on the 16th birthday of a citizen with the attribute
-- `funktionsnedsaettelse`, or by hand (`overgang case start`, the API) for a citizen found later;
-- deadlines derived from birthdays are then never earlier than a few working days from the start.
--
-- Departments (the shipped set; `overgang check --departments ...`):
--   born-familie    Børn og Familie: tovholder during the preparation, the dialogue meeting,
--                   the themes "sociale forhold" and "andet", the § 111 decision, the plan
--   voksenhandicap  receives the handover, becomes tovholder, decides on adult support, follows up
--   ungeindsats     KUI: education (uddannelsesplan)
--   ppr             PPR: school and education statement
--   jobcenter       employment
--   pension         forsørgelse from 18 (pension/other income)
--   bostoette       housing
--   (sundhed and socialpsykiatri are not addressed by this workflow; the tovholder brings them in
--   under the theme "andet" when needed.)
--
-- What departments enter when they complete a task (ev.payload.outcome), all optional:
--   dialogmoede       maal = "text" with tema = THEME, or maal = { { tekst = ..., tema = ... }, ... }
--                     (the young person's own goals, in their own words); oensker = "text";
--                     stoettebehov = FFB level; temaer = { THEME, ... } (the themes that are
--                     relevant; default all six); afslaar = true (the young person says no thanks)
--   tema-*            notat = "text" (the department's contribution)
--   afgoerelse-111    afgoerelse = "text" (e.g. "ungestøtte bevilget", "ikke relevant")
--   afklar-overdragelse  supplement = "text" (added to the handover sent again)
--   afgoerelse-voksen afgoerelse = "text"
--   opfoelgning-3/-12 stoettebehov = FFB level; resultat = goal result (for all goals) or
--                     resultater = { [goal key] = result }
-- THEME is one of stoettebehov, uddannelse, beskaeftigelse, bolig, sociale-forhold, andet.
-- FFB level (support need): ingen, let, moderat, omfattende, fuldstaendigt, ikke vurderet (the
-- English none/light/moderate/high/complete/not assessed are accepted and stored in Danish).
-- Goal result: opnaaet, delvist opnaaet, ikke opnaaet, ikke relevant.
--
-- Events from outside: `afslaar` (payload: begrundelse?) — the young person declines;
-- `maaling` (payload: instrument, value, kind = "baseline" or "followup", goal?) — a measure of
-- effect a caseworker records, in any phase.

-- The six themes of Barnets Lov § 123, the departments that own them, and when their
-- contribution is due (age in years and months).
local TEMAER = {
  { key = "stoettebehov", navn = "Støttebehov som følge af funktionsnedsættelsen",
    afdelinger = { "voksenhandicap" }, frist = { 16, 8 } },
  { key = "uddannelse", navn = "Uddannelse",
    afdelinger = { "ungeindsats", "ppr" }, frist = { 16, 8 } },
  { key = "beskaeftigelse", navn = "Beskæftigelse og forsørgelse",
    afdelinger = { "jobcenter", "pension" }, frist = { 16, 10 } },
  { key = "bolig", navn = "Bolig",
    afdelinger = { "bostoette" }, frist = { 16, 10 } },
  { key = "sociale-forhold", navn = "Sociale forhold",
    afdelinger = { "born-familie" }, frist = { 16, 8 } },
  { key = "andet", navn = "Andet (fx sundhed, fritid, hjælpemidler)",
    afdelinger = { "born-familie" }, frist = { 16, 10 } },
}
local TEMA = {}
for _, t in ipairs(TEMAER) do TEMA[t.key] = t end

local FFB = {
  ingen = "ingen", let = "let", moderat = "moderat", omfattende = "omfattende",
  ["fuldstændigt"] = "fuldstændigt", fuldstaendigt = "fuldstændigt",
  ["ikke vurderet"] = "ikke vurderet",
  none = "ingen", light = "let", moderate = "moderat", high = "omfattende",
  complete = "fuldstændigt", ["not assessed"] = "ikke vurderet",
}

-- The FFB goal types as case:goal takes them, from the words a caseworker may write.
local MAALTYPE = {
  fastholde = "fastholde", udvikle = "udvikle", ["begraense-tab"] = "begraense-tab",
  ["begrænse tab"] = "begraense-tab", ["begraense tab"] = "begraense-tab",
}

-- The FFB sub-themes case:goal knows (the § 123 themes lead to these).
local FFB_TEMAER = { "Varetage uddannelse", "Varetage beskæftigelse", "Varetage økonomi",
  "Varetage bolig", "Deltage i sociale fællesskaber og fritidsaktiviteter",
  "Varetage relationer til netværk", "Indgå i samspil og kontakt", "Varetage egen sundhed",
  "Uddannelse og job", "Boligsituation", "Økonomisk situation", "Familiesituation",
  "Fysisk helbred" }
local FFB_TEMA = {}
for _, t in ipairs(FFB_TEMAER) do FFB_TEMA[t] = true end

local MAANEDER = { "januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
  "september", "oktober", "november", "december" }

-- "1. september 2027", for texts people read.
local function dansk_dato(t)
  local y, m, d = date.ymd(t):match("^(%d+)-(%d+)-(%d+)$")
  return ("%d. %s %s"):format(tonumber(d), MAANEDER[tonumber(m)], y)
end

-- Today at 00:00: deadlines counted from it fall on whole days.
local function idag(case) return date.parse(date.ymd(case.now)) end

-- A deadline on a birthday, but never sooner than MIN working days from now (a case started by
-- hand later than the 16th birthday).
local function frist(case, years, months, min)
  return math.max(case.citizen.birthday(years, months or 0), date.working_days(idag(case), min or 10))
end

-- When a decision that is late can be expected: ten working days from now
-- (Retssikkerhedsloven § 3, stk. 2 asks the municipality to say when; the ten days are this
-- workflow's choice, and every promise is backed by a task with that deadline).
local function ny_frist(case) return date.working_days(idag(case), 10) end

local function ffb(v)
  if v == nil then return "ikke vurderet" end
  return FFB[tostring(v):lower()] or "ikke vurderet"
end

-- Who a letter goes to: a young person under 18 and those who hold custody, otherwise the citizen.
local function modtagere(case)
  return case.citizen.age < 18 and "den-unge-og-foraeldremyndighed" or "borgeren"
end

-- A letter through the Digital Post gateway (the webhook plugin's endpoint `digital-post`,
-- until a dedicated plugin exists). The case number lets the gateway find the recipient: the
-- workflow never sees a CPR number.
local function brev(case, key, skabelon, felter)
  local payload = { skabelon = skabelon, sag = case.id, modtagere = modtagere(case) }
  for k, v in pairs(felter or {}) do payload[k] = v end
  case:outbox { plugin = "webhook", action = "digital-post", key = key, payload = payload }
end

-- Tasks for the tovholder in person are kept in the state, so that a colleague who takes over
-- gets them (see tovholder_unavailable).
local function til_tovholder(case, t)
  local mine = case.state.tovholder_opgaver or {}
  mine[t.key] = { title = t.title, body = t.body, due = t.due }
  case:set("tovholder_opgaver", mine)
  case:task { department = case.tovholder.department, assignee = case.tovholder.id,
    key = t.key, title = t.title, body = t.body, due = t.due }
end

local function glem_tovholder_opgave(case, key)
  local mine = case.state.tovholder_opgaver
  if mine and mine[key] then
    mine[key] = nil
    case:set("tovholder_opgaver", next(mine) and mine or nil)
  end
end

local function aflys(case, key, reason)
  case:cancel_task(key, reason)
  glem_tovholder_opgave(case, key)
end

-- The goals as a list of texts, for a handover.
local function maal_tekster(state)
  local list = {}
  for _, g in ipairs(state.maal or {}) do list[#list + 1] = g.tekst .. " (" .. g.tema .. ")" end
  return list
end

-- Hands the case over to Voksenhandicap; at 17½ and again after a rejection.
local function overdrag(case, supplement)
  local s = case.state
  local bidrag = {}
  for _, t in ipairs(TEMAER) do
    local svar = (s.tema_svar or {})[t.key]
    if svar then bidrag[#bidrag + 1] = t.navn .. " (" .. table.concat(svar, ", ") .. ")" end
  end
  local dele = {
    ("Den unge fylder 18 den %s; støtten skal kunne begynde den dag (Barnets Lov § 123).")
      :format(dansk_dato(case.citizen.birthday(18))),
    "Støttebehov ved dialogmødet (FFB): " .. (s.stoettebehov or "ikke vurderet") .. ".",
    "Den unges ønsker: " .. (s.oensker or "ikke skrevet ned") .. ".",
    "Bidrag: " .. (#bidrag > 0 and table.concat(bidrag, "; ") or "ingen endnu") .. ".",
    "Samlet plan: " .. (s.plan and "udarbejdet" or "ikke udarbejdet") .. ".",
  }
  if case.citizen.has("anbragt") then
    dele[#dele + 1] = "Anbragt; afgørelse efter Barnets Lov § 111: "
      .. (s.afgoerelse_111 or "ikke truffet endnu") .. "."
  end
  if supplement then dele[#dele + 1] = "Supplement: " .. supplement end
  if case.phase ~= "overdragelse" then case:phase "overdragelse" end
  case:handover {
    to = "voksenhandicap", key = "overdragelse",
    title = "Overdragelse: ung med funktionsnedsættelse fylder 18 den "
      .. dansk_dato(case.citizen.birthday(18)),
    summary = table.concat(dele, " "),
    goals = maal_tekster(s),
    questions = {
      "Hvilken støtte skal være klar, når den unge fylder 18?",
      "Hvem bliver den unges tovholder i Voksenhandicap?",
    },
    due = date.working_days(idag(case), 10),
  }
end

-- The young person says no thanks (Barnets Lov § 123: the preparation is done in dialogue with
-- the young person). Open work is cancelled; a placed young person still gets the § 111 decision
-- first (the decision is the municipality's duty whatever the young person wants now: the
-- conservative reading), and the case closes when it is taken.
local function afslaar(case, begrundelse)
  case:set("afslaaet", begrundelse or "Den unge har takket nej")
  local s = case.state
  if case.citizen.has("anbragt") and not s.afgoerelse_111 then
    for _, t in ipairs(TEMAER) do
      for _, afd in ipairs(t.afdelinger) do
        case:cancel_task("tema-" .. t.key .. "-" .. afd, "Den unge har takket nej")
      end
    end
    for _, key in ipairs { "dialogmoede", "plan", "afklar-overdragelse" } do
      aflys(case, key, "Den unge har takket nej")
    end
    case:cancel_task("overdragelse", "Den unge har takket nej")
    case:cancel_task("afgoerelse-voksen", "Den unge har takket nej")
    for _, key in ipairs { "overdrag", "opfoelgning-3", "opfoelgning-12" } do
      case:cancel_timer(key)
    end
    case:phase "nej-tak"
    return
  end
  case:phase "afslaaet"
  brev(case, "afslaaet", "afslaaet", {
    tekst = "Du har sagt nej tak til hjælp til at forberede dit voksenliv. Det respekterer vi, "
      .. "og vi har lukket sagen. Du kan altid ombestemme dig: kontakt kommunen, så starter vi "
      .. "igen (Barnets Lov § 123)." })
  case:close { outcome = "afslaaet",
    reason = "Den unge har takket nej: " .. (begrundelse or "ingen begrundelse givet") }
end

-- The dialogue meeting is done: goals, wishes, baseline, and the themes that are needed.
local function dialog_holdt(case, o)
  if o.afslaar then return afslaar(case, o.begrundelse) end
  -- Per goal also the FFB goal type (maaltype: fastholde, udvikle, begraense-tab), the FFB
  -- level expected when it is reached (forventet_niveau) and the FFB sub-theme (ffb_tema, such
  -- as "Varetage uddannelse"), for the report to KL. No default goal type: whether a young
  -- person with a lasting reduced function is to develop, keep or limit the loss of a function
  -- is the meeting's assessment (§ 123), not the workflow's. A word case:goal does not know is
  -- left out rather than stopping the case.
  local maal = {}
  if type(o.maal) == "string" then
    maal[1] = { tekst = o.maal, tema = o.tema, maaltype = o.maaltype,
      forventet_niveau = o.forventet_niveau, ffb_tema = o.ffb_tema }
  elseif type(o.maal) == "table" then
    for _, g in ipairs(o.maal) do
      maal[#maal + 1] = { tekst = g.tekst, tema = g.tema, maaltype = g.maaltype,
        forventet_niveau = g.forventet_niveau, ffb_tema = g.ffb_tema }
    end
  end
  local niveau = ffb(o.stoettebehov)
  for i, g in ipairs(maal) do
    g.key = "maal-" .. i
    g.tema = TEMA[g.tema] and g.tema or "andet"
    case:goal { key = g.key, text = g.tekst, theme = g.tema, maaltype = MAALTYPE[g.maaltype],
      forventet_niveau = g.forventet_niveau and FFB[tostring(g.forventet_niveau):lower()],
      ffb_tema = FFB_TEMA[g.ffb_tema] and g.ffb_tema or nil }
    case:measure { instrument = "ffb-stoettebehov", kind = "baseline", value = niveau, goal = g.key }
  end
  if #maal == 0 then
    case:measure { instrument = "ffb-stoettebehov", kind = "baseline", value = niveau }
  end
  case:set("maal", maal)
  case:set("stoettebehov", niveau)
  if o.oensker then case:set("oensker", o.oensker) end

  -- No more extensive than needed (§ 123): only the themes found relevant, but always the
  -- support need arising from the reduced function, which is why the case exists.
  local valgt = { stoettebehov = true }
  if type(o.temaer) == "table" then
    for _, k in ipairs(o.temaer) do valgt[k] = true end
  else
    for _, t in ipairs(TEMAER) do valgt[t.key] = true end
  end
  local udestaaende, fravalgt = {}, {}
  for _, t in ipairs(TEMAER) do
    if valgt[t.key] then
      for _, afd in ipairs(t.afdelinger) do
        local key = "tema-" .. t.key .. "-" .. afd
        case:task { department = afd, key = key,
          title = ("Overgang til voksenlivet: %s (Barnets Lov § 123)"):format(t.navn),
          body = "Giv dit bidrag til forberedelsen af overgangen til voksenlivet under temaet '"
            .. t.navn .. "'. Den unges egne mål og ønsker står på sagen. Bidraget skal være "
            .. "klar, så støtten kan begynde, når den unge fylder 18.",
          due = frist(case, t.frist[1], t.frist[2]) }
        udestaaende[#udestaaende + 1] = key
      end
    else
      fravalgt[#fravalgt + 1] = t.key
    end
  end
  case:set("udestaaende", udestaaende)
  if #fravalgt > 0 then case:set("fravalgte_temaer", fravalgt) end
  case:phase "afdaekning"
end

local function planlaeg(case)
  case:phase "planlaegning"
  til_tovholder(case, { key = "plan",
    title = "Samlet plan for overgangen til voksenlivet (Barnets Lov § 123)",
    body = "Saml bidragene og den unges mål i en plan, som den unge og forældrene kender. "
      .. "Planen må ikke være mere omfattende end nødvendigt.",
    due = frist(case, 17, 0) })
end

-- Keys whose lapse gives the tovholder a reminder, and decisions whose lapse the citizen is told.
local function paamindes(key)
  return key == "dialogmoede" or key == "plan" or (key or ""):match("^tema%-") ~= nil
end
local AFGOERELSER = {
  ["afgoerelse-voksen"] = "afgørelsen om din støtte som voksen",
  ["afgoerelse-111"] = "afgørelsen om støtte til dig efter 18 år (Barnets Lov § 111)",
  overdragelse = "afgørelsen om din støtte som voksen",
}
-- What a reminder calls the task that is late.
local function opgavenavn(key)
  if key == "dialogmoede" then return "dialogmødet med den unge og forældrene" end
  if key == "plan" then return "den samlede plan" end
  for _, t in ipairs(TEMAER) do
    for _, afd in ipairs(t.afdelinger) do
      if key == "tema-" .. t.key .. "-" .. afd then
        return ("bidraget om '%s' fra %s"):format(t.navn, afd)
      end
    end
  end
  return key
end

-- What people enter when they complete a task: the fields of ev.payload.outcome that task_done
-- reads, by task key (the header above lists them all; the task list builds its form from
-- these, and completing a task is checked against them). The theme tasks and the follow-ups
-- have one key per theme and department, or per follow-up, so their declarations are made in
-- the same loops that make the keys.
local FFB_VALG = { { "ingen", "Ingen" }, { "let", "Let" }, { "moderat", "Moderat" },
  { "omfattende", "Omfattende" }, { "fuldstaendigt", "Fuldstændigt" },
  { "ikke vurderet", "Ikke vurderet" } }
-- For the report to KL (FFB): the goal type, the level expected when the goal is reached, the
-- FFB sub-theme, and at a follow-up whether the effort goes on.
local MAALTYPE_VALG = { { "udvikle", "Udvikle" }, { "fastholde", "Fastholde" },
  { "begraense-tab", "Begrænse tab" } }
local NIVEAU_VALG = { table.unpack(FFB_VALG, 1, 5) }
local FFB_TEMA_VALG = {}
for _, t in ipairs(FFB_TEMAER) do FFB_TEMA_VALG[#FFB_TEMA_VALG + 1] = { t, t } end
local FORTSAET = { name = "fortsaet", label = "Skal indsatsen fortsætte?", type = "select",
  options = { { "ja", "Ja, indsatsen fortsætter" }, { "nej", "Nej, indsatsen afsluttes" } } }
local RESULTAT_VALG = { { "opnaaet", "Opnået" }, { "delvist opnaaet", "Delvist opnået" },
  { "ikke opnaaet", "Ikke opnået" }, { "ikke relevant", "Ikke relevant" } }
local OPGAVER = {
  dialogmoede = { title = "Dialogmøde med den unge og forældrene", outcome = {
    { name = "maal", label = "Den unges mål, med den unges egne ord", type = "textarea" },
    { name = "tema", label = "Temaet, målet hører til", type = "select", options = {
      { "stoettebehov", "Støttebehov" }, { "uddannelse", "Uddannelse" },
      { "beskaeftigelse", "Beskæftigelse og forsørgelse" }, { "bolig", "Bolig" },
      { "sociale-forhold", "Sociale forhold" }, { "andet", "Andet" } } },
    { name = "maaltype", label = "Måltype (FFB)", type = "select", options = MAALTYPE_VALG,
      hint = "Skal den unge udvikle en funktion, fastholde den eller begrænse et tab?" },
    { name = "forventet_niveau", label = "Forventet støttebehov, når målet er nået (FFB)",
      type = "select", options = NIVEAU_VALG },
    { name = "ffb_tema", label = "FFB-tema for målet", type = "select", options = FFB_TEMA_VALG },
    { name = "oensker", label = "Den unges og forældrenes ønsker", type = "textarea" },
    { name = "stoettebehov", label = "Støttebehov (FFB)", type = "select",
      instrument = "ffb-stoettebehov", options = FFB_VALG },
    { name = "afslaar", label = "Den unge siger nej tak til forberedelsen", type = "checkbox" },
    { name = "begrundelse", label = "Den unges begrundelse for at sige nej tak",
      type = "textarea" },
  } },
  ["afgoerelse-111"] = { title = "Afgørelse efter Barnets Lov § 111", outcome = {
    { name = "afgoerelse", label = "Afgørelse", type = "text",
      hint = "Fx \"ungestøtte bevilget\" eller \"ikke relevant\"." } } },
  ["afgoerelse-voksen"] = { title = "Afgørelse om støtte fra 18 år", outcome = {
    { name = "afgoerelse", label = "Afgørelse", type = "text" } } },
  ["afklar-overdragelse"] = { title = "Afklaring af en afvist overdragelse", outcome = {
    { name = "supplement", label = "Det, der mangler i overdragelsen", type = "textarea" } } },
}
for _, t in ipairs(TEMAER) do
  for _, afd in ipairs(t.afdelinger) do
    OPGAVER["tema-" .. t.key .. "-" .. afd] = { title = "Bidrag: " .. t.navn, outcome = {
      { name = "notat", label = "Afdelingens bidrag til planen", type = "textarea" } } }
  end
end
for _, m in ipairs { 3, 12 } do
  OPGAVER["opfoelgning-" .. m] = { title = ("Opfølgning efter %d måneder"):format(m), outcome = {
    { name = "stoettebehov", label = "Støttebehov nu (FFB)", type = "select",
      instrument = "ffb-stoettebehov", options = FFB_VALG },
    { name = "resultat", label = "Resultat for den unges mål", type = "select",
      instrument = "maalopfyldelse", options = RESULTAT_VALG },
    FORTSAET,
  } }
end

local FOER_18 = { "afslaaet", "nej-tak", "overdragelse" }
local function og(list, ...)
  local r = { ... }
  for _, x in ipairs(list) do r[#r + 1] = x end
  return r
end

return workflow {
  name = "barn-til-voksen", version = 1,
  title = "Overgang fra barn til voksen: ung med funktionsnedsættelse",
  start = { age = 16, when = "funktionsnedsaettelse" },

  phases = {
    { "dialog", title = "Dialogmøde", next = og(FOER_18, "afdaekning"),
      text = "Du er fyldt 16 år. Derfor begynder vi nu at forberede din overgang til "
        .. "voksenlivet (Barnets Lov § 122). Du har fået en tovholder i Børn og Familie. "
        .. "Tovholderen er din faste kontakt. Først holder vi et møde med dig og dine forældre. "
        .. "Her fortæller du, hvad du gerne vil, og hvad du har brug for (Barnets Lov § 123)." },
    { "afdaekning", title = "Afdækning", next = og(FOER_18, "planlaegning"),
      text = "Vi ser nu på det, der er vigtigt for dig, når du bliver voksen. Det kan være "
        .. "støtte, uddannelse, job og penge, bolig og dit liv med andre. Vi tager kun det med, "
        .. "som du har brug for (Barnets Lov § 123). Din tovholder holder styr på det hele." },
    { "planlaegning", title = "Planlægning", next = FOER_18,
      text = "Vi samler nu det hele i en plan for tiden, efter du fylder 18. Du og dine "
        .. "forældre er med. Planen skal være klar, så du kan få støtte fra den dag, du "
        .. "fylder 18 (Barnets Lov § 123)." },
    { "overdragelse", title = "Overdragelse", next = { "afgoerelse", "afslaaet", "nej-tak" },
      text = "Vi giver nu din sag videre til Voksenhandicap. De skal hjælpe dig, når du er "
        .. "fyldt 18. De får at vide, hvad du allerede har fortalt os, så du ikke skal sige "
        .. "det hele igen. Din tovholder er den samme, indtil Voksenhandicap har sagt ja til at "
        .. "tage over (Barnets Lov § 123)." },
    { "afgoerelse", title = "Afgørelse", next = { "opfoelgning", "afsluttet", "afslaaet", "nej-tak" },
      text = "Voksenhandicap har taget over, og du har fået en ny tovholder der. Nu beslutter "
        .. "de, hvilken støtte du skal have som voksen. Det skal være klar, så støtten kan "
        .. "begynde, den dag du fylder 18 (Barnets Lov § 123). Du får svaret i et brev." },
    { "opfoelgning", title = "Opfølgning", next = { "afsluttet", "afslaaet", "nej-tak" },
      text = "Du har fået svar på, hvilken støtte du får som voksen (Barnets Lov § 123). "
        .. "3 måneder og 12 måneder efter, at Voksenhandicap tog over, spørger vi dig, om "
        .. "støtten hjælper dig mod dine mål. Din tovholder i Voksenhandicap er din kontakt." },
    -- The two "no thanks" phases are not announced: the plan of a young person who has not
    -- said no does not tell them what happens if they do (nor an anbragt path they are not on).
    { "nej-tak", title = "Nej tak", next = { "afslaaet" }, announce = false,
      text = "Du har sagt nej tak til hjælp til at forberede dit voksenliv. Det respekterer vi. "
        .. "Fordi du er anbragt, skal vi stadig beslutte, om du kan få støtte, efter du er "
        .. "fyldt 18. Det skal ske senest et halvt år før din 18-års fødselsdag (Barnets Lov "
        .. "§ 111). Du får et brev om det. Derefter lukker vi sagen." },
    { "afsluttet", title = "Afsluttet",
      text = "Forberedelsen af din overgang til voksenlivet er slut (Barnets Lov § 123). Har du "
        .. "spørgsmål til din støtte, kan du altid kontakte din tovholder i Voksenhandicap." },
    { "afslaaet", title = "Afslået", announce = false,
      text = "Du har sagt nej tak til hjælp til at forberede dit voksenliv, og det respekterer "
        .. "vi. Vi forbereder din overgang sammen med dig (Barnets Lov § 123), så nu har vi "
        .. "lukket sagen. Du kan altid ombestemme dig. Kontakt Børn og Familie, hvis du er under 18, "
        .. "eller Voksenhandicap, hvis du er fyldt 18. Så starter vi igen." },
  },

  tasks = OPGAVER,

  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie",
        reason = "Forberedelsen af overgangen til voksenlivet begynder (Barnets Lov § 122)" }
      case:task { department = "born-familie", key = "dialogmoede",
        title = "Dialogmøde med den unge og forældrene (Barnets Lov § 123)",
        body = "Tal med den unge og forældrene om de seks temaer i Barnets Lov § 123. Skriv den "
          .. "unges egne mål ned med den unges egne ord, og hvilket tema hvert mål hører til. "
          .. "Skriv ønskerne ned, vurdér støttebehovet (FFB), og vælg kun de temaer, der er "
          .. "brug for. Siger den unge nej tak, så skriv det.",
        due = date.add(idag(case), { weeks = 4 }) }
      case:timer { event = "overdrag", at = frist(case, 17, 6), key = "overdrag" }
      if case.citizen.has("anbragt") then
        -- Barnets Lov § 111: the decision at the latest 6 months before the 18th birthday.
        local deadline = case.citizen.birthday(17, 6)
        case:set("frist_111", date.ymd(deadline))
        case:task { department = "born-familie", key = "afgoerelse-111",
          title = "Afgørelse om støtte efter 18 år til anbragt ung (Barnets Lov § 111), senest "
            .. dansk_dato(deadline),
          body = "Den unge er anbragt. Afgørelsen om ungestøtte efter det fyldte 18. år skal "
            .. "træffes senest 6 måneder før 18-årsdagen (Barnets Lov § 111).",
          due = math.max(deadline, date.working_days(idag(case), 10)) }
        local varsel = case.citizen.birthday(17, 4)
        if varsel > case.now then
          case:timer { event = "varsel_111", at = varsel, key = "varsel-111" }
        end
        -- The escalation comes the moment the task is overdue (one second after its due time,
        -- as the engine counts), after anything done on the stroke of the deadline.
        case:timer { event = "frist_111", at = math.max(deadline, case.now) + 1, key = "frist-111" }
      end
      brev(case, "startet", "forloeb-startet", {
        tekst = "Du er fyldt 16 år, og vi begynder nu at forberede din overgang til voksenlivet "
          .. "(Barnets Lov § 122). Din tovholder i Børn og Familie er din faste kontakt." })
    end,

    task_done = function(case, ev)
      local key, o = ev.payload.key or "", ev.payload.outcome or {}
      glem_tovholder_opgave(case, key)
      if key == "dialogmoede" then
        dialog_holdt(case, o)
      elseif key:match("^tema%-") then
        local tema = "andet"
        for _, t in ipairs(TEMAER) do
          if key:sub(6, 5 + #t.key + 1) == t.key .. "-" then tema = t.key end
        end
        local svar = case.state.tema_svar or {}
        svar[tema] = svar[tema] or {}
        table.insert(svar[tema], ev.payload.department .. ": " .. (o.notat or "bidrag modtaget"))
        case:set("tema_svar", svar)
        local rest = {}
        for _, k in ipairs(case.state.udestaaende or {}) do
          if k ~= key then rest[#rest + 1] = k end
        end
        case:set("udestaaende", rest)
        if (case.state.tovholder_opgaver or {})["rykker-" .. key] then
          aflys(case, "rykker-" .. key)
        end
        if #rest == 0 and case.phase == "afdaekning" then planlaeg(case) end
      elseif key == "plan" then
        case:set("plan", true)
      elseif key == "afgoerelse-111" then
        case:set("afgoerelse_111", o.afgoerelse or "truffet")
        case:cancel_timer("varsel-111")
        case:cancel_timer("frist-111")
        for _, k in ipairs { "varsel-111", "eskalering-111" } do
          local flag = k:gsub("%-", "_")
          if case.state[flag] then
            aflys(case, k, "Afgørelsen er truffet")
            case:cancel_task(k .. "-leder", "Afgørelsen er truffet")
            case:set(flag, nil)
          end
        end
        if case.phase == "nej-tak" then
          case:phase "afslaaet"
          brev(case, "afslaaet", "afslaaet", {
            tekst = "Du har sagt nej tak til hjælp til at forberede dit voksenliv. Det "
              .. "respekterer vi. Afgørelsen om støtte efter 18 år har du fået i et andet brev "
              .. "(Barnets Lov § 111). Vi har lukket sagen. Du kan altid ombestemme dig: kontakt "
              .. "kommunen, så starter vi igen (Barnets Lov § 123)." })
          case:close { outcome = "afslaaet", reason = "Den unge har takket nej: "
            .. case.state.afslaaet .. "; afgørelsen efter § 111 er truffet" }
        end
      elseif key == "afklar-overdragelse" then
        overdrag(case, o.supplement)
      elseif key == "afgoerelse-voksen" then
        case:set("afgoerelse_voksen", o.afgoerelse or "truffet")
        if case.state.ny_frist then
          case:cancel_task("ny-frist-afgoerelse-voksen")
          case:set("ny_frist", nil)
        end
        if case.phase == "afgoerelse" then case:phase "opfoelgning" end
      elseif key == "opfoelgning-3" or key == "opfoelgning-12" then
        local niveau = ffb(o.stoettebehov)
        local maal = case.state.maal or {}
        for _, g in ipairs(maal) do
          case:measure { instrument = "ffb-stoettebehov", kind = "followup", value = niveau,
            goal = g.key }
          local resultat = (o.resultater or {})[g.key] or o.resultat
          if resultat then
            case:measure { instrument = "maalopfyldelse", kind = "followup", value = resultat,
              goal = g.key }
          end
        end
        if #maal == 0 then
          case:measure { instrument = "ffb-stoettebehov", kind = "followup", value = niveau }
        end
        if key == "opfoelgning-12" then
          case:phase "afsluttet"
          case:close { outcome = "overgaaet",
            reason = "Overgangen er gennemført og fulgt op 12 måneder efter overdragelsen" }
        end
      end
    end,

    afslaar = function(case, ev)
      if case.phase ~= "nej-tak" then afslaar(case, ev.payload.begrundelse) end
    end,

    -- A measure a caseworker records on the case (the task list's Sagen page): the registry
    -- checks the instrument and the value, so a wrong one fails the step with the reason.
    maaling = function(case, ev)
      local p = ev.payload
      case:measure { instrument = p.instrument, kind = p.kind, value = p.value, goal = p.goal }
    end,

    -- 17½: the case is handed over, whatever is still open, so that the decision on adult
    -- support can be taken in time for the 18th birthday.
    overdrag = function(case, ev)
      if case.phase == "dialog" or case.phase == "afdaekning" or case.phase == "planlaegning" then
        overdrag(case)
      end
    end,

    varsel_111 = function(case, ev)
      if case.state.afgoerelse_111 then return end
      local deadline = case.citizen.birthday(17, 6)
      local title = "Frist om " .. date.days_between(case.now, deadline)
        .. " dage: afgørelse om støtte efter 18 år (Barnets Lov § 111) senest " .. dansk_dato(deadline)
      case:set("varsel_111", true)
      til_tovholder(case, { key = "varsel-111", title = title,
        body = "Den unge er anbragt. Afgørelsen er ikke truffet endnu.", due = deadline })
      case:task { department = "born-familie", key = "varsel-111-leder",
        title = "Til afdelingslederen: " .. title,
        body = "Tovholderen har fået samme varsel. Sørg for, at afgørelsen bliver truffet i tide.",
        due = deadline }
    end,

    frist_111 = function(case, ev)
      if case.state.afgoerelse_111 then return end
      local due = ny_frist(case)
      case:set("eskalering_111", true)
      local title = "Fristen i Barnets Lov § 111 er overskredet: træf afgørelsen om støtte efter "
        .. "18 år senest " .. dansk_dato(due)
      case:task { department = "born-familie", key = "eskalering-111-leder",
        title = "Eskalering til afdelingslederen: " .. title,
        body = "Afgørelsen skulle være truffet senest " .. dansk_dato(case.citizen.birthday(17, 6))
          .. ". Den unge og forældremyndighedens indehavere har fået brev om, hvornår de kan "
          .. "forvente afgørelsen (Retssikkerhedsloven § 3, stk. 2).",
        due = due }
      if case.tovholder.department == "born-familie" then
        til_tovholder(case, { key = "eskalering-111", title = title, due = due })
      end
      if case.state.varsel_111 then
        aflys(case, "varsel-111", "Fristen er overskredet; se eskaleringen")
        case:cancel_task("varsel-111-leder", "Fristen er overskredet; se eskaleringen")
        case:set("varsel_111", nil)
      end
    end,

    handover_accepted = function(case, ev)
      local fra = case.tovholder
      case:assign_tovholder { department = ev.payload.department,
        reason = ("Voksenhandicap har taget imod overdragelsen (Barnets Lov § 123); "
          .. "tovholderen skifter fra %s i %s"):format(fra.id, fra.department) }
      if case.state.rykker_overdragelse then
        case:cancel_task("rykker-overdragelse")
        case:set("rykker_overdragelse", nil)
      end
      case:phase "afgoerelse"
      local due = frist(case, 17, 10)
      case:set("afgoerelse_frist", date.ymd(due))
      case:task { department = ev.payload.department, key = "afgoerelse-voksen",
        title = "Afgørelse om støtte fra 18 år, så støtten kan begynde "
          .. dansk_dato(case.citizen.birthday(18)),
        body = "Træf afgørelse om den unges støtte som voksen på grundlag af overdragelsen, "
          .. "så støtten kan begynde på 18-årsdagen (Barnets Lov § 123). Den mindst "
          .. "indgribende indsats overvejes først.",
        due = due }
      case:set("overdraget", date.ymd(case.now))
      case:timer { event = "opfoelgning", at = date.add(idag(case), { months = 3 }),
        key = "opfoelgning-3", payload = { maaneder = 3 } }
      case:timer { event = "opfoelgning", at = date.add(idag(case), { months = 12 }),
        key = "opfoelgning-12", payload = { maaneder = 12 } }
      brev(case, "ny-tovholder", "ny-tovholder", {
        tekst = "Voksenhandicap har taget over, og du har fået en ny tovholder der. Tovholderen "
          .. "er din faste kontakt (Barnets Lov § 123)." })
    end,

    handover_rejected = function(case, ev)
      case:set("afvist", ev.payload.reason)
      if case.state.rykker_overdragelse then
        case:cancel_task("rykker-overdragelse")
        case:set("rykker_overdragelse", nil)
      end
      til_tovholder(case, { key = "afklar-overdragelse",
        title = "Voksenhandicap har afvist overdragelsen: beslut, hvad der nu skal ske",
        body = "Begrundelse fra Voksenhandicap: " .. ev.payload.reason .. ". Når du har "
          .. "afklaret det, sendes overdragelsen igen med dit supplement.",
        due = date.working_days(idag(case), 5) })
    end,

    opfoelgning = function(case, ev)
      local m = ev.payload.maaneder
      case:task { department = case.tovholder.department, key = "opfoelgning-" .. m,
        title = ("Opfølgning %d måneder efter overdragelsen: hjælper støtten den unge mod "
          .. "sine mål?"):format(m),
        body = "Vurdér støttebehovet (FFB) igen, og følg op på hvert af den unges mål "
          .. "(opnået, delvist opnået, ikke opnået, ikke relevant).",
        due = date.add(idag(case), { months = 1 }) }
    end,

    task_overdue = function(case, ev)
      local p = ev.payload
      local key = p.key or ""
      local hvad = AFGOERELSER[key]
      if hvad then
        -- Retssikkerhedsloven § 3, stk. 2: the citizen is told in writing when a decision can be
        -- expected, and the department gets a task with that deadline.
        local forventet = ny_frist(case)
        if key == "overdragelse" then
          forventet = math.max(forventet, frist(case, 17, 10))
        end
        brev(case, "frist-" .. key .. "-" .. p.task, "frist-overskredet", {
          afgoerelse = hvad, forventet = date.ymd(forventet),
          hjemmel = "Retssikkerhedsloven § 3, stk. 2",
          tekst = key == "overdragelse"
            and ("Det tager længere tid end planlagt at give din sag videre til Voksenhandicap. "
              .. "Du kan forvente %s senest %s (Retssikkerhedsloven § 3, stk. 2).")
              :format(hvad, dansk_dato(forventet))
            or ("Vi kan ikke nå at træffe %s inden for den frist, vi havde sat. Du kan forvente "
              .. "svar senest %s (Retssikkerhedsloven § 3, stk. 2).")
              :format(hvad, dansk_dato(forventet)) })
        if key == "afgoerelse-voksen" then
          case:set("ny_frist", date.ymd(forventet))
          case:task { department = p.department, key = "ny-frist-afgoerelse-voksen",
            title = "Fristen er overskredet: træf afgørelsen om støtte fra 18 år senest "
              .. dansk_dato(forventet),
            body = "Borgeren har fået brev om, at afgørelsen kan forventes senest denne dato "
              .. "(Retssikkerhedsloven § 3, stk. 2).",
            due = forventet }
        elseif key == "overdragelse" then
          case:set("rykker_overdragelse", true)
          case:task { department = p.department, key = "rykker-overdragelse",
            title = "Rykker: svar på overdragelsen af en ung, der fylder 18 den "
              .. dansk_dato(case.citizen.birthday(18)),
            due = date.working_days(idag(case), 2) }
        end
        -- afgoerelse-111: the frist_111 timer escalates at the same time.
      elseif key == "ny-frist-afgoerelse-voksen" then
        -- The promised date is missed too: tell the citizen again, once, and the management.
        local forventet = ny_frist(case)
        brev(case, "frist-" .. key .. "-" .. p.task, "frist-overskredet", {
          afgoerelse = AFGOERELSER["afgoerelse-voksen"], forventet = date.ymd(forventet),
          hjemmel = "Retssikkerhedsloven § 3, stk. 2",
          tekst = ("Vi kan heller ikke nå den nye frist. Du kan forvente svar senest %s "
            .. "(Retssikkerhedsloven § 3, stk. 2)."):format(dansk_dato(forventet)) })
        case:task { department = p.department, key = "eskalering-afgoerelse-voksen",
          title = "Til afdelingslederen: den lovede frist for afgørelsen om støtte fra 18 år er "
            .. "overskredet igen; ny frist " .. dansk_dato(forventet),
          due = forventet }
      elseif paamindes(key) and case.tovholder then
        til_tovholder(case, { key = "rykker-" .. key,
          title = ("Fristen for %s er overskredet: følg op"):format(opgavenavn(key)),
          body = ("Fristen var %s."):format(dansk_dato(p.due)),
          due = date.working_days(idag(case), 2) })
      end
    end,

    -- A colleague in the same department takes over; the tasks the tovholder had in person
    -- follow in the next step (the new tovholder's id is known only after this step).
    tovholder_unavailable = function(case, ev)
      case:assign_tovholder { department = case.tovholder.department,
        reason = "Tovholderen er fraværende; en kollega i afdelingen tager over" }
      if case.state.tovholder_opgaver then
        case:timer { event = "tovholder_skiftet", after = 1, key = "tovholder-skiftet" }
      end
    end,

    tovholder_skiftet = function(case, ev)
      local mine = case.state.tovholder_opgaver or {}
      local keys = {}
      for key in pairs(mine) do keys[#keys + 1] = key end
      table.sort(keys)
      for _, key in ipairs(keys) do
        local t = mine[key]
        case:cancel_task(key, "Tovholderen er fraværende; opgaven går til den nye tovholder")
        case:task { department = case.tovholder.department, assignee = case.tovholder.id,
          key = key, title = t.title, body = t.body,
          due = math.max(t.due, date.working_days(idag(case), 2)) }
      end
    end,
  },
}
