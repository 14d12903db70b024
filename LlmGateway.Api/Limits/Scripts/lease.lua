-- Leases (LimitsGate.Leases.cs): a replica takes `want` admissions of one key's scopes ahead of time and admits its next
-- requests on them in process, with no Redis call on their path. Each admission of a lease is an ordinary admission of
-- admit.lua (request id '<lease id>#<n>', the same worst-case cost and token estimate for all), counted in every counter
-- the moment the lease is granted: budgets reserve them (so a replica can never spend what another holds), the tpm
-- minute counts their tokens, and the rpm window counts them in one entry scored at the lease's end (a request admitted
-- on it before then leaves the window no earlier than the truth). That entry is written in every scope, limited by rpm
-- or not: while it is scored in the future, a refusal in that scope says how long until the lease ends (admit.lua,
-- admit_leased), and the refused request is decided again then. A request admitted on a lease settles as any other
-- (settle.lua, with its lease admission's id); lease_return gives back what the lease did not use.
-- Defined after admit.lua and settle.lua (LimitScripts).

-- lease_grant(KEYS, ARGV, now): KEYS and ARGV as admit.lua's for one request (ARGV[1] is the lease id), then two more
-- arguments: how many admissions are wanted, and the lease's life (ms). No lease near a limit: it is granted only when
-- every limited scope keeps room for four times what the lease takes (near a limit every request goes to Redis, which
-- decides alone, as without leases), and never for a scope with a parallel limit.
-- Returns {admissions granted, bucket, rpm remaining of scope 1, tpm remaining of scope 1, spent+reserved per scope...,
-- Redis' clock (ms)}, {0} when no lease is granted, or {-1, scope} when a budget counter must be seeded.
local function lease_grant(keys, argv, now)
  local n = tonumber(argv[2])
  local tokens = tonumber(argv[3])
  local cost = tonumber(argv[4])
  local k = tonumber(argv[7 + n * 5])
  local life = tonumber(argv[8 + n * 5])
  local bucket = math.floor(now / admit_minute)
  local into = now % admit_minute
  local st = {rpm = {order = {}}, tpm = {order = {}}, par = {order = {}}, budget = {order = {}}}
  for s = 0, n - 1 do
    local kk = s * 6
    local a = 7 + s * 5
    local rpm, tpm, par, budget = tonumber(argv[a]), tonumber(argv[a + 1]), tonumber(argv[a + 2]), tonumber(argv[a + 3])
    if par >= 0 then return {0} end
    local window = admit_requests(st.rpm, keys[kk + 1], now - admit_minute)
    if rpm >= 0 then k = math.min(k, math.floor((rpm - window.count) / 4)) end
    if tpm >= 0 then
      local counts = admit_tokens(st.tpm, keys[kk + 2], bucket)
      local used = math.floor(counts.cur + counts.prev * (admit_minute - into) / admit_minute)
      if tokens > 0 then k = math.min(k, math.floor((tpm - used) / (4 * tokens)))
      elseif used > tpm then k = 0 end -- as admit.lua refuses a request of no tokens past the limit
    end
    if budget >= 0 then
      local b = admit_budget(st.budget, keys, kk)
      if not b.spent then return {-1, s} end
      if cost > 0 then k = math.min(k, math.floor((budget - b.spent - b.reserved) / (4 * cost)))
      elseif b.spent + b.reserved > budget then k = 0 end -- as admit.lua refuses a free request past the budget
    end
  end
  if k < 2 then return {0} end

  local member = {}
  for i = 1, 6 + n * 5 do member[i] = argv[i] end
  for i = 1, k do
    member[1] = argv[1] .. '#' .. i
    admit_take(st, keys, member, now, bucket)
  end
  -- The lease's entry in the windows of scopes without an rpm limit too (admit_take counts only limited ones).
  for s = 0, n - 1 do
    if tonumber(argv[7 + s * 5]) < 0 then
      local window = st.rpm[keys[s * 6 + 1]]
      window.count = window.count + k
      window.added = window.added + k
      window.first = window.first or argv[1] .. '#1'
    end
  end
  admit_write(st, now, bucket, now + life)

  local result = {k, bucket, -1, -1}
  for s = 0, n - 1 do
    local kk = s * 6
    local a = 7 + s * 5
    if s == 0 and tonumber(argv[a]) >= 0 then result[3] = tonumber(argv[a]) - st.rpm[keys[kk + 1]].count end
    if s == 0 and tonumber(argv[a + 1]) >= 0 then
      local counts = st.tpm[keys[kk + 2]]
      result[4] = tonumber(argv[a + 1]) - math.floor(counts.cur + counts.prev * (admit_minute - into) / admit_minute)
    end
    if tonumber(argv[a + 3]) >= 0 then
      local b = st.budget[keys[kk + 4]]
      result[5 + s] = b.spent + b.reserved
    else
      result[5 + s] = -1
    end
  end
  result[#result + 1] = now
  return result
end

-- The rpm entry of a lease (in any scope's window, all have it): its admissions and its score, or nil.
local function lease_find(key, first, now)
  local suffix = ':' .. first
  for _, range in ipairs({{'(' .. now, '+inf'}, {'-inf', now}}) do
    local entries = redis.call('ZRANGEBYSCORE', key, range[1], range[2], 'WITHSCORES')
    for i = 1, #entries, 2 do
      if string.sub(entries[i], -#suffix) == suffix then
        return tonumber(string.match(entries[i], '^(%d+):')), tonumber(entries[i + 1])
      end
    end
  end
  return nil
end

-- lease_return(KEYS, ARGV, now): gives back the admissions a lease did not use. KEYS as settle.lua's; ARGV as settle.lua's
-- for one request (ARGV[1] the lease id, the actual tokens and cost 0), then: the admissions granted (0: unknown, the
-- grant's answer was lost), how many were used (the first ones: a replica uses them in order), and the lease's life
-- (ms). Each unused admission is settled at no cost (its reservation and tokens given back); the lease's rpm entry keeps the used ones only, scored now (no later than the truth, as every
-- request on it was admitted by now) and marked returned ('!'), which also ends the lease for admit_leased. A second return (one Redis did not
-- answer is sent again after an outage) finds no entry and no live reservation: a no-op.
-- Returns how many admissions were given back.
local function lease_return(keys, argv, now)
  local n = tonumber(argv[2])
  local k = tonumber(argv[8 + n * 3])
  local used = tonumber(argv[9 + n * 3])
  local first = argv[1] .. '#1'
  if k == 0 then
    -- A grant whose answer was lost (a slow or frozen Redis may run it late): how many it granted, and in which minute,
    -- from its rpm entry (scored at its end: the grant's clock plus its life, the last argument). None: nothing to give back.
    local score
    k, score = lease_find(keys[1], first, now)
    if not k then return 0 end
    argv[5] = tostring(math.floor((score - tonumber(argv[10 + n * 3])) / admit_minute))
  end
  local entry = k .. ':' .. first
  -- Only the first return finds the lease's own rpm entry: a later one (replayed after an outage) corrects no token count.
  local first_return = redis.call('ZSCORE', keys[1], entry) ~= false
  local members = {}
  for i = used + 1, k do
    local member = {}
    for j = 1, 7 + n * 3 do member[j] = argv[j] end
    member[1] = argv[1] .. '#' .. i
    if not first_return then member[4] = member[3] end
    members[#members + 1] = {keys, member}
  end
  if #members > 0 then settle_members(members) end
  for s = 0, n - 1 do
    local key = keys[s * 6 + 1]
    if redis.call('ZREM', key, entry) == 1 then
      if used > 0 then redis.call('ZADD', key, now, used .. ':' .. first .. '!') end
      local mark = redis.call('ZSCORE', key, '#')
      if mark and k > used then redis.call('ZADD', key, tonumber(mark) + (k - used), '#') end
    end
  end
  return k - used
end
