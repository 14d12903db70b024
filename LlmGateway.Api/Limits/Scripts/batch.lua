-- batch_members(KEYS, ARGV) splits a batch script's keys and arguments into its members, {KEYS, ARGV} each, for the
-- step function (admit_members or settle_members, defined above this text by LimitScripts), which decides them in
-- order on the batch's state, exactly as that many single calls one after the other would: one script call instead of
-- many, and each counter read and written once for all of them. Every member's keys share its batch's hash tags.
-- KEYS: each distinct key list of the members once (members of one key and team have the same list: sent once, one
-- table for all of them; the step functions only read it).
-- ARGV: members, then per member: where its keys start in KEYS (0-based), its key count, its argument count, its arguments.
local function batch_members(KEYS, ARGV)
  local members = {}
  local lists = {}
  local a = 2
  for m = 1, tonumber(ARGV[1]) do
    local start = tonumber(ARGV[a])
    local nk = tonumber(ARGV[a + 1])
    local na = tonumber(ARGV[a + 2])
    local keys = lists[start]
    if not keys then
      keys = {}
      for i = 1, nk do keys[i] = KEYS[start + i] end
      lists[start] = keys
    end
    local argv = {}
    for i = 1, na do argv[i] = ARGV[a + 2 + i] end
    members[m] = {keys, argv}
    a = a + 3 + na
  end
  return members
end
