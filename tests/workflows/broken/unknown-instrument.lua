-- Broken on purpose (overgang check's tests): measures with instruments the registry lacks
-- (warned with --db, which reads the registry).
return workflow {
  name = "ukendt-instrument", version = 1, title = "Ukendt instrument (test)",
  phases = { { "start", title = "Start", text = "Vi er i gang." } },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Start" }
      case:measure { instrument = "ffb-stotebehov", kind = "baseline", value = "let" }
      case:measure { instrument = "trivsel", kind = "baseline", value = 3 }
      case:measure { instrument = "selvvurdering-1-10", kind = "baseline", value = 7 }
      case:measure { instrument = ev.payload.instrument, kind = "baseline", value = 1 }
    end,
  },
}
