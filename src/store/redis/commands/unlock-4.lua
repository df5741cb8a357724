--[[
  UnlockSignature: releases the live lease.
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
  ARGV[7]  lock id (must be the live lease)
  Returns {'OK', 1, flat record} or {'ERR', reason, ...}.
]]
--- @include "mutation"

return run_step(function()
  local h = must_exist(KEY)
  if not has_live_lock(h) or h[F.lockId] ~= ARGV[7] then refuse('LOCK_MISMATCH') end
  put(h, F.lockId, '')
  put(h, F.lockOwner, '')
  put(h, F.lockExpire, '')
  touch(h, EV.UNLOCKED)
  commit()
  return { 'OK', 1, flat(h) }
end)
