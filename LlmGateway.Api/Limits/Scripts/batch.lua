-- batch_members(KEYS, ARGV) splits a batch script's keys and arguments into its members, {KEYS, ARGV} each, for the
-- step function (admit_members or settle_members, defined above this text by LimitScripts), which decides them in
-- order on the batch's state, exactly as that many single calls one after the other would: one script call instead of
-- many, and each counter read and written once for all of them. Every member's keys share its batch's hash tags.
-- KEYS: every member's keys, one member after the other.
-- ARGV: members, then per member: its key count, its argument count, its arguments.
local function batch_members(KEYS, ARGV)
  local members = {}
  local k = 0
  local a = 2
  for m = 1, tonumber(ARGV[1]) do
    local nk = tonumber(ARGV[a])
    local na = tonumber(ARGV[a + 1])
    local keys = {}
    local argv = {}
    for i = 1, nk do keys[i] = KEYS[k + i] end
    for i = 1, na do argv[i] = ARGV[a + 1 + i] end
    members[m] = {keys, argv}
    k = k + nk
    a = a + 2 + na
  end
  return members
end
