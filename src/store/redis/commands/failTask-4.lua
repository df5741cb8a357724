--[[
  FailTask (worker): records the error. Not final: stays ACTIVE (ATTEMPT_FAILED). Final: FAILED, error
  callbacks dispatched with the error, success tree retired. A report on a FAILED signature answers the
  first outcome.
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
  ARGV[7]  lock id ('' = none)
  ARGV[8]  the engine's run id (must be the current run's)
  ARGV[9]  the error, JSON {message, type, attempt}
  ARGV[10] final, '1' or '0'
  Returns {'OK', flat record} (dispatched callbacks in its `cbs` field) or {'ERR', reason, ...}.
]]
--- @include "mutation"

return run_step(function()
  local h, repeated = reportable(KEY, ARGV[7], ARGV[8], RUN_STEPS.fail)
  if repeated then return { 'OK', flat(h) } end
  if ARGV[10] == '1' then
    fail_run(h, ARGV[9])
  else
    put(h, F.error, ARGV[9])
    touch(h, EV.ATTEMPT_FAILED)
  end
  commit()
  return { 'OK', flat(h) }
end)
