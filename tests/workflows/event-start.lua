-- A test workflow started by an event about a citizen: 'indskrevet' (the young person has
-- been enrolled somewhere) starts a case, whose first steps are 'started' and then the event.
return workflow {
  name = "event-start", version = 1,
  title = "Startet af en hændelse (test)",
  start = { event = "indskrevet" },
  phases = {
    { "indskrevet", title = "Indskrevet", text = "Du er skrevet ind, og vi er begyndt at planlægge med dig." },
  },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie",
        reason = "Startet af hændelsen " .. (ev.payload.event or "?") }
    end,
    indskrevet = function(case, ev)
      case:set("skole", ev.payload.skole or "ukendt")
      case:set("gange", (case.state.gange or 0) + 1)
    end,
  },
}
