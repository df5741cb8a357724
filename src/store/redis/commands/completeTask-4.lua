--[[
  CompleteTask (worker): ACTIVE -> DONE with the result; success callbacks get their first run with
  base `{"<their return_field_name>": result}`; the error tree is retired. A repeat answers the first outcome.
  KEYS[1]  {p}:sig:<key>  the signature hash
  KEYS[2]  {p}:rev        the store revision
  KEYS[3]  {p}:events     the event stream
  KEYS[4]  {p}:outbox     the outbox stream
  ARGV[1]  key prefix `{p}:`
  ARGV[2]  now (Unix ms, the service's clock)
  ARGV[3]  active ttl (ms)
  ARGV[4]  done ttl (ms)
  ARGV[5]  history max (events kept, approximately)
  ARGV[6]  the signature key
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
