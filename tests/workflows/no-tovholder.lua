-- Test workflow that forgets to assign a tovholder when it starts.
return workflow {
  name = "no-tovholder", version = 1, title = "Uden tovholder (test)",
  phases = { { "start", title = "Start", text = "Start." } },
  on = { started = function(case, ev) case:set("x", 1) end },
}
