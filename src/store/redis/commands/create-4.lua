--[[
  CreateSignature: writes a new signature whose callbacks exist and are not removed.
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
  ARGV[7]  request id ('' = none); a request id seen before returns the signature it created
  ARGV[8]  request id ttl (ms)
  ARGV[9]  the callback keys (success then error), JSON array
  ARGV[10..] the new record: field, value, field, value, ... (flat layout)
  Returns {'OK', changed 0|1, flat record} or {'ERR', reason, ...}.
]]
--- @include "mutation"

return run_step(function()
  local request_id = ARGV[7]
  local first = replayed_request(request_id)
  if first then return { 'OK', 0, flat(first) } end
  require_callbacks(ARGV[9])

  local h = { [F.key] = KEY }
  put(h, F.key, KEY)
  for i = 10, #ARGV, 2 do put(h, ARGV[i], ARGV[i + 1]) end
  quota_check(h, redis.call('EXISTS', SIG_KEY) == 0)
  redis.call('DEL', SIG_KEY) -- a hash left under the key (expired by the service clock) is replaced whole
  index_add(h)
  touch(h, EV.CREATED)
  commit()
  if request_id ~= '' then redis.call('SET', req_key(request_id), KEY, 'PX', ARGV[8]) end
  return { 'OK', 1, flat(h) }
end)
