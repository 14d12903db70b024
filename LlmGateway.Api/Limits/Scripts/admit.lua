-- admit(KEYS, ARGV, now) admits a request against every scope (key, team, key+model) atomically: sliding-window rpm (exact),
-- sliding-window-counter tpm, parallel requests (leases), and budget (spent + reserved + worst case <= limit).
-- Nothing is written unless every scope admits. All keys of one call share a hash tag (one cluster slot).
-- KEYS, 6 per scope: rpm zset, tpm hash, parallel zset, spent, reserved, holds (the reservations, a zset)
--       (member "<reserved nanos>:<request id>", score = when the reservation lapses)
-- ARGV: request id, scopes, estimated tokens, worst-case cost (nanos), parallel lease ms, reservation lease ms, then 5 per scope:
--       rpm limit, tpm limit, parallel limit, budget (nanos), spent key ttl ms   (-1 = no limit)
-- Returns {1, bucket, rpm remaining of scope 1, tpm remaining of scope 1, spent+reserved per scope...}
--      or {0, scope, kind, limit, used, retry after ms} or {-1, scope} when a budget counter must be seeded.
-- Every redis.call costs about a microsecond of Redis CPU on top of its work, so the common path makes few:
-- key expiries are set when a counter is created, and lapsed reservations are swept only when they would refuse.
-- This file only defines the function: LimitScripts appends the call, once for a single admission (admit(KEYS, ARGV, now))
-- or in a loop over the members of a batch (batch.lua), so a batch runs exactly the logic of single admissions in order.

-- Redis' clock in milliseconds: read once per script, whatever the number of admissions it runs.
local function admit_clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Releases reservations whose lease lapsed (their request's replica died before settling); returns what stays reserved.
local function admit_sweep(reserved_key, reservations_key, now)
  local lapsed = redis.call('ZRANGEBYSCORE', reservations_key, '-inf', now, 'LIMIT', 0, 100)
  local reserved = tonumber(redis.call('GET', reserved_key) or '0')
  for _, member in ipairs(lapsed) do
    -- The amount stays a string: Lua numbers print large values as 5e+14.
    reserved = redis.call('DECRBY', reserved_key, string.match(member, '^(%d+):'))
  end
  if #lapsed > 0 then
    redis.call('ZREM', reservations_key, unpack(lapsed))
  end
  return reserved
end

local function admit(KEYS, ARGV, now)
  local id = ARGV[1]
  local n = tonumber(ARGV[2])
  local tokens = tonumber(ARGV[3])
  local cost = tonumber(ARGV[4])
  local lease = tonumber(ARGV[5])
  local hold = tonumber(ARGV[6])
  local minute = 60000
  local bucket = math.floor(now / minute)
  local into = now % minute
  local first = {}
  local totals = {}

  for s = 0, n - 1 do
    local k = s * 6
    local a = 7 + s * 5
    local rpm = tonumber(ARGV[a])
    local tpm = tonumber(ARGV[a + 1])
    local par = tonumber(ARGV[a + 2])
    local budget = tonumber(ARGV[a + 3])
    if rpm >= 0 then
      redis.call('ZREMRANGEBYSCORE', KEYS[k + 1], '-inf', now - minute)
      local used = redis.call('ZCARD', KEYS[k + 1])
      if used >= rpm then
        local oldest = redis.call('ZRANGE', KEYS[k + 1], 0, 0, 'WITHSCORES')
        local retry = 1000
        if oldest[2] then retry = math.max(1, minute - (now - tonumber(oldest[2]))) end
        return {0, s, 'requests', rpm, used, retry}
      end
      if s == 0 then first[1] = rpm - used - 1 end
    end
    if tpm >= 0 then
      local counts = redis.call('HMGET', KEYS[k + 2], bucket, bucket - 1)
      local cur = tonumber(counts[1]) or 0
      local prev = tonumber(counts[2]) or 0
      local used = math.floor(cur + prev * (minute - into) / minute)
      if used + tokens > tpm then
        return {0, s, 'tokens', tpm, used, minute - into}
      end
      if s == 0 then first[2] = tpm - used - tokens end
    end
    if par >= 0 then
      redis.call('ZREMRANGEBYSCORE', KEYS[k + 3], '-inf', now)
      local used = redis.call('ZCARD', KEYS[k + 3])
      if used >= par then
        return {0, s, 'max_parallel_requests', par, used, 1000}
      end
    end
    if budget >= 0 then
      local values = redis.call('MGET', KEYS[k + 4], KEYS[k + 5])
      if not values[1] then
        return {-1, s}
      end
      local spent = tonumber(values[1])
      local reserved = tonumber(values[2]) or 0
      if spent + reserved + cost > budget then
        reserved = admit_sweep(KEYS[k + 5], KEYS[k + 6], now)
        if spent + reserved + cost > budget then
          return {0, s, 'budget', budget, spent, reserved}
        end
      end
      totals[s + 1] = spent + reserved + cost
    else
      totals[s + 1] = -1
    end
  end

  local member = ARGV[4] .. ':' .. id
  for s = 0, n - 1 do
    local k = s * 6
    local a = 7 + s * 5
    if tonumber(ARGV[a]) >= 0 then
      redis.call('ZADD', KEYS[k + 1], now, id)
      redis.call('PEXPIRE', KEYS[k + 1], minute + 1000)
    end
    if tonumber(ARGV[a + 1]) >= 0 then
      -- The first count of a minute creates its field: that is when the hash's expiry moves on and the old minute goes.
      if redis.call('HINCRBY', KEYS[k + 2], bucket, tokens) == tokens then
        redis.call('HDEL', KEYS[k + 2], bucket - 2)
        redis.call('PEXPIRE', KEYS[k + 2], 2 * minute + 1000)
      end
    end
    if tonumber(ARGV[a + 2]) >= 0 then
      redis.call('ZADD', KEYS[k + 3], now + lease, id)
      redis.call('PEXPIRE', KEYS[k + 3], lease + 1000)
    end
    if tonumber(ARGV[a + 3]) >= 0 then
      redis.call('ZADD', KEYS[k + 6], now + hold, member)
      -- Nothing was reserved before: the reservation keys are new (an emptied zset is deleted), so they get the window's expiry.
      if redis.call('INCRBY', KEYS[k + 5], cost) == cost then
        local ttl = tonumber(ARGV[a + 4])
        redis.call('PEXPIRE', KEYS[k + 4], ttl)
        redis.call('PEXPIRE', KEYS[k + 5], ttl)
        redis.call('PEXPIRE', KEYS[k + 6], ttl)
      end
    end
  end

  local result = {1, bucket, first[1] or -1, first[2] or -1}
  for s = 1, n do result[#result + 1] = totals[s] end
  return result
end
