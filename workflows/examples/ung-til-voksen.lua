-- The example of the authoring guide (workflows/README.md): a simplified preparation of a
-- young person with a reduced function for adult life. Barnets Lov § 122: the preparation
-- starts as soon as possible after the 16th birthday; § 123: it is done across departments,
-- with the young person and the parents, and is ready so that adult support can start at 18.

-- Hands the case over to the adult department; used at 17½ and again after a rejection.
local function hand_over(case)
  local state = case.state
  case:phase "overdragelse"
  case:handover {
    to = "voksenhandicap", key = "overdragelse",
    title = "Overdragelse: ung med funktionsnedsættelse fylder 18",
    summary = ("PPR anbefaler: %s. Handleplan: %s."):format(
      state.anbefaling or "ingen udtalelse endnu",
      state.handleplan and "udarbejdet" or "ikke udarbejdet"),
    goals = { state.maal },
    questions = { "Hvilken støtte skal være klar, når den unge fylder 18?" },
    due = date.working_days(case.now, 10),
  }
end

-- The tasks the tovholder is reminded of when their deadline passes.
local reminded = { samtale = true, ppr = true, handleplan = true }

return workflow {
  name = "ung-til-voksen", version = 1,
  title = "Forberedelse til voksenlivet (eksempel)",
  start = { age = 16, when = "funktionsnedsaettelse" },

  phases = {
    { "afdaekning", title = "Afdækning", next = { "planlaegning", "overdragelse" },
      text = "Du er fyldt 16 år, og vi er begyndt at forberede din overgang til voksenlivet "
        .. "(Barnets Lov § 122). Din tovholder i Børn og Familie er din faste kontakt. Vi "
        .. "taler med dig og dine forældre om, hvad du gerne vil, og hvad du har brug for." },
    { "planlaegning", title = "Planlægning", next = { "overdragelse" },
      text = "Sammen med dig og dine forældre laver vi en plan for tiden efter, du fylder 18 "
        .. "(Barnets Lov § 123): støtte, uddannelse, job og forsørgelse, bolig og dit sociale "
        .. "liv. Planen skal være klar, så støtten kan begynde, når du er 18." },
    { "overdragelse", title = "Overdragelse", next = { "opfoelgning" },
      text = "Vi giver nu din sag videre til Voksenhandicap, som skal hjælpe dig, når du er "
        .. "fyldt 18. De får det at vide, som du og vi allerede ved, så du ikke skal fortælle "
        .. "det hele igen. Din tovholder er den samme, indtil Voksenhandicap har taget imod sagen." },
    { "opfoelgning", title = "Opfølgning", next = { "afsluttet" },
      text = "Voksenhandicap har taget imod din sag, og du har fået en ny tovholder der. Et "
        .. "halvt år efter, du er fyldt 18, spørger vi dig, om støtten hjælper dig mod dit mål." },
    { "afsluttet", title = "Afsluttet",
      text = "Forberedelsen af din overgang til voksenlivet er afsluttet. Har du spørgsmål, "
        .. "kan du altid kontakte din tovholder i Voksenhandicap." },
  },

  -- What people enter when they complete a task: the outcome the handlers below read.
  tasks = {
    samtale = { title = "Samtale med den unge og forældrene", outcome = {
      { name = "maal", label = "Den unges mål, med den unges egne ord", type = "textarea",
        required = true },
      { name = "stoettebehov", label = "Støttebehov (FFB)", type = "select",
        instrument = "ffb-stoettebehov" },
    } },
    ppr = { title = "Udtalelse om skole og uddannelse", outcome = {
      { name = "anbefaling", label = "PPR anbefaler", type = "select",
        options = { "STU", { "ordinaer", "Ordinær uddannelse" }, { "ingen", "Ingen anbefaling" } } },
    } },
    opfoelgning = { title = "Opfølgning efter 18 år", outcome = {
      { name = "stoettebehov", label = "Støttebehov nu (FFB)", type = "select",
        instrument = "ffb-stoettebehov" },
    } },
  },

  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie",
        reason = "Forberedelsen af overgangen til voksenlivet begynder (Barnets Lov § 122)" }
      case:task { department = "born-familie", key = "samtale",
        title = "Samtale med den unge og forældrene",
        body = "Tal om de seks temaer i Barnets Lov § 123, og skriv den unges eget mål ned.",
        due = date.add(case.now, { weeks = 4 }) }
      case:task { department = "ppr", key = "ppr",
        title = "Udtalelse om skole og uddannelse",
        due = case.citizen.birthday(16, 6) }
      case:timer { event = "overdrag", at = case.citizen.birthday(17, 6), key = "overdrag" }
    end,

    task_done = function(case, ev)
      local key, outcome = ev.payload.key, ev.payload.outcome or {}
      if key == "samtale" then
        local maal = outcome.maal or "Målet er ikke skrevet ned endnu"
        case:set("maal", maal)
        case:goal { key = "eget-maal", theme = "bolig", text = maal }
        case:measure { instrument = "ffb-stoettebehov", kind = "baseline",
          value = outcome.stoettebehov or "ikke vurderet", goal = "eget-maal" }
      elseif key == "ppr" then
        case:set("anbefaling", outcome.anbefaling or "ingen")
      elseif key == "handleplan" then
        case:set("handleplan", true)
      elseif key == "afklar-overdragelse" then
        hand_over(case)
      elseif key == "opfoelgning" then
        case:measure { instrument = "ffb-stoettebehov", kind = "followup",
          value = outcome.stoettebehov or "ikke vurderet", goal = "eget-maal" }
        case:phase "afsluttet"
        case:close { outcome = "overgaaet", reason = "Støtten som voksen er i gang" }
        return
      end
      -- The conversation and PPR's statement are in: plan the time after 18.
      if case.phase == "afdaekning" and case.state.maal and case.state.anbefaling then
        case:phase "planlaegning"
        case:task { department = case.tovholder.department, key = "handleplan",
          title = "Handleplan for tiden efter 18 (Barnets Lov § 123)",
          due = case.citizen.birthday(17) }
      end
    end,

    overdrag = function(case, ev) hand_over(case) end,

    handover_accepted = function(case, ev)
      case:assign_tovholder { department = "voksenhandicap",
        reason = "Voksenhandicap har taget imod overdragelsen" }
      case:phase "opfoelgning"
      case:outbox { plugin = "digital-post", action = "brev", key = "ny-tovholder",
        payload = { skabelon = "ny-tovholder" } }
      case:timer { event = "opfoelgning", at = case.citizen.birthday(18, 6), key = "opfoelgning" }
    end,

    handover_rejected = function(case, ev)
      case:task { department = case.tovholder.department, key = "afklar-overdragelse",
        title = "Voksenhandicap har afvist overdragelsen: afklar og send den igen",
        body = "Begrundelse: " .. ev.payload.reason,
        due = date.working_days(case.now, 5) }
    end,

    opfoelgning = function(case, ev)
      case:task { department = "voksenhandicap", key = "opfoelgning",
        title = "Opfølgning: hjælper støtten den unge mod sit mål?",
        due = date.add(case.now, { months = 1 }) }
    end,

    task_overdue = function(case, ev)
      local p = ev.payload
      if p.kind == "handover" then
        -- Retssikkerhedsloven § 3, stk. 2: the citizen is told in writing when a deadline
        -- cannot be kept.
        case:outbox { plugin = "digital-post", action = "brev", key = "frist-" .. p.task,
          payload = { skabelon = "frist-overskredet" } }
        case:task { department = p.department, title = "Rykker: svar på overdragelsen",
          due = date.working_days(case.now, 2) }
      elseif reminded[p.key] then
        case:task { department = case.tovholder.department, key = "rykker-" .. p.key,
          title = "Fristen er overskredet hos " .. p.department .. ": følg op",
          due = date.working_days(case.now, 2) }
      end
    end,

    tovholder_unavailable = function(case, ev)
      case:assign_tovholder { department = case.tovholder.department,
        reason = "Tovholderen er fraværende; en kollega i afdelingen tager over" }
    end,
  },
}
