-- Broken on purpose (overgang check's tests): a phase without its citizen text.
return workflow {
  name = "uden-tekst", version = 1, title = "Uden tekst (test)",
  phases = {
    { "start", title = "Start", text = "Vi er i gang.", next = { "slut" } },
    { "slut" },
  },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Start" }
    end,
  },
}
