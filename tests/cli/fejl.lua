-- A workflow with a mistake, for the tests of `overgang test` and `overgang simulate`: the
-- handler for task_done reads a field of an outcome that is not there.
return workflow {
  name = "fejl", version = 1, title = "Fejl (test)",
  phases = { { "start", title = "Start", text = "Vi er begyndt." } },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Start" }
      case:task { department = "ppr", title = "Udtalelse", due = date.add(case.now, { days = 10 }) }
    end,
    task_done = function(case, ev)
      case:set("skole", ev.payload.outcome.skole.navn)
    end,
  },
}
