-- Test workflow "flyt", version 1: cases on it are migrated to version 2 (migrate-v2.lua) by
-- the migration tests.
return workflow {
  name = "flyt", version = 1, title = "Flyt (test)",
  phases = {
    { "afdaekning", title = "Afdaekning", next = { "planlaegning" }, text = "Vi undersøger, hvad du har brug for." },
    { "planlaegning", title = "Planlaegning", next = { "afsluttet" }, text = "Vi lægger en plan sammen med dig." },
    { "afsluttet", title = "Afsluttet", text = "Forløbet er slut." },
  },
  on = {
    started = function(case, ev)
      case:assign_tovholder { department = "born-familie", reason = "Forløbet er startet" }
      case:timer { after = 30 * date.DAY, event = "paamindelse", key = "paamindelse" }
      case:timer { after = 60 * date.DAY, event = "gammel_frist", key = "gammel" }
    end,
    poke = function(case, ev) case:phase "planlaegning" end,
    paamindelse = function(case, ev) case:set("mindet", true) end,
    gammel_frist = function(case, ev) case:set("gammel", true) end,
  },
}
