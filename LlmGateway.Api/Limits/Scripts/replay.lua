-- Counts the cost of requests settled on one replica while Redis was unreachable, each exactly once: a marker per
-- request id (SET NX) makes a replay of the same request a no-op. A counter that is gone is left to be seeded from
-- the ledger, which has the request too.
-- KEYS: spent counter, then one marker per request.  ARGV: marker ttl ms, then one cost (nanos) per request.
local counted = 0
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'PX', ARGV[1]) and redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('INCRBY', KEYS[1], ARGV[i])
    counted = counted + 1
  end
end
return counted
