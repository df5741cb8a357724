-- Runs and callbacks. JSON inputs and results stay opaque strings: callback bases are built by
-- concatenation, never by re-encoding user JSON (cjson would turn `[]` into `{}`).
local function new_run(h, attempt, state)
  put(h, F.attempt, attempt)
  put(h, F.runId, '')
  put(h, F.dispatchTime, NOW)
  put(h, F.dispatchState, state)
  touch(h, EV.RUN_QUEUED)
  if state == DS.QUEUED then enqueue_trigger(h, attempt) end
end

-- The dispatch state a new run starts in (newRunState of src/core/status.ts).
local function new_run_state(st) return PARKING[st] and DS.PARKED or DS.QUEUED end

-- The engine run of a signature that was IN_FLIGHT is cancelled at the engine.
local function cancel_in_flight(h, from)
  if IN_FLIGHT[from] and text(h, F.runId) ~= '' then enqueue_cancel(h[F.key], h[F.runId]) end
end

-- Each callback that exists, is not removed, was never dispatched, is in no container (its container runs it)
-- and is RUNNABLE gets its first run
-- (QUEUED, or PARKED), with `base = base_of(callback)`. Returns the dispatched keys.
local function dispatch_callbacks(keys, base_of)
  local out = {}
  for _, k in ipairs(keys) do
    local cb = load(k)
    if cb and not is_removed(cb) and num(cb, F.attempt) == 0 and text(cb, F.containerKey) == '' then
      local st = num(cb, F.status)
      if RUNNABLE[st] then
        put(cb, F.base, base_of(cb))
        new_run(cb, 1, new_run_state(st))
        out[#out + 1] = k
      end
    end
  end
  return out
end

-- `{"<name>":<value>}`
local function json_member_object(name, value)
  return '{' .. cjson.encode(name) .. ':' .. value .. '}'
end

-- The JSON object `object` with `"<name>":<value>` appended as its last member (a duplicate name wins).
local function json_append_member(object, name, value)
  local body = string.match(object, '^%s*{(.*)}%s*$') or ''
  if string.find(body, '%S') then
    return '{' .. body .. ',' .. cjson.encode(name) .. ':' .. value .. '}'
  end
  return json_member_object(name, value)
end

-- A final failure (RUN_STEPS.fail.to, FAILED) with `err` (JSON {message, type, attempt}); the error callbacks get
-- `base = input + {mageflow_error: err}` (input: the run's last_input unless given); the success tree is retired.
local function fail_run(h, err, given_input)
  put(h, F.error, err)
  set_status(h, RUN_STEPS.fail.to)
  local input = given_input or text(h, F.lastInput)
  if input == '' then input = '{}' end
  local base = json_append_member(input, 'mageflow_error', err)
  local dispatched = dispatch_callbacks(key_list(h, F.errorCallbacks), function() return base end)
  put(h, F.dispatchedCallbacks, json_string_array(dispatched))
  retire(key_list(h, F.successCallbacks), true, true, { [h[F.key]] = true })
end
