-- Broken on purpose (overgang check's tests): no handler for 'started', so no case gets its
-- tovholder.
return workflow {
  name = "uden-start", version = 1, title = "Uden start (test)",
  phases = { { "start", title = "Start", text = "Vi er i gang." } },
  on = {
    task_done = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Opgaven er løst" }
    end,
  },
}
