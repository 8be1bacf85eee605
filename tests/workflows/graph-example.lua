-- A test workflow with the shape of a real transition (barn → voksen), for `overgang graph`
-- (its expected DOT is graph-example.dot) and `overgang check` (it passes without warnings).
return workflow {
  name = "graf-eksempel", version = 1,
  title = "Overgang fra barn til voksen (test)",
  start = { age = 16, when = "funktionsnedsaettelse" },
  phases = {
    { "afdaekning", title = "Afdaekning", next = { "planlaegning" },
      text = "Vi er begyndt at forberede din overgang til voksenlivet." },
    { "planlaegning", title = "Planlaegning", next = { "overdragelse" },
      text = "Vi laver en plan for dit voksenliv sammen med dig." },
    { "overdragelse", title = "Overdragelse", next = { "opfoelgning", "planlaegning" },
      text = "Voksenhandicap overtager dit forløb. Din tovholder er den samme, til de har sagt ja." },
    { "opfoelgning", title = "Opfoelgning", next = { "afsluttet" },
      text = "Vi følger op på, om planen virker for dig." },
    { "afsluttet", title = "Afsluttet", text = "Dit forløb er afsluttet." },
  },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Forløbet er startet" }
      case:task { department = "born-familie", title = "Afdækning af behov", key = "afdaekning",
                  due = date.add(case.now, { months = 3 }) }
      case:timer { at = case.citizen.birthday(17, 6), event = "frist_paragraf_111", key = "frist" }
    end,
    task_done = function(case, ev)
      if ev.payload.key == "afdaekning" then
        case:phase "planlaegning"
        case:task { department = "born-familie", title = "Handleplan", key = "plan",
                    due = date.working_days(case.now, 20) }
      end
    end,
    frist_paragraf_111 = function(case, ev)
      case:phase "overdragelse"
      case:handover { to = "voksenhandicap", title = "Overdragelse til voksenområdet",
                      summary = "Borgeren fylder 18 om et halvt år.", due = case.now + 14 * date.DAY }
    end,
    handover_accepted = function(case, ev)
      case:phase "opfoelgning"
      case:assign_tovholder { department = "voksenhandicap", reason = "Voksenområdet har overtaget" }
      case:timer { after = 180 * date.DAY, event = "opfoelgning_slut", key = "slut" }
    end,
    handover_rejected = function(case, ev)
      case:phase "planlaegning"
    end,
    opfoelgning_slut = function(case, ev)
      case:phase "afsluttet"
      case:close { outcome = "overdraget" }
    end,
  },
}
