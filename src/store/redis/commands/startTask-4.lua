--[[
  StartTask (worker): decides RUN or SKIP for the reported engine run; RUN on PENDING makes it ACTIVE.
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
  ARGV[7]  lock id ('' = none)
  ARGV[8]  the engine's run id
  Returns {'OK', run 1|0, skip reason ('' for RUN), flat record} or {'ERR', reason, ...}.
]]
--- @include "mutation"

return run_step(function()
  local h = must_exist(KEY)
  check_lock(h, ARGV[7])
  local run_id = ARGV[8]
  local function skip(reason) return { 'OK', 0, reason, flat(h) } end
  if is_removed(h) then return skip('SIGNATURE_REMOVED') end
  if num(h, F.attempt) == 0 then return skip('STALE_RUN') end
  -- A QUEUED run without a run id yet adopts the reported one: the first start wins.
  local adopt = text(h, F.runId) == '' and num(h, F.dispatchState) == DS.QUEUED
  if not adopt and h[F.runId] ~= run_id then return skip('STALE_RUN') end
  local st = num(h, F.status)
  if START_SKIP_REASONS[st] then return skip(START_SKIP_REASONS[st]) end
  if st == RUN_STEPS.start.to then return { 'OK', 1, '', flat(h) } end

  put(h, F.runId, run_id)
  put(h, F.dispatchState, DS.TRIGGERED)
  set_status(h, RUN_STEPS.start.to)
  commit()
  return { 'OK', 1, '', flat(h) }
end)
