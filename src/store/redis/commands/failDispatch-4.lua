--[[
  The run of `attempt` can never be triggered: a dispatchable signature ends as by a final FailTask.
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
  ARGV[7]  attempt (must be the current run's)
  ARGV[8]  the error, JSON {message, type, attempt}
  ARGV[9]  the outbox entry this step retires, whatever the outcome ('' = none)
  Returns {'OK', flat record}, or {'NONE'} when it does not apply.
]]
--- @include "mutation"

local reply = run_step(function()
  local h = load(KEY)
  if not h or num(h, F.attempt) ~= tonumber(ARGV[7]) or not dispatchable(h) then
    return { 'NONE' }
  end
  fail_run(h, ARGV[8])
  commit()
  return { 'OK', flat(h) }
end)
retire_outbox_entry(ARGV[9])
return reply
