-- Runs one step function (admit or settle, defined above this text by LimitScripts) for each member of a batch, in
-- order, exactly as that many single calls would run one after the other: one script call instead of many, so Redis
-- pays its per-call cost (parsing, dispatch, the reply) once per batch. Every member's keys share its batch's hash tags.
-- KEYS: every member's keys, one member after the other.
-- ARGV: members, then per member: its key count, its argument count, its arguments.
-- Returns one result per member, each what the single call would have returned.
local results = {}
local k = 0
local a = 2
for m = 1, tonumber(ARGV[1]) do
  local nk = tonumber(ARGV[a])
  local na = tonumber(ARGV[a + 1])
  local keys = {}
  local argv = {}
  for i = 1, nk do keys[i] = KEYS[k + i] end
  for i = 1, na do argv[i] = ARGV[a + 1 + i] end
  results[m] = STEP(keys, argv)
  k = k + nk
  a = a + 2 + na
end
return results
