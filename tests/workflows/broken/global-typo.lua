-- Broken on purpose (overgang check's tests): a misspelt global in a handler.
return workflow {
  name = "stavefejl", version = 1, title = "Stavefejl (test)",
  phases = { { "start", title = "Start", text = "Vi er i gang." } },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Start" }
      local goals = {}
      tabel.insert(goals, "job")
      case:set("goals", goals)
    end,
  },
}
