-- Test workflow, version 2 of "versioned": different phases and handlers than version 1.
return workflow {
  name = "versioned", version = 2, title = "Versioneret (test)",
  phases = { { "start", title = "Start", next = { "slut" }, text = "Version 2, start." }, { "slut", title = "Slut", text = "Version 2, slut." } },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "voksenhandicap", reason = "Start" }
      case:set("started_on", 2)
    end,
    poke = function(case, ev) case:set("poked_by", 2); case:phase "slut" end,
  },
}
