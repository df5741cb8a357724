-- Events of the step, collected while it runs and appended by commit() under its one revision.
-- EVENTS: { type, h } in order; each holds the signature's table, so every event carries the record as it
-- is after the whole step. TOUCHED: the signatures the step changed, once each (TOUCHED_KEYS: their keys).
local TOUCHED, TOUCHED_KEYS, EVENTS = {}, {}, {}

local function touch(h, event_type)
  local k = h[F.key]
  if not TOUCHED_KEYS[k] then
    TOUCHED_KEYS[k] = true
    TOUCHED[#TOUCHED + 1] = h
  end
  EVENTS[#EVENTS + 1] = { type = event_type, h = h }
end

-- Entry id `<revision>-<n>`; fields type, key, time and the whole flat record.
local function append_event(revision, n, e)
  local args = { 'XADD', EVENTS_KEY, 'MAXLEN', '~', HISTORY_MAX, revision .. '-' .. n,
    'type', int(e.type), 'key', e.h[F.key], 'time', int(NOW) }
  for f, v in pairs(e.h) do
    args[#args + 1] = f
    args[#args + 1] = v
  end
  redis.call(unpack(args))
end
