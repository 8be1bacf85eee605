-- A test workflow that calls a plugin's helper (the example plugin's plugins.example.greet)
-- and one that no plugin gives.
return workflow {
  name = "helper", version = 1, title = "Hjælper (test)",
  phases = { { "start", title = "Start", text = "Vi er i gang." } },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Forløbet er startet" }
      case:set("hilsen", plugins.example.greet("Sofie"))
      case:ref { system = "demo", ref = "sag-" .. case.id }
    end,
    ping = function(case, ev) case:set("pinged", ev.payload.n or true) end,
    missing = function(case, ev) case:set("x", plugins.nothere.fn()) end,
    wrong = function(case, ev) case:set("x", plugins.example.greet(1, 2)) end,
  },
}
