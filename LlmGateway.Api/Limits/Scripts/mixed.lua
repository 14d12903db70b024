-- The mixed batch (LimitScripts.SettleThenAdmit): a slot's waiting settles and its admissions in one script call, the
-- settles first, each kind decided by its own step function exactly as its batch form would; results in member order.
-- ARGV: as batch.lua's, then one more: how many of the members, from the first, are settles.
local members = batch_members(KEYS, ARGV)
local settles = tonumber(ARGV[#ARGV])
local settling, admitting = {}, {}
for m, member in ipairs(members) do
  if m <= settles then settling[#settling + 1] = member else admitting[#admitting + 1] = member end
end
local results = settle_members(settling)
for _, result in ipairs(admit_members(admitting, admit_clock())) do
  results[#results + 1] = result
end
return results
