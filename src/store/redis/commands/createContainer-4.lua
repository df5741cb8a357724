--[[
  CreateChain / CreateSwarm: writes a container (ContainerKind set) and its children: existing signatures
  adopted, inline ones created (docs/containers.md). Nothing is written unless every check passes.
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
  ARGV[7]  request id ('' = none); a request id seen before returns the container it created
  ARGV[8]  request id ttl (ms)
  ARGV[9]  the callback keys (success then error), JSON array
  ARGV[10] m, the number of values of the container's flat record; ARGV[11 .. 10+m] field, value, ...
  ARGV[11+m ..] the children (CT.add_children, includes/containers.lua)
  Returns {'OK', changed 0|1, flat record} or {'ERR', reason, ...}.
]]
--- @include "mutation"

return run_step(function()
  local request_id = ARGV[7]
  local first = replayed_request(request_id)
  if first then return { 'OK', 0, flat(first) } end
  require_callbacks(ARGV[9])
  if load(KEY) then refuse('CHILD_NOT_AVAILABLE', 'child', KEY) end

  local m = tonumber(ARGV[10])
  local h = { [F.key] = KEY }
  for i = 11, 10 + m, 2 do h[ARGV[i]] = ARGV[i + 1] end
  LOADED[KEY] = h
  CT.add_children(h, 11 + m)
  redis.call('DEL', SIG_KEY)
  for f, v in pairs(h) do put(h, f, v) end
  index_add(h)
  touch(h, EV.CREATED)
  commit()
  if request_id ~= '' then redis.call('SET', req_key(request_id), KEY, 'PX', ARGV[8]) end
  return { 'OK', 1, flat(h) }
end)
