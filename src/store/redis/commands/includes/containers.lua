-- Chains and swarms (docs/containers.md). A container is a signature with a ContainerKind; its children carry
-- its key (F.containerKey) and their position (F.childIndex). Everything a container does happens inside the
-- step that changes one of its children or itself; twin of src/store/memory/memory-containers.ts.
-- CT holds the container functions (in a table: the scripts stay under Lua's limit of local names); RUNNING
-- is the status a running container is in (RUN_STEPS.start.to).
--- @include "json"
local CT = {}

function CT.is_container(h) return num(h, F.containerKind) ~= 0 end
function CT.children(c) return key_list(c, F.children) end
function CT.config(c) return cjson.decode(text(c, F.swarmConfig)) end
local RUNNING = RUN_STEPS.start.to

-- `{<rfn>: result}`, or `[results]` appended with one more result (JSON text, never re-encoded).
function CT.append_result(list, result)
  if list == '' or list == '[]' then return '[' .. result .. ']' end
  return string.sub(list, 1, -2) .. ',' .. result .. ']'
end

-- The container ends DONE with `result`: success callbacks get `{<their return field>: result}`.
function CT.done(c, result)
  put(c, F.result, result)
  set_status(c, RUN_STEPS.complete.to)
  local dispatched = dispatch_callbacks(key_list(c, F.successCallbacks), function(cb)
    return json_member_object(text(cb, F.returnFieldName), result)
  end)
  put(c, F.dispatchedCallbacks, json_string_array(dispatched))
  retire(key_list(c, F.errorCallbacks), true, true, { [c[F.key]] = true })
end

-- Applies `rules` (plain / container variant of one TransitionRule) to h, whose status the rule accepts; a
-- container passes it on to each child whose status the rule accepts.
function CT.apply(h, rules)
  local container = CT.is_container(h)
  local rule = container and rules.container or rules.plain
  local from = num(h, F.status)
  local ran = num(h, F.attempt) > 0
  set_status(h, (container and rule.redispatch and ran) and RUNNING or rule.to)
  if rule.cancelRun then cancel_in_flight(h, from) end
  if rule.redispatch and ran and not container then new_run(h, num(h, F.attempt) + 1, DS.QUEUED) end
  if rule.retireCallbacks then
    local roots = key_list(h, F.successCallbacks)
    for _, k in ipairs(key_list(h, F.errorCallbacks)) do roots[#roots + 1] = k end
    retire(roots, true, true, { [h[F.key]] = true })
  end
  if not container then return end
  for _, k in ipairs(CT.children(h)) do
    local ch = load(k)
    if ch and not is_removed(ch) then
      local r = CT.is_container(ch) and rules.container or rules.plain
      if contains(r.from, num(ch, F.status)) then CT.apply(ch, rules) end
    end
  end
  if num(h, F.status) == RUNNING then CT.start_children(h) end
end

-- Cancels every child of c from position `first` (0-based) on that has not ended.
function CT.cancel_rest(c, first)
  local kids = CT.children(c)
  for i = first + 1, #kids do
    local ch = load(kids[i])
    if ch and not is_removed(ch) and not TERMINAL[num(ch, F.status)] then CT.apply(ch, CANCEL_RULES) end
  end
end

-- A child's first run, with `base` as what its input is composed from (a container child runs as a container).
function CT.start_child(ch, base)
  local st = num(ch, F.status)
  if is_removed(ch) or num(ch, F.attempt) > 0 or not RUNNABLE[st] then return false end
  if CT.is_container(ch) then
    local kwargs = text(ch, F.kwargs)
    CT.run(ch, compose_run_input(base, kwargs == '' and '{}' or kwargs))
  else
    put(ch, F.base, base)
    new_run(ch, 1, new_run_state(st))
  end
  return true
end

-- RunSignature on a container: its run records the input; a PARKING container starts its children on resume.
function CT.run(c, input)
  put(c, F.lastInput, input)
  put(c, F.attempt, 1)
  put(c, F.dispatchTime, NOW)
  touch(c, EV.RUN_QUEUED)
  if PARKING[num(c, F.status)] then return end
  set_status(c, RUNNING)
  CT.start_children(c)
end

-- A RUNNING container starts what it can: a chain its current step if it never ran, a swarm free slots.
function CT.start_children(c)
  if num(c, F.containerKind) == CK.CHAIN then
    local step = num(c, F.chainStep)
    local ch = load(CT.children(c)[step + 1])
    if step == 0 and ch then CT.start_child(ch, text(c, F.lastInput)) end
  else
    CT.fill(c)
    CT.check_swarm_end(c)
  end
end

-- Starts children in order while fewer than max_concurrency are in flight and the swarm is RUNNING. The
-- counters are written before each start, which may end a child at once (an empty closed swarm).
function CT.fill(c)
  local cfg, kids = CT.config(c), CT.children(c)
  local base = cfg.sendMessage and text(c, F.lastInput) or '{}'
  if base == '' then base = '{}' end
  while num(c, F.status) == RUNNING and num(c, F.inFlight) < cfg.maxConcurrency and num(c, F.started) < #kids do
    local i = num(c, F.started) + 1
    put(c, F.started, i)
    local ch = load(kids[i])
    if ch and not is_removed(ch) and not TERMINAL[num(ch, F.status)] and num(ch, F.attempt) == 0 then
      put(c, F.inFlight, num(c, F.inFlight) + 1)
      touch(c, EV.UPDATED)
      CT.start_child(ch, base)
    end
  end
end

function CT.check_swarm_end(c)
  if num(c, F.status) == RUNNING and c[F.closed] == '1' and num(c, F.endedCount) == #CT.children(c) then
    local results = text(c, F.results)
    CT.done(c, results == '' and '[]' or results)
  end
end

-- A child ended (set_status to a TERMINAL status): its container advances, ends, or only counts it.
function CT.child_ended(h)
  local c = load(text(h, F.containerKey))
  if not c or is_removed(c) then return end
  local st, idx = num(h, F.status), num(h, F.childIndex)
  if num(c, F.containerKind) == CK.SWARM then
    if idx < num(c, F.started) then put(c, F.inFlight, num(c, F.inFlight) - 1) end
    put(c, F.endedCount, num(c, F.endedCount) + 1)
    touch(c, EV.UPDATED)
    if TERMINAL[num(c, F.status)] then return end
    if st == RUN_STEPS.complete.to then
      local result = text(h, F.result)
      put(c, F.results, CT.append_result(text(c, F.results), result == '' and 'null' or result))
    elseif st == RUN_STEPS.fail.to then
      put(c, F.failedCount, num(c, F.failedCount) + 1)
      local stop = CT.config(c).stopAfterNFailures
      if stop > 0 and num(c, F.failedCount) >= stop then
        local err = '{"message":"swarm failed: ' .. int(num(c, F.failedCount)) .. ' children failed","type":"SwarmFailed","attempt":1}'
        fail_run(c, err, '{}')
        CT.cancel_rest(c, 0)
        return
      end
    end
    CT.fill(c)
    CT.check_swarm_end(c)
    return
  end
  if TERMINAL[num(c, F.status)] or idx ~= num(c, F.chainStep) then return end
  local kids = CT.children(c)
  if st == RUN_STEPS.complete.to then
    local result = text(h, F.result)
    if result == '' then result = 'null' end
    if idx + 1 < #kids then
      put(c, F.chainStep, idx + 1)
      touch(c, EV.UPDATED)
      local nxt = load(kids[idx + 2])
      if nxt then CT.start_child(nxt, json_member_object(text(nxt, F.returnFieldName), result)) end
    else
      CT.done(c, result)
    end
  elseif st == RUN_STEPS.fail.to then
    local input = text(h, F.lastInput)
    if input == '' then input = text(h, F.base) end
    fail_run(c, text(h, F.error) ~= '' and h[F.error] or '{}', input ~= '' and input or '{}')
    CT.cancel_rest(c, idx + 1)
  else
    CT.apply(c, CANCEL_RULES)
  end
end

CONTAINER_HOOK.child_ended = CT.child_ended

-- Remove/Delete of a child whose container is still there and has not ended: refused, the container would
-- wait for it forever (remove or cancel the container instead).
function CT.refuse_live_child(h)
  local c = text(h, F.containerKey) ~= '' and load(h[F.containerKey])
  if c and not is_removed(c) and not TERMINAL[num(c, F.status)] then
    refuse('IN_CONTAINER', 'container_key', h[F.containerKey])
  end
end

-- Refuses unless `k` may become a child: it exists, is not removed, never ran, is RUNNABLE, is in no
-- container and is not listed twice.
function CT.check_child(k, seen)
  local ch = load(k)
  if not ch then refuse('CHILD_NOT_FOUND', 'child', k) end
  if seen[k] or is_removed(ch) or num(ch, F.attempt) > 0 or not RUNNABLE[num(ch, F.status)] or text(ch, F.containerKey) ~= '' then
    refuse('CHILD_NOT_AVAILABLE', 'child', k)
  end
  seen[k] = true
end

-- The children of a create or add: ARGV from `first` on is a count n, then n children, each either
-- 'key', <key> or 'new', <field count m>, then m values as field/value pairs. Everything is checked
-- before anything is written; new children are written (and indexed), then all are adopted in order
-- after the container's existing children, with their kwargs merged under the container's.
function CT.add_children(c, first)
  local n, at, entries = tonumber(ARGV[first]), first + 1, {}
  local existing = CT.children(c)
  local seen = {}
  for _, k in ipairs(existing) do seen[k] = true end
  for i = 1, n do
    if ARGV[at] == 'key' then
      CT.check_child(ARGV[at + 1], seen)
      entries[i] = { key = ARGV[at + 1] }
      at = at + 2
    else
      local m = tonumber(ARGV[at + 1])
      local h = {}
      for j = at + 2, at + 1 + m, 2 do h[ARGV[j]] = ARGV[j + 1] end
      if load(h[F.key]) or seen[h[F.key]] then refuse('CHILD_NOT_AVAILABLE', 'child', h[F.key]) end
      seen[h[F.key]] = true
      entries[i] = { key = h[F.key], new = h }
      at = at + 2 + m
    end
  end
  local ckw = text(c, F.kwargs)
  if ckw == '' then ckw = '{}' end
  local keys, stored = {}, { c }
  for i, e in ipairs(entries) do
    local ch = e.new
    if ch then
      for f, v in pairs(ch) do put(ch, f, v) end
    else
      ch = load(e.key)
    end
    local kwargs = text(ch, F.kwargs)
    put(ch, F.kwargs, json_merge(kwargs == '' and '{}' or kwargs, ckw, false))
    put(ch, F.containerKey, c[F.key])
    put(ch, F.childIndex, #existing)
    existing[#existing + 1] = e.key
    keys[i] = e.key
    stored[#stored + 1] = ch
  end
  c[F.children] = json_string_array(existing)
  quota_check_all(stored)
  for _, e in ipairs(entries) do
    local ch = LOADED[e.key]
    if e.new then
      redis.call('DEL', sig_key(e.key))
      index_add(ch)
      touch(ch, EV.CREATED)
    else
      touch(ch, EV.UPDATED)
    end
  end
  put(c, F.children, json_string_array(existing))
  return keys
end
