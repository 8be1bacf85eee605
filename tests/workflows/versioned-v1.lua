-- Test workflow, version 1 of "versioned": cases started on it must stay on it.
return workflow {
  name = "versioned", version = 1, title = "Versioneret (test)",
  phases = { { "en", title = "En", next = { "to" }, text = "Version 1, fase en." }, { "to", title = "To", text = "Version 1, fase to." } },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Start" }
      case:set("started_on", 1)
    end,
    poke = function(case, ev) case:set("poked_by", 1); case:phase "to" end,
  },
}
