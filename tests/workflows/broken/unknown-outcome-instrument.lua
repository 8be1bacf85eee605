-- Broken on purpose (overgang check's tests): an outcome field on an instrument the registry
-- lacks (an error with --db, which reads the registry: deploying it is refused).
return workflow {
  name = "ukendt-udfald", version = 1, title = "Ukendt instrument i et udfald (test)",
  phases = { { "start", title = "Start", text = "Vi er i gang." } },
  tasks = {
    samtale = { outcome = {
      { name = "niveau", label = "Niveau", type = "select", instrument = "ffb-stotebehov" },
      { name = "timer", label = "Timer", type = "number", instrument = "timer-pr-uge" },
    } },
  },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Start" }
      case:task { department = "born-familie", key = "samtale", title = "Samtale" }
    end,
    task_done = function(case, ev) end,
  },
}
