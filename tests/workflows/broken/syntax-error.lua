-- Broken on purpose (overgang check's tests): a comma is missing after the phases.
return workflow {
  name = "syntaks", version = 1, title = "Syntaksfejl (test)",
  phases = { { "start", title = "Start", text = "Vi er i gang." } }
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Start" }
    end,
  },
}
