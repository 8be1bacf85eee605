-- A test workflow: counts 'tick' events in order, and creates a task on every tenth.
-- The engine tests use it to prove each step happens exactly once and in order.
return workflow {
  name = "counter", version = 1,
  title = "Tæller (test)",
  phases = {
    { "counting", title = "Counting", text = "Vi tæller." },
  },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Forløbet er startet" }
      case:set("count", 0)
    end,
    tick = function(case, ev)
      local count = (case.state.count or 0) + 1
      if ev.payload.seq and ev.payload.seq ~= count then
        error(("tick %d arrived as number %d"):format(ev.payload.seq, count))
      end
      case:set("count", count)
      if count % 10 == 0 then
        case:task { department = "born-familie", title = "Tiende tik", due = case.now + 86400 }
      end
    end,
    spin = function(case, ev)
      while true do end
    end,
  },
}
