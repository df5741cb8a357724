--[[
  Suspend / Resume / Interrupt / Cancel (and Pause): executes one TransitionRule of src/core/status.ts.
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
  ARGV[7]  lock id ('' = none)
  ARGV[8]  expected revision (0 = any)
  ARGV[9]  the rule, JSON: {name, to, from: [status], noop: [status], reasons: {"<status>": reason},
           cancelRun, redispatch, retireCallbacks}
  ARGV[10] the rule as it applies to a container (containerRule, src/core/status.ts), JSON; a container
           passes the rules on to its children (includes/containers.lua)
  Returns {'OK', changed 0|1, flat record} or {'ERR', reason, ...}.
]]
--- @include "mutation"

return run_step(function()
  local rules = { plain = cjson.decode(ARGV[9]), container = cjson.decode(ARGV[10]) }
  local h = guarded(KEY, ARGV[7], tonumber(ARGV[8]), false)
  local rule = CT.is_container(h) and rules.container or rules.plain
  local from = num(h, F.status)
  if contains(rule.noop, from) then return { 'OK', 0, flat(h) } end
  if not contains(rule.from, from) then
    refuse_status(rule.reasons[tostring(from)] or 'INVALID_TRANSITION', from)
  end

  CT.apply(h, rules)
  commit()
  return { 'OK', 1, flat(h) }
end)
