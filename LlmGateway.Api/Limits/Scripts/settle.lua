-- settle_members(members) settles requests admitted by admit.lua, in order: releases each one's parallel lease, replaces
-- its budget reservation by the actual cost, and corrects the token count of its minute from the estimate to the usage.
-- Idempotent: the cost is counted, and the token count corrected, only while the reservation is live (it is still in the
-- holds zset, and is removed), so a replayed settle is a no-op, in a later call or the same one. (A request under no
-- budget has no reservation to tell: the gateway replays its settle with no token correction, LimitsGate.ToReplay.)
-- A request outliving its reservation lease (an hour) is left to the ledger, from which counters are rebuilt.
-- members: a list of {KEYS, ARGV}, one per request (the single script passes one, batch.lua a batch's):
-- KEYS: the same 6 per scope as admit.lua
-- ARGV: request id, scopes, estimated tokens, actual tokens, bucket, actual cost (nanos), reserved cost (nanos),
--       then 3 per scope: tpm limited (1/0), parallel limited (1/0), budget limited (1/0)
-- Returns per member the spent counter of each budget scope after settling (-1 when none).
-- As in admit.lua, each counter is read once per call and written once with the sums of all members: which
-- reservations are live is one ZMSCORE per holds zset (a ZREM alone when one member settles against it).

-- The reservations each holds zset settles in this call, and the state of each counter, in order of first use.
local function settle_plan(members)
  local plan = {holds = {}, order = {}, tokens = {}, tokens_order = {}, leases = {}, leases_order = {}}
  for _, m in ipairs(members) do
    local keys, argv = m[1], m[2]
    for s = 0, tonumber(argv[2]) - 1 do
      if argv[10 + s * 3] == '1' then
        local key = keys[s * 6 + 6]
        local holds = plan.holds[key]
        if not holds then
          holds = {names = {}, live = {}, released = {}, release = 0, cost = 0,
            spent_key = keys[s * 6 + 4], reserved_key = keys[s * 6 + 5]}
          plan.holds[key] = holds
          plan.order[#plan.order + 1] = key
        end
        holds.names[#holds.names + 1] = argv[7] .. ':' .. argv[1]
      end
    end
  end
  return plan
end

-- Which of a holds zset's reservations are live, and its budget's spent counter (nil when gone): read once.
local function settle_read(key, holds)
  if #holds.names == 1 then
    holds.removed = redis.call('ZREM', key, holds.names[1]) == 1
    if holds.removed then holds.live[holds.names[1]] = true end
  else
    local scores = redis.call('ZMSCORE', key, unpack(holds.names))
    for i, name in ipairs(holds.names) do
      if scores[i] then holds.live[name] = true end
    end
  end
  holds.spent = tonumber(redis.call('GET', holds.spent_key))
  holds.read = true
end

-- The token count of a minute is corrected only while that minute's field exists (one HEXISTS per hash and minute).
local function settle_tokens(plan, key, bucket, delta)
  local field = key .. '\0' .. bucket
  local counts = plan.tokens[field]
  if not counts then
    counts = {key = key, bucket = bucket, exists = redis.call('HEXISTS', key, bucket) == 1, add = 0}
    plan.tokens[field] = counts
    plan.tokens_order[#plan.tokens_order + 1] = field
  end
  if counts.exists then counts.add = counts.add + delta end
end

-- Whether the member's settle ran before (its reply lost, then sent again from the outage queue, or twice in one batch):
-- its reservation is gone from the holds of its first budget scope. Nil without a budget scope: nothing tells.
local function settle_replayed(plan, keys, argv, member)
  for s = 0, tonumber(argv[2]) - 1 do
    if argv[10 + s * 3] == '1' then
      local holds = plan.holds[keys[s * 6 + 6]]
      if not holds.read then settle_read(keys[s * 6 + 6], holds) end
      return not holds.live[member]
    end
  end
  return nil
end

local function settle_member(plan, keys, argv)
  local estimate = tonumber(argv[3])
  local actual = tonumber(argv[4])
  local member = argv[7] .. ':' .. argv[1]
  -- A replayed settle corrects no token count a second time (a correction is mostly negative: twice would under-count).
  local correct = actual ~= estimate and not settle_replayed(plan, keys, argv, member)
  local result = {}
  for s = 0, tonumber(argv[2]) - 1 do
    local k = s * 6
    local a = 8 + s * 3
    if argv[a] == '1' and correct then
      settle_tokens(plan, keys[k + 2], argv[5], actual - estimate)
    end
    if argv[a + 1] == '1' then
      local leases = plan.leases[keys[k + 3]]
      if not leases then
        leases = {}
        plan.leases[keys[k + 3]] = leases
        plan.leases_order[#plan.leases_order + 1] = keys[k + 3]
      end
      leases[#leases + 1] = argv[1]
    end
    local spent = -1
    if argv[a + 2] == '1' then
      local holds = plan.holds[keys[k + 6]]
      if not holds.read then settle_read(keys[k + 6], holds) end
      if holds.live[member] then
        -- Counted only while the reservation was live: a settle replayed after the first is a no-op.
        holds.live[member] = nil
        holds.released[#holds.released + 1] = member
        holds.release = holds.release + tonumber(argv[7])
        if holds.spent then
          holds.spent = holds.spent + tonumber(argv[6])
          holds.cost = holds.cost + tonumber(argv[6])
          spent = holds.spent
        end
      else
        spent = holds.spent or -1
      end
    end
    result[#result + 1] = spent
  end
  return result
end

-- Writes each counter once: the token corrections, the leases and reservations released, the costs counted.
local function settle_write(plan)
  for _, field in ipairs(plan.tokens_order) do
    local counts = plan.tokens[field]
    if counts.add ~= 0 then
      redis.call('HINCRBY', counts.key, counts.bucket, string.format('%d', counts.add))
    end
  end
  for _, key in ipairs(plan.leases_order) do
    redis.call('ZREM', key, unpack(plan.leases[key]))
  end
  for _, key in ipairs(plan.order) do
    local holds = plan.holds[key]
    if #holds.released > 0 then
      if not holds.removed then redis.call('ZREM', key, unpack(holds.released)) end
      redis.call('DECRBY', holds.reserved_key, string.format('%d', holds.release))
      if holds.spent then
        redis.call('INCRBY', holds.spent_key, string.format('%d', holds.cost))
      end
    end
  end
end

local function settle_members(members)
  local plan = settle_plan(members)
  local results = {}
  for m, member in ipairs(members) do
    results[m] = settle_member(plan, member[1], member[2])
  end
  settle_write(plan)
  return results
end
