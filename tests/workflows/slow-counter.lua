-- A test workflow whose steps take a while (a busy loop), so a batch of them is stepped in
-- several slices: counts 'tick' events in order, as counter.lua does.
return workflow {
  name = "slow-counter", version = 1,
  title = "Langsom tæller (test)",
  phases = {
    { "counting", title = "Counting", text = "Vi tæller langsomt." },
  },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Forløbet er startet" }
      case:set("count", 0)
    end,
    tick = function(case, ev)
      local x = 0
      for i = 1, 20000 do x = x + i % 7 end
      local count = (case.state.count or 0) + 1
      if ev.payload.seq and ev.payload.seq ~= count then
        error(("tick %d arrived as number %d"):format(ev.payload.seq, count))
      end
      case:set("count", count)
      case:set("x", x)
    end,
  },
}
