--[[
  UpdateSignature: writes the given fields (the handler resolved merges).
  KEYS[1..4], ARGV[1..6]: see includes/mutation.lua
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
