-- Admits a request against every scope (key, team, key+model) atomically: sliding-window rpm (exact),
-- sliding-window-counter tpm, parallel requests (leases), and budget (spent + reserved + worst case <= limit).
-- Nothing is written unless every scope admits. All keys of one call share a hash tag (one cluster slot).
-- KEYS, 7 per scope: rpm zset, tpm hash, parallel zset, spent, reserved, reservation zset, reservation hash
-- ARGV: request id, scopes, estimated tokens, worst-case cost (nanos), parallel lease ms, reservation lease ms, then 5 per scope:
--       rpm limit, tpm limit, parallel limit, budget (nanos), spent key ttl ms   (-1 = no limit)
-- Returns {1, bucket, rpm remaining of scope 1, tpm remaining of scope 1, rpm reset ms, spent+reserved per scope...}
--      or {0, scope, kind, limit, used, retry after ms} or {-1, scope} when a budget counter must be seeded.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
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
  local k = s * 7
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
    local cur = tonumber(redis.call('HGET', KEYS[k + 2], bucket) or '0')
    local prev = tonumber(redis.call('HGET', KEYS[k + 2], bucket - 1) or '0')
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
    local expired = redis.call('ZRANGEBYSCORE', KEYS[k + 6], '-inf', now, 'LIMIT', 0, 100)
    for _, rid in ipairs(expired) do
      local amount = redis.call('HGET', KEYS[k + 7], rid)
      if amount then redis.call('DECRBY', KEYS[k + 5], amount) end
      redis.call('HDEL', KEYS[k + 7], rid)
      redis.call('ZREM', KEYS[k + 6], rid)
    end
    local spent = redis.call('GET', KEYS[k + 4])
    if not spent then
      return {-1, s}
    end
    local reserved = tonumber(redis.call('GET', KEYS[k + 5]) or '0')
    local total = tonumber(spent) + reserved
    if total + cost > budget then
      return {0, s, 'budget', budget, tonumber(spent), reserved}
    end
    totals[s + 1] = total + cost
  else
    totals[s + 1] = -1
  end
end

for s = 0, n - 1 do
  local k = s * 7
  local a = 7 + s * 5
  if tonumber(ARGV[a]) >= 0 then
    redis.call('ZADD', KEYS[k + 1], now, id)
    redis.call('PEXPIRE', KEYS[k + 1], minute + 1000)
  end
  if tonumber(ARGV[a + 1]) >= 0 then
    redis.call('HINCRBY', KEYS[k + 2], bucket, tokens)
    redis.call('HDEL', KEYS[k + 2], bucket - 2)
    redis.call('PEXPIRE', KEYS[k + 2], 2 * minute + 1000)
  end
  if tonumber(ARGV[a + 2]) >= 0 then
    redis.call('ZADD', KEYS[k + 3], now + lease, id)
    redis.call('PEXPIRE', KEYS[k + 3], lease + 1000)
  end
  if tonumber(ARGV[a + 3]) >= 0 then
    local ttl = tonumber(ARGV[a + 4])
    redis.call('INCRBY', KEYS[k + 5], cost)
    redis.call('ZADD', KEYS[k + 6], now + hold, id)
    redis.call('HSET', KEYS[k + 7], id, cost)
    redis.call('PEXPIRE', KEYS[k + 4], ttl)
    redis.call('PEXPIRE', KEYS[k + 5], ttl)
    redis.call('PEXPIRE', KEYS[k + 6], ttl)
    redis.call('PEXPIRE', KEYS[k + 7], ttl)
  end
end

local result = {1, bucket, first[1] or -1, first[2] or -1}
for s = 1, n do result[#result + 1] = totals[s] end
return result
