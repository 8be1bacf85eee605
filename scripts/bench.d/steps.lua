-- The step-throughput benchmark's workflow (scripts/bench steps). The shape of
-- tests/workflows/counter.lua without its order check: 'started' gives the case a tovholder
-- from a department, each 'tick' counts in the case state, and every tenth event of a case
-- creates a task.
--
-- The seeding gives each case's count a starting offset (0..9, from the case number) in the
-- 'started' payload, so the tenth events are spread over the run: one tick in ten creates a
-- task, even though every case gets only a few ticks per measured run.
return workflow {
  name = "bench-steps", version = 1,
  title = "Trinbenchmark",
  phases = {
    { "counting", text = "Vi tæller." },
  },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = ev.payload.department or "born-familie",
                              reason = "Forløbet er startet" }
      case:set("count", ev.payload.offset or 0)
    end,
    tick = function(case, ev)
      local count = (case.state.count or 0) + 1
      case:set("count", count)
      if count % 10 == 0 then
        case:task { department = "born-familie", title = "Tiende tik", due = case.now + 86400 }
      end
    end,
  },
}
