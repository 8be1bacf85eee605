-- The outside world's answers for `overgang simulate --script` (see workflows/README.md):
-- each entry waits for its date (at) and for the task it acts on, in order.
return {
  { at = "2026-03-20", complete = { key = "samtale" },
    outcome = { maal = "Jeg vil gerne bo i min egen lejlighed", stoettebehov = "moderat" } },
  { at = "2026-08-14", complete = { department = "ppr" }, outcome = { anbefaling = "STU" } },
  { at = "2026-11-02", tovholder_unavailable = true },
  { at = "2027-02-01", complete = { key = "handleplan" } },
  { at = "2027-09-08", reject = { department = "voksenhandicap" },
    reason = "Vi mangler en udtalelse om bolig" },
  { at = "2027-09-10", complete = { key = "afklar-overdragelse" } },
  { accept = { department = "voksenhandicap" } },
  { complete = { key = "opfoelgning" }, outcome = { stoettebehov = "let" } },
}
