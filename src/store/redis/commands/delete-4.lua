--[[
  DeleteSignature: removes the signature and its index entries now (also when it was removed).
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
  Returns {'OK', revision} or {'ERR', reason, ...}. The DELETED event holds the record before deletion.
]]
--- @include "mutation"

return run_step(function()
  local h = guarded(KEY, ARGV[7], tonumber(ARGV[8]), true)
  touch(h, EV.DELETED)
  withdraw_queued_run(h, true)
  local revision = commit()
  redis.call('DEL', KEYS[1])
  index_remove(h)
  return { 'OK', revision }
end)
