--[[
  Suspend / Resume / Interrupt / Cancel (and Pause): executes one TransitionRule of src/core/status.ts.
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
  ARGV[7]  lock id ('' = none)
  ARGV[8]  expected revision (0 = any)
  ARGV[9]  the rule, JSON: {name, to, from: [status], noop: [status], reasons: {"<status>": reason},
           cancelRun, redispatch, retireCallbacks}
  Returns {'OK', changed 0|1, flat record} or {'ERR', reason, ...}.
]]
--- @include "mutation"

return run_step(function()
  local rule = cjson.decode(ARGV[9])
  local h = guarded(KEY, ARGV[7], tonumber(ARGV[8]), false)
  local from = num(h, F.status)
  if contains(rule.noop, from) then return { 'OK', 0, flat(h) } end
  if not contains(rule.from, from) then
    refuse_status(rule.reasons[tostring(from)] or 'INVALID_TRANSITION', from)
  end

  set_status(h, rule.to)
  if rule.cancelRun then cancel_in_flight(h, from) end
  if rule.redispatch and num(h, F.attempt) > 0 then
    -- A new run re-sends the stored last_input (or, for a callback run never composed, its base).
    new_run(h, num(h, F.attempt) + 1, DS.QUEUED)
  end
  if rule.retireCallbacks then
    local roots = key_list(h, F.successCallbacks)
    for _, k in ipairs(key_list(h, F.errorCallbacks)) do roots[#roots + 1] = k end
    retire(roots, true, true, { [KEY] = true })
  end
  commit()
  return { 'OK', 1, flat(h) }
end)
