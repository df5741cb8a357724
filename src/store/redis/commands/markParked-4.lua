--[[
  The dispatcher did not trigger the QUEUED run of `attempt` because the signature is SUSPENDED: PARKED.
  KEYS[1..4], ARGV[1..6]: see includes/mutation.lua
  ARGV[7]  attempt (must be the current run's)
  Returns {'OK', 1, flat record}, or {'NONE'} when it does not apply.
]]
--- @include "mutation"

return run_step(function()
  local h = load(KEY)
  if not h or num(h, F.attempt) ~= tonumber(ARGV[7]) or num(h, F.status) ~= ST.SUSPENDED then return { 'NONE' } end
  if num(h, F.dispatchState) ~= DS.QUEUED then return { 'NONE' } end
  put(h, F.dispatchState, DS.PARKED)
  touch(h, EV.UPDATED)
  commit()
  return { 'OK', 1, flat(h) }
end)
