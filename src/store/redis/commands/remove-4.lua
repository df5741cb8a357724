--[[
  RemoveSignature: retires the signature and, per flags, its callback trees. A removed one: no-op.
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
  ARGV[7]  lock id ('' = none)
  ARGV[8]  expected revision (0 = any)
  ARGV[9]  with error tree, '1' or '0'
  ARGV[10] with success tree, '1' or '0'
  Returns {'OK', revision, {retired keys}} (the store's current revision and no keys for a no-op)
  or {'ERR', reason, ...}.
]]
--- @include "mutation"

return run_step(function()
  local h = guarded(KEY, ARGV[7], tonumber(ARGV[8]), true)
  if is_removed(h) then return { 'OK', current_revision(), {} } end
  CT.refuse_live_child(h)
  local keys = retire({ KEY }, ARGV[9] == '1', ARGV[10] == '1', {})
  return { 'OK', commit(), keys }
end)
