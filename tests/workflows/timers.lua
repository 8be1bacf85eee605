-- Test workflow for timers: 'arm' sets a timer, 'disarm' cancels it, 'ring' counts firings.
return workflow {
  name = "timers", version = 1, title = "Timere (test)",
  phases = { { "venter", title = "Venter", text = "Vi venter." } },
  on = {
    started = function(case, ev)
      case:assign_tovholder { staff = "anna", reason = "Start" }
    end,
    arm = function(case, ev)
      case:timer { event = "ring", after = ev.payload.after, key = "klokke" }
    end,
    disarm = function(case, ev) case:cancel_timer("klokke") end,
    ring = function(case, ev) case:set("rang", (case.state.rang or 0) + 1) end,
    -- a reminder that sets itself again under the same key, twice
    recur = function(case, ev)
      local n = (case.state.recur or 0) + 1
      case:set("recur", n)
      if n < 3 then case:timer { event = "recur", after = 1, key = "gentag" } end
    end,
    overdue_task = function(case, ev)
      case:task { department = "born-familie", title = "Forfalden opgave", due = case.now - 60, key = "gammel" }
    end,
    finish = function(case, ev)
      case:timer { event = "ring", after = 60, key = "sidste" }
      case:close { outcome = "afsluttet" }
    end,
    task_overdue = function(case, ev) case:set("overdue_seen", (case.state.overdue_seen or 0) + 1) end,
  },
}
