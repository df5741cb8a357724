--[[
  The dispatcher recorded the engine's run id for the run of `attempt` (QUEUED -> TRIGGERED). A second
  engine run for a run that has one already, or a run of an INTERRUPTED, CANCELED or removed signature,
  is cancelled at the engine (outbox `cancel`).
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
  ARGV[7]  attempt (must be the current run's)
  ARGV[8]  the engine's run id
  ARGV[9]  the input composed at dispatch, JSON ('' = keep the stored one)
  ARGV[10] the outbox entry this step retires, whatever the outcome ('' = none)
  Returns {'OK', 1, flat record}, or {'NONE'} when there is nothing to record.
]]
--- @include "mutation"

local reply = run_step(function()
  local h = load(KEY)
  if not h or num(h, F.attempt) ~= tonumber(ARGV[7]) then return { 'NONE' } end
  local run_id = ARGV[8]
  if text(h, F.runId) ~= '' then
    if h[F.runId] ~= run_id then enqueue_cancel(KEY, run_id) end
    commit()
    return { 'NONE' }
  end
  put(h, F.runId, run_id)
  if ARGV[9] ~= '' then put(h, F.lastInput, ARGV[9]) end
  if num(h, F.dispatchState) == DS.QUEUED then put(h, F.dispatchState, DS.TRIGGERED) end
  local st = num(h, F.status)
  if is_removed(h) or st == ST.INTERRUPTED or st == ST.CANCELED then enqueue_cancel(KEY, run_id) end
  touch(h, EV.DISPATCHED)
  commit()
  return { 'OK', 1, flat(h) }
end)
retire_outbox_entry(ARGV[10])
return reply
