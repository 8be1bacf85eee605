-- The workflow the API tests run: a case starts with its tovholder (the start event's
-- payload names them), a task in the tovholder's department, a task for PPR and a handover
-- to Voksenhandicap, so every queue and inbox has something in it at once.
return workflow {
  name = "api-test", version = 1, title = "Overgang til voksenlivet (API-test)",
  phases = {
    { "afdaekning", title = "Afdaekning", next = { "overdragelse", "nej-tak" },
      text = "Vi er begyndt at forberede din overgang til voksenlivet." },
    { "overdragelse", title = "Overdragelse", next = { "voksen", "nej-tak" },
      text = "Vi giver din sag videre til Voksenhandicap." },
    { "voksen", title = "Voksen", text = "Voksenhandicap har taget imod din sag." },
    -- not on the plan as a next step (announce = false)
    { "nej-tak", title = "Nej tak", announce = false,
      text = "Du har sagt nej tak, og vi har lukket din sag." },
  },
  on = {
    started = function(case, ev)
      case:assign_tovholder { staff = ev.payload.tovholder or "mette",
        reason = "Forløbet er startet" }
      case:task { department = "born-familie", key = "samtale",
        title = "Samtale med den unge", due = date.add(case.now, { days = ev.payload.due_days or 14 }) }
      case:task { department = "ppr", key = "ppr", title = "Udtalelse fra PPR",
        due = date.add(case.now, { days = 30 }) }
      case:handover { to = "voksenhandicap", key = "overdragelse",
        title = "Overdragelse til Voksenhandicap", summary = "Den unge fylder snart 18.",
        due = date.add(case.now, { days = 20 }) }
    end,
    task_done = function(case, ev)
      case:set("done_" .. (ev.payload.key or "task"), true)
    end,
    handover_accepted = function(case, ev)
      case:phase "overdragelse"
      case:assign_tovholder { department = "voksenhandicap",
        reason = "Voksenhandicap har taget imod overdragelsen" }
      case:phase "voksen"
    end,
    handover_rejected = function(case, ev)
      case:task { department = "born-familie", key = "afklar",
        title = "Overdragelsen er afvist: afklar", due = date.working_days(case.now, 5) }
    end,
    signal = function(case, ev)
      case:set("signal", ev.payload.text or "")
    end,
    tovholder_unavailable = function(case, ev)
      case:task { department = case.tovholder.department, key = "ny-tovholder",
        title = "Vælg en ny tovholder", due = date.working_days(case.now, 1) }
    end,
  },
}
