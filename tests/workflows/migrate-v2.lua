-- Test workflow "flyt", version 2: 'planlaegning' is now called 'plan', the old deadline is
-- gone, and a handler for 'migrated' adjusts the state of cases moved here from version 1.
return workflow {
  name = "flyt", version = 2, title = "Flyt (test), version 2",
  phases = {
    { "afdaekning", title = "Afdaekning", next = { "plan" }, text = "Vi undersøger sammen med dig, hvad du har brug for." },
    { "plan", title = "Plan", next = { "afsluttet" }, text = "Vi lægger en plan sammen med dig." },
    { "afsluttet", title = "Afsluttet", text = "Forløbet er slut." },
  },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Forløbet er startet" }
      case:timer { after = 30 * date.DAY, event = "paamindelse", key = "paamindelse" }
    end,
    migrated = function(case, ev)
      case:set("flyttet_fra", ev.payload.from)
      case:set("fase_foer", ev.payload.phase_from)
      case:timer { after = 90 * date.DAY, event = "ny_frist", key = "ny" }
    end,
    poke = function(case, ev) case:set("poked_on", 2); case:phase "plan" end,
    paamindelse = function(case, ev) case:set("mindet", true) end,
    ny_frist = function(case, ev) case:set("ny", true) end,
  },
}
