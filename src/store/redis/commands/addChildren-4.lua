--[[
  AddSwarmTasks / CloseSwarm: adds children to an open swarm and/or closes it; a RUNNING swarm then fills
  its free slots and ends if it is closed and every child has ended (docs/containers.md).
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
  ARGV[7]  lock id ('' = none)
  ARGV[8]  expected revision (0 = any)
  ARGV[9]  close: '1' or '0'
  ARGV[10 ..] the children (CT.add_children, includes/containers.lua)
  Returns {'OK', changed 0|1, flat record, {added keys}} or {'ERR', reason, ...}.
]]
--- @include "mutation"

return run_step(function()
  local c = guarded(KEY, ARGV[7], tonumber(ARGV[8]), false)
  if num(c, F.containerKind) ~= CK.SWARM then refuse('NOT_A_SWARM', 'key', KEY) end
  local n, close = tonumber(ARGV[10]), ARGV[9] == '1'
  local closed = c[F.closed] == '1' or TERMINAL[num(c, F.status)]
  if closed and n == 0 and close then return { 'OK', 0, flat(c), {} } end
  if closed then refuse('SWARM_CLOSED', 'key', KEY) end
  local limit = CT.config(c).maxTasks
  local count = #CT.children(c) + n
  if count > limit then refuse('TOO_MANY_TASKS', 'max_tasks', int(limit)) end
  local added = CT.add_children(c, 10)
  if close or count == limit then put(c, F.closed, '1') end
  touch(c, EV.UPDATED)
  if num(c, F.status) == RUN_STEPS.start.to then CT.start_children(c) end
  commit()
  return { 'OK', 1, flat(c), added }
end)
