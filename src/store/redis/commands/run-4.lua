--[[
  RunSignature: commits the first run of a RUNNABLE signature: QUEUED + outbox `trigger`, or PARKED.
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
  ARGV[7]  lock id ('' = none)
  ARGV[8]  expected revision (0 = any)
  ARGV[9]  request id ('' = none); the same id as the existing run's answers it unchanged
  ARGV[10] 'input': ARGV[11] is the composed, validated input; 'message': the input is
           deep_merge(ARGV[11], kwargs), composed here unless the signature has an input schema
  ARGV[11] JSON object: the input or the message
  ARGV[12] the run's engine metadata, JSON object
  Returns {'OK', changed 0|1, flat record}, {'VALIDATE', flat record} when a message meets an input
  schema (nothing written: the caller composes and validates the input, then runs it with 'input' and
  this record's revision), or {'ERR', reason, ...}.
]]
--- @include "mutation"
--- @include "json"

return run_step(function()
  local h = guarded(KEY, ARGV[7], tonumber(ARGV[8]), false)
  local request_id = ARGV[9]
  if num(h, F.attempt) > 0 then
    if request_id ~= '' and request_id == h[F.runRequestId] then return { 'OK', 0, flat(h) } end
    refuse('ALREADY_DISPATCHED', 'run_id', text(h, F.runId))
  end
  local st = num(h, F.status)
  if not RUNNABLE[st] then refuse_status('INVALID_TRANSITION', st) end
  if text(h, F.containerKey) ~= '' then refuse('IN_CONTAINER', 'container_key', h[F.containerKey]) end

  local input = ARGV[11]
  if CT.is_container(h) then
    -- A container has no task and no schema: its run starts its children (includes/containers.lua).
    if ARGV[10] == 'message' then input = compose_run_input(input, text(h, F.kwargs) == '' and '{}' or h[F.kwargs]) end
    put(h, F.runRequestId, request_id)
    put(h, F.runMetadata, ARGV[12])
    CT.run(h, input)
    commit()
    return { 'OK', 1, flat(h) }
  end
  if ARGV[10] == 'message' then
    if text(h, F.inputSchema) ~= '' then return { 'VALIDATE', flat(h) } end
    local kwargs = text(h, F.kwargs)
    input = compose_run_input(input, kwargs == '' and '{}' or kwargs)
  end
  put(h, F.lastInput, input)
  put(h, F.runRequestId, request_id)
  put(h, F.runMetadata, ARGV[12])
  new_run(h, 1, new_run_state(st))
  commit()
  return { 'OK', 1, flat(h) }
end)
