--[[
  LockSignature: takes a lease, or renews the live one.
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
  ARGV[7]  new lock id (used when a lease is taken)
  ARGV[8]  lock id to renew ('' = take a new lease)
  ARGV[9]  ttl (ms)
  ARGV[10] owner
  Returns {'OK', 1, flat record} or {'ERR', reason, ...}.
]]
--- @include "mutation"

return run_step(function()
  local h = must_exist(KEY)
  check_not_removed(h)
  local renew = ARGV[8]
  if renew ~= '' then
    if not has_live_lock(h) or h[F.lockId] ~= renew then refuse('LOCK_MISMATCH') end
  else
    if has_live_lock(h) then refuse_locked(h) end
    put(h, F.lockId, ARGV[7])
  end
  put(h, F.lockOwner, ARGV[10])
  put(h, F.lockExpire, NOW + tonumber(ARGV[9]))
  touch(h, EV.LOCKED)
  commit()
  return { 'OK', 1, flat(h) }
end)
