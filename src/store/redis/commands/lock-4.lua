--[[
  LockSignature: takes a lease, or renews the live one.
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
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
