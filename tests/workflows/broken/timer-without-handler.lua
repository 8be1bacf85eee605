-- Broken on purpose (overgang check's tests): a timer whose event has no handler, a move to a
-- phase that does not exist, and an unlikely age.
return workflow {
  name = "timer-uden-handler", version = 1, title = "Timer uden handler (test)",
  phases = {
    { "start", title = "Start", text = "Vi er i gang.", next = { "slut" } },
    { "slut", title = "Slut", text = "Forløbet er slut." },
  },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Start" }
      case:timer { at = case.citizen.birthday(17, 6), event = "frist_paragraf_111" }
      case:timer { at = case.citizen.birthday(45), event = "opfoelgning" }
    end,
    opfoelgning = function(case, ev) case:phase "afsluttet" end,
  },
}
