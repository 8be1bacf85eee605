-- The API benchmark's workflow (scripts/bench api). Its cases, tasks and handovers are
-- inserted directly by scripts/bench.d/api-seed.sql, not made by steps: the deployed row is
-- there for the cases' foreign key and for the phases the case view shows. The handlers are
-- what such a workflow would do, should an event reach a case during the run.
return workflow {
  name = "bench-api", version = 1,
  title = "Overgang til voksenlivet (API-benchmark)",
  phases = {
    { "afdaekning", next = { "overdragelse" },
      text = "Vi er begyndt at forberede din overgang til voksenlivet." },
    { "overdragelse", next = { "voksen" },
      text = "Vi giver din sag videre til voksenområdet." },
    { "voksen", text = "Voksenområdet har taget imod din sag." },
  },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = ev.payload.department or "dep-001",
                              reason = "Forløbet er startet" }
    end,
    task_done = function(case, ev)
      case:set("done_" .. (ev.payload.key or "task"), true)
    end,
    handover_accepted = function(case, ev)
      case:phase "overdragelse"
    end,
    handover_rejected = function(case, ev)
      case:set("rejected", true)
    end,
    tovholder_unavailable = function(case, ev)
      case:task { department = case.tovholder.department, key = "ny-tovholder",
                  title = "Vælg en ny tovholder" }
    end,
  },
}
