--[[
  The dispatcher recorded the engine's run id for the run of `attempt` (QUEUED -> TRIGGERED). An engine
  run the signature does not take is cancelled at the engine (outbox `cancel`): the signature is gone, the
  attempt is not its current one, the run was parked meanwhile or has another engine run already. So is
  the run of a removed signature or one in a CANCEL_ON_DISPATCH status, which is recorded.
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
  ARGV[7]  attempt (must be the current run's)
  ARGV[8]  the engine's run id
  ARGV[9]  the input composed at dispatch, JSON ('' = keep the stored one)
  ARGV[10] the outbox entry this step retires, whatever the outcome ('' = none)
  Returns {'OK', 1, flat record}, or {'NONE'} when there is nothing to record.
]]
--- @include "mutation"

local reply = run_step(function()
  local h = load(KEY)
  local run_id = ARGV[8]
  local taken = h and num(h, F.attempt) == tonumber(ARGV[7]) and num(h, F.dispatchState) ~= DS.PARKED
  if not taken or text(h, F.runId) ~= '' then
    if not (taken and h[F.runId] == run_id) then enqueue_cancel(KEY, run_id) end
    commit()
    return { 'NONE' }
  end
  put(h, F.runId, run_id)
  if ARGV[9] ~= '' then put(h, F.lastInput, ARGV[9]) end
  if num(h, F.dispatchState) == DS.QUEUED then put(h, F.dispatchState, DS.TRIGGERED) end
  if is_removed(h) or CANCEL_ON_DISPATCH[num(h, F.status)] then enqueue_cancel(KEY, run_id) end
  touch(h, EV.DISPATCHED)
  commit()
  return { 'OK', 1, flat(h) }
end)
retire_outbox_entry(ARGV[10])
return reply
