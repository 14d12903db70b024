-- admit_members(members, now) admits requests, in order, each against every scope of its own (key, team, key+model...)
-- atomically: sliding-window rpm (exact), sliding-window-counter tpm, parallel requests (leases), and budget (spent +
-- reserved + worst case <= limit). Nothing is written for a request unless every one of its scopes admits it.
-- All keys of one call share hash tags (one cluster slot per tag).
-- members: a list of {KEYS, ARGV}, one per request (the single script passes one, batch.lua a batch's):
-- KEYS, 6 per scope: rpm zset (below), tpm hash, parallel zset, spent, reserved, holds (the reservations, a zset)
--       (member "<reserved nanos>:<request id>", score = when the reservation lapses)
-- ARGV: request id, scopes, estimated tokens, worst-case cost (nanos), parallel lease ms, reservation lease ms, then 5 per scope:
--       rpm limit, tpm limit, parallel limit, budget (nanos), spent key ttl ms   (-1 = no limit)
-- Returns per member {1, bucket, rpm remaining of scope 1, tpm remaining of scope 1, spent+reserved per scope...}
--      or {0, scope, kind, limit, used, retry after ms (budget: reserved), ms until the scope's last lease ends (0: none)}
--      or {-1, scope} when a budget counter must be seeded.
-- Every redis.call costs about a microsecond of Redis CPU on top of its work, so each counter a call touches is read
-- once (when a member first needs it), kept in Lua memory while the members are decided one after the other (a later
-- member sees what the earlier ones took), and written once at the end: one ZADD with every admitted member (one entry
-- for all of them in the rpm window), one HINCRBY/INCRBY with the sum, one PEXPIRE. So a batch of n costs the calls of one admission, and answers and leaves
-- every counter as n single admissions in that order would (LimitBatchScriptsTests). Key expiries are set when a
-- counter is created, and lapsed reservations are swept only when they would refuse.

local admit_minute = 60000
-- The longest a lease (lease.lua) may be used (LimitsGate.LeaseLifeMostMs): its rpm entry is scored up to that far in the
-- future, so an rpm window lives that much longer than a minute past its last write, whoever wrote last.
local admit_lease_most = 5000

-- Integers as Redis arguments: Lua would print large numbers as 5e+14.
local function admit_int(x)
  return string.format('%d', x)
end

-- Redis' clock in milliseconds: read once per script, whatever the number of admissions it runs.
local function admit_clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Keeps the state of one counter for this call (read on first use); `order` lists the keys in the order first used.
local function admit_keep(states, key, state)
  states[key] = state
  states.order[#states.order + 1] = key
  return state
end

-- The parallel leases: one entry per request (its settle removes it); entries scored at or below `floor` have lapsed.
local function admit_window(states, key, floor)
  if states[key] then return states[key] end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', floor)
  local count = redis.call('ZCARD', key)
  return admit_keep(states, key, {count = count, stored = count, ids = {}, adds = {}})
end

-- Enters a request id into a window (a second entry of the same id replaces the first, as ZADD does).
local function admit_enter(window, score, id, ttl)
  if not window.ids[id] then
    window.ids[id] = true
    window.count = window.count + 1
  end
  window.adds[#window.adds + 1] = score
  window.adds[#window.adds + 1] = id
  window.ttl = ttl
end

-- The rpm window holds one entry per call and scope, not one per request: member '<n>:<first request id>' scored the
-- instant this call admitted its n requests, and the member '#' scored minus the requests in the window. So a batch
-- adds one entry whatever its size, and reading the count is part of reading what left the window. A member without
-- '<n>:' (the former layout's request id) is one request; a window without '#' is counted with ZCARD, once. Every
-- admission counts, even of a request id admitted before (the gateway never does that; it would count twice: above the
-- truth, never below).
local admit_expire_most = 256

local function admit_entries(member)
  return tonumber(string.match(member, '^(%d+):')) or 1
end

-- Removes entries scored at or below `floor` (at most `most` of them; all when `most` is nil) and takes the requests
-- they held off the window's count (read from '#' on the first pass). `window.partial`: some may be left, so the count
-- may be above the truth (never below): a refusal expires the rest first.
local function admit_expire(window, key, floor, most)
  local left = most and redis.call('ZRANGEBYSCORE', key, '-inf', floor, 'WITHSCORES', 'LIMIT', 0, most)
    or redis.call('ZRANGEBYSCORE', key, '-inf', floor, 'WITHSCORES')
  local marked, gone, removed = false, 0, 0
  for i = 1, #left, 2 do
    if left[i] == '#' then
      marked = true
      if window.count == nil then window.count = -tonumber(left[i + 1]) end
    else
      gone = gone + admit_entries(left[i])
      removed = removed + 1
    end
  end
  if removed > 0 then
    local first = marked and 1 or 0
    redis.call('ZREMRANGEBYRANK', key, first, first + removed - 1)
    window.removed = true
  end
  if window.count == nil then
    window.count = redis.call('ZCARD', key)
    window.removed = window.removed or window.count > 0
  else
    window.count = window.count - gone
  end
  window.partial = most ~= nil and #left >= most
end

local function admit_requests(states, key, floor)
  if states[key] then return states[key] end
  local window = {added = 0, floor = floor}
  admit_expire(window, key, floor, admit_expire_most)
  window.stored = window.count
  return admit_keep(states, key, window)
end

-- When the oldest request of a full rpm window leaves it: Redis' oldest entry, else one this call entered (now).
local function admit_retry(window, key, now)
  if window.oldest == nil then
    window.oldest = false
    if window.stored > 0 then
      local oldest = redis.call('ZRANGEBYSCORE', key, 0, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
      if oldest[2] then window.oldest = tonumber(oldest[2]) end
    end
  end
  local oldest = window.oldest
  if not oldest and window.added > 0 then oldest = now end
  if not oldest then return 1000 end
  return math.max(1, admit_minute - (now - oldest))
end

local function admit_tokens(states, key, bucket)
  if states[key] then return states[key] end
  local counts = redis.call('HMGET', key, bucket, bucket - 1)
  local cur = tonumber(counts[1]) or 0
  return admit_keep(states, key, {cur = cur, prev = tonumber(counts[2]) or 0, fresh = cur == 0, add = 0, taken = false})
end

-- A budget's spent and reserved (spent is nil when the counter must be seeded), keyed by its spent key.
local function admit_budget(states, keys, k)
  local key = keys[k + 4]
  if states[key] then return states[key] end
  local values = redis.call('MGET', key, keys[k + 5])
  return admit_keep(states, key, {spent = tonumber(values[1]), reserved = tonumber(values[2]) or 0, add = 0, holds = {}, held = {},
    spent_key = key, reserved_key = keys[k + 5], holds_key = keys[k + 6]})
end

-- Releases reservations whose lease lapsed (their request's replica died before settling); `reserved` is what stays.
-- A reservation this call made again (the same request id) is live: its ZADD would have renewed it.
local function admit_sweep(budget, now)
  local lapsed = redis.call('ZRANGEBYSCORE', budget.holds_key, '-inf', now, 'LIMIT', 0, 100)
  local released = {}
  local total = 0
  for _, member in ipairs(lapsed) do
    if not budget.held[member] then
      released[#released + 1] = member
      total = total + tonumber(string.match(member, '^(%d+):'))
    end
  end
  if #released > 0 then
    redis.call('DECRBY', budget.reserved_key, admit_int(total))
    redis.call('ZREM', budget.holds_key, unpack(released))
    budget.reserved = budget.reserved - total
  end
end

-- How long until the last lease (lease.lua) counted in a scope ends: its entry in the scope's rpm window is scored in
-- the future until it is given back. A refusal carries it: what the lease holds unused may admit the request then.
-- A lease past its end whose return has not come yet (its replica's timer fired late under load) still holds its unused
-- admissions: for admit_lease_grace after its end a refusal is told to look again in admit_lease_recheck. A returned
-- lease's entry ends in '!' (lease_return), a live one in '#1' (its first admission's id; a request's id never has '#'):
-- only a live one is waited for.
local admit_lease_grace = 1000
local admit_lease_recheck = 20
local function admit_leased(key, now)
  local last = redis.call('ZREVRANGEBYSCORE', key, '+inf', '(' .. now, 'WITHSCORES', 'LIMIT', 0, 1)
  if last[2] then return tonumber(last[2]) - now end
  local recent = redis.call('ZREVRANGEBYSCORE', key, now, '(' .. (now - admit_lease_grace), 'LIMIT', 0, 32)
  for _, member in ipairs(recent) do
    if string.sub(member, -2) == '#1' then return admit_lease_recheck end
  end
  return 0
end

-- Decides one request against the call's state; returns its answer, and whether it was admitted.
local function admit_check(st, keys, argv, now, bucket)
  local n = tonumber(argv[2])
  local tokens = tonumber(argv[3])
  local cost = tonumber(argv[4])
  local into = now % admit_minute
  local first = {}
  local result = {1, bucket, -1, -1}
  for s = 0, n - 1 do
    local k = s * 6
    local a = 7 + s * 5
    local rpm, tpm, par, budget = tonumber(argv[a]), tonumber(argv[a + 1]), tonumber(argv[a + 2]), tonumber(argv[a + 3])
    if rpm >= 0 then
      local window = admit_requests(st.rpm, keys[k + 1], now - admit_minute)
      if window.count >= rpm and window.partial then
        admit_expire(window, keys[k + 1], window.floor, nil)
        window.stored = window.count - window.added
      end
      if window.count >= rpm then
        return {0, s, 'requests', rpm, window.count, admit_retry(window, keys[k + 1], now), admit_leased(keys[k + 1], now)}
      end
      if s == 0 then result[3] = rpm - window.count - 1 end
    end
    if tpm >= 0 then
      local counts = admit_tokens(st.tpm, keys[k + 2], bucket)
      local used = math.floor(counts.cur + counts.prev * (admit_minute - into) / admit_minute)
      if used + tokens > tpm then
        return {0, s, 'tokens', tpm, used, admit_minute - into, admit_leased(keys[k + 1], now)}
      end
      if s == 0 then result[4] = tpm - used - tokens end
    end
    if par >= 0 then
      local window = admit_window(st.par, keys[k + 3], now)
      if window.count >= par then
        return {0, s, 'max_parallel_requests', par, window.count, 1000}
      end
    end
    if budget >= 0 then
      local b = admit_budget(st.budget, keys, k)
      if not b.spent then
        return {-1, s}
      end
      if b.spent + b.reserved + cost > budget then
        admit_sweep(b, now)
        if b.spent + b.reserved + cost > budget then
          return {0, s, 'budget', budget, b.spent, b.reserved, admit_leased(keys[k + 1], now)}
        end
      end
      result[5 + s] = b.spent + b.reserved + cost
    else
      result[5 + s] = -1
    end
  end
  return result, true
end

-- Takes what an admitted request counts, in the call's state (written by admit_write).
local function admit_take(st, keys, argv, now, bucket)
  local id = argv[1]
  local tokens = tonumber(argv[3])
  local cost = tonumber(argv[4])
  local lease = tonumber(argv[5])
  local member = argv[4] .. ':' .. id
  for s = 0, tonumber(argv[2]) - 1 do
    local k = s * 6
    local a = 7 + s * 5
    if tonumber(argv[a]) >= 0 then
      local window = st.rpm[keys[k + 1]]
      window.count = window.count + 1
      window.added = window.added + 1
      window.first = window.first or id
    end
    if tonumber(argv[a + 1]) >= 0 then
      local counts = st.tpm[keys[k + 2]]
      counts.cur = counts.cur + tokens
      counts.add = counts.add + tokens
      counts.taken = true
    end
    if tonumber(argv[a + 2]) >= 0 then
      admit_enter(st.par[keys[k + 3]], now + lease, id, lease + 1000)
    end
    if tonumber(argv[a + 3]) >= 0 then
      local b = st.budget[keys[k + 4]]
      -- Nothing was reserved before: the reservation keys are new (an emptied zset is deleted), so they get the window's expiry.
      if b.reserved == 0 then b.ttl = argv[a + 4] end
      b.reserved = b.reserved + cost
      b.add = b.add + cost
      b.held[member] = true
      b.holds[#b.holds + 1] = now + tonumber(argv[6])
      b.holds[#b.holds + 1] = member
    end
  end
end

-- Writes each counter once: what every admitted request of the call took. The rpm entry is scored `rpm_at` (now, or a
-- lease's end: lease.lua).
local function admit_write(st, now, bucket, rpm_at)
  for _, key in ipairs(st.rpm.order) do
    local window = st.rpm[key]
    if window.added > 0 then
      redis.call('ZADD', key, rpm_at or now, window.added .. ':' .. window.first, -window.count, '#')
      redis.call('PEXPIRE', key, admit_minute + 1000 + admit_lease_most + (rpm_at or now) - now)
    elseif window.removed then
      redis.call('ZADD', key, -window.count, '#')
    end
  end
  for _, key in ipairs(st.par.order) do
    local window = st.par[key]
    if #window.adds > 0 then
      redis.call('ZADD', key, unpack(window.adds))
      redis.call('PEXPIRE', key, window.ttl)
    end
  end
  for _, key in ipairs(st.tpm.order) do
    local counts = st.tpm[key]
    if counts.taken then
      redis.call('HINCRBY', key, bucket, admit_int(counts.add))
      -- The first count of a minute creates its field: that is when the hash's expiry moves on and the old minute goes.
      if counts.fresh then
        redis.call('HDEL', key, bucket - 2)
        redis.call('PEXPIRE', key, 2 * admit_minute + 1000)
      end
    end
  end
  for _, key in ipairs(st.budget.order) do
    local b = st.budget[key]
    if #b.holds > 0 then
      redis.call('ZADD', b.holds_key, unpack(b.holds))
      redis.call('INCRBY', b.reserved_key, admit_int(b.add))
      if b.ttl then
        redis.call('PEXPIRE', b.spent_key, b.ttl)
        redis.call('PEXPIRE', b.reserved_key, b.ttl)
        redis.call('PEXPIRE', b.holds_key, b.ttl)
      end
    end
  end
end

local function admit_members(members, now)
  local bucket = math.floor(now / admit_minute)
  local st = {rpm = {order = {}}, tpm = {order = {}}, par = {order = {}}, budget = {order = {}}}
  local results = {}
  for m, member in ipairs(members) do
    local result, admitted = admit_check(st, member[1], member[2], now, bucket)
    if admitted then admit_take(st, member[1], member[2], now, bucket) end
    results[m] = result
  end
  admit_write(st, now, bucket)
  return results
end
