-- Broken on purpose (overgang check's tests): a transition to a phase that does not exist.
return workflow {
  name = "ukendt-fase", version = 1, title = "Ukendt fase (test)",
  phases = {
    { "afdaekning", text = "Vi undersøger, hvad du har brug for.", next = { "planlaegning" } },
    { "planlægning", text = "Vi lægger en plan sammen med dig." },
  },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Start" }
    end,
  },
}
