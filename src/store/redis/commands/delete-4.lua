--[[
  DeleteSignature: removes the signature and its index entries now (also when it was removed).
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
  ARGV[7]  lock id ('' = none)
  ARGV[8]  expected revision (0 = any)
  Returns {'OK', revision} or {'ERR', reason, ...}. The DELETED event holds the record before deletion.
]]
--- @include "mutation"

return run_step(function()
  local h = guarded(KEY, ARGV[7], tonumber(ARGV[8]), true)
  CT.refuse_live_child(h)
  touch(h, EV.DELETED)
  withdraw_queued_run(h, true)
  local revision = commit()
  redis.call('DEL', SIG_KEY)
  quota_forget(KEY)
  index_remove(h)
  return { 'OK', revision }
end)
