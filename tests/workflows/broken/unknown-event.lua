-- Broken on purpose (overgang check's tests): a handler for an event nothing sends (a typo of
-- task_done), and a phase no transition leads to.
return workflow {
  name = "ukendt-haendelse", version = 1, title = "Ukendt hændelse (test)",
  phases = {
    { "start", title = "Start", text = "Vi er i gang.", next = { "slut" } },
    { "slut", title = "Slut", text = "Forløbet er slut." },
    { "glemt", title = "Glemt", text = "Denne fase kan ingen nå." },
  },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Start" }
      case:task { department = "born-familie", title = "Samtale", due = case.now + 14 * date.DAY }
    end,
    task_dnoe = function(case, ev) case:phase "slut" end,
  },
}
