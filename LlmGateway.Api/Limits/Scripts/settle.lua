-- settle(KEYS, ARGV) settles a request admitted by admit.lua: releases its parallel lease, replaces its budget reservation by the
-- actual cost, and corrects the token count of its minute from the estimate to the actual usage.
-- Idempotent: the cost is counted only while the reservation is live (its ZREM succeeds), so a replayed settle is a
-- no-op. A request outliving its reservation lease (an hour) is left to the ledger, from which counters are rebuilt.
-- KEYS: the same 6 per scope as admit.lua
-- ARGV: request id, scopes, estimated tokens, actual tokens, bucket, actual cost (nanos), reserved cost (nanos),
--       then 3 per scope: tpm limited (1/0), parallel limited (1/0), budget limited (1/0)
-- Returns the spent counter of each budget scope after settling (-1 when none).
-- This file only defines the function: LimitScripts appends the call, once for a single settle or in a loop over
-- the members of a batch (batch.lua).
local function settle(KEYS, ARGV)
  local id = ARGV[1]
  local n = tonumber(ARGV[2])
  local estimate = tonumber(ARGV[3])
  local actual = tonumber(ARGV[4])
  local bucket = ARGV[5]
  local cost = tonumber(ARGV[6])
  local member = ARGV[7] .. ':' .. id
  local result = {}
  for s = 0, n - 1 do
    local k = s * 6
    local a = 8 + s * 3
    if ARGV[a] == '1' and actual ~= estimate and redis.call('HEXISTS', KEYS[k + 2], bucket) == 1 then
      redis.call('HINCRBY', KEYS[k + 2], bucket, actual - estimate)
    end
    if ARGV[a + 1] == '1' then
      redis.call('ZREM', KEYS[k + 3], id)
    end
    local spent = -1
    if ARGV[a + 2] == '1' then
      if redis.call('ZREM', KEYS[k + 6], member) == 1 then
        redis.call('DECRBY', KEYS[k + 5], ARGV[7])
        -- Counted only while the reservation was live: a settle replayed after the first is a no-op.
        if redis.call('EXISTS', KEYS[k + 4]) == 1 then
          spent = redis.call('INCRBY', KEYS[k + 4], cost)
        end
      else
        spent = tonumber(redis.call('GET', KEYS[k + 4]) or '-1')
      end
    end
    result[#result + 1] = spent
  end
  return result
end
