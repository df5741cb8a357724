--[[
  The run of `attempt` can never be triggered: a PENDING, not removed signature ends as by a final FailTask.
  KEYS[1..4], ARGV[1..6]: see includes/mutation.lua
  ARGV[7]  attempt (must be the current run's)
  ARGV[8]  the error, JSON {message, type, attempt}
  Returns {'OK', flat record}, or {'NONE'} when it does not apply.
]]
--- @include "mutation"

return run_step(function()
  local h = load(KEY)
  if not h or num(h, F.attempt) ~= tonumber(ARGV[7]) or num(h, F.status) ~= ST.PENDING or is_removed(h) then
    return { 'NONE' }
  end
  fail_run(h, ARGV[8])
  commit()
  return { 'OK', flat(h) }
end)
