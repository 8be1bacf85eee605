-- Test workflow whose handlers misbehave on purpose: each must fail its own step with a clear
-- error, and every other case must run on.
return workflow {
  name = "sandbox", version = 1, title = "Sandkasse (test)",
  phases = { { "leg", title = "Leg", text = "Vi leger." } },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Start" }
    end,
    escape = function(case, ev) os.execute("touch /tmp/overgang-escaped") end, -- luacheck: ignore 113 (the sandbox must refuse it at run time)
    spin = function(case, ev) while true do end end,
    hog = function(case, ev) local t = {} while true do t[#t + 1] = string.rep("x", 4096) .. #t end end,
    fine = function(case, ev) case:set("fine", true) end,
    boom = function(case, ev)
      case:task { department = "born-familie", title = "boom", due = case.now }
    end,
  },
}
