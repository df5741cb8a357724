--[[
  UnlockSignature: releases the live lease.
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
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
