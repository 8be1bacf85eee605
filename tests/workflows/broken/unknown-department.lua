-- Broken on purpose (overgang check's tests): departments that do not exist (checked with
-- --departments or --db).
return workflow {
  name = "ukendt-afdeling", version = 1, title = "Ukendt afdeling (test)",
  phases = { { "start", title = "Start", text = "Vi er i gang." } },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Start" }
      case:handover { to = "jobcentret", title = "Overdragelse", summary = "Klar til job",
                      due = date.working_days(case.now, 10) }
    end,
    handover_accepted = function(case, ev) case:set("overdraget", true) end,
    handover_rejected = function(case, ev)
      case:task { department = "voksenhandicp", title = "Find en ny vej", due = case.now }
    end,
    task_done = function(case, ev) case:set("klar", true) end,
  },
}
