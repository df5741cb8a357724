--[[
  UpdateSignature: writes the given fields (the handler resolved merges).
  KEYS[1]  {p}:sig:<key>  the signature hash
  KEYS[2]  {p}:rev        the store revision
  KEYS[3]  {p}:events     the event stream
  KEYS[4]  {p}:outbox     the outbox stream
  ARGV[1]  key prefix `{p}:`
  ARGV[2]  now (Unix ms, the service's clock)
  ARGV[3]  active ttl (ms)
  ARGV[4]  done ttl (ms)
  ARGV[5]  history max (events kept, approximately)
  ARGV[6]  the signature key
  ARGV[7]  lock id ('' = none)
  ARGV[8]  expected revision (0 = any)
  ARGV[9..] fields to write: field, value, ... ('' clears a field)
  Returns {'OK', 1, flat record} or {'ERR', reason, ...}.
]]
--- @include "mutation"

return run_step(function()
  local h = guarded(KEY, ARGV[7], tonumber(ARGV[8]), false)
  for i = 9, #ARGV, 2 do put(h, ARGV[i], ARGV[i + 1]) end
  touch(h, EV.UPDATED)
  commit()
  return { 'OK', 1, flat(h) }
end)
