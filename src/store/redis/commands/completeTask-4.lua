--[[
  CompleteTask (worker): ACTIVE -> DONE with the result; success callbacks get their first run with
  base `{"<their return_field_name>": result}`; the error tree is retired. A repeat answers the first outcome.
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
  ARGV[7]  lock id ('' = none)
  ARGV[8]  the engine's run id (must be the current run's)
  ARGV[9]  the result, JSON
  Returns {'OK', flat record} (dispatched callbacks in its `cbs` field) or {'ERR', reason, ...}.
]]
--- @include "mutation"

return run_step(function()
  local h, repeated = reportable(KEY, ARGV[7], ARGV[8], RUN_STEPS.complete)
  if repeated then return { 'OK', flat(h) } end
  local result = ARGV[9]
  put(h, F.result, result)
  set_status(h, RUN_STEPS.complete.to)
  local dispatched = dispatch_callbacks(key_list(h, F.successCallbacks), function(cb)
    return json_member_object(text(cb, F.returnFieldName), result)
  end)
  put(h, F.dispatchedCallbacks, json_string_array(dispatched))
  retire(key_list(h, F.errorCallbacks), true, true, { [KEY] = true })
  commit()
  return { 'OK', flat(h) }
end)
