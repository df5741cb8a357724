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

local function history_bytes_key() return PREFIX .. 'history:bytes' end

-- Entry id `<revision>-<n>`; fields type, key, time, the flat record but its EVENT_OMITTED fields, and sz:
-- the entry's size (its field names and values), which the history's byte count adds up (redis-events.ts
-- counts the same).
local function append_event(revision, n, e)
  local args = { 'XADD', EVENTS_KEY, revision .. '-' .. n, 'type', int(e.type), 'key', e.h[F.key], 'time', int(NOW) }
  local size = 0
  for i = 4, #args do size = size + #args[i] end
  for f, v in pairs(e.h) do
    if not EVENT_OMITTED[f] then
      args[#args + 1] = f
      args[#args + 1] = v
      size = size + #f + #v
    end
  end
  size = size + 2 + #tostring(size) + 2
  args[#args + 1] = 'sz'
  args[#args + 1] = tostring(size)
  redis.call(unpack(args))
  redis.call('INCRBY', history_bytes_key(), size)
end

local function entry_size(fields)
  for i = 1, #fields, 2 do
    if fields[i] == 'sz' then return tonumber(fields[i + 1]) end
  end
  return 0
end

-- Trims the history to HISTORY_MAX events (once it is a sixteenth over, as MAXLEN ~ would) and to
-- HISTORY_MAX_BYTES bytes (at once), oldest first, never the revision just written.
local function trim_history(revision)
  local over_count = redis.call('XLEN', EVENTS_KEY) - HISTORY_MAX
  if over_count <= math.floor(HISTORY_MAX / 16) then over_count = 0 end
  local over_bytes = 0
  if HISTORY_MAX_BYTES > 0 then over_bytes = tonumber(redis.call('GET', history_bytes_key()) or '0') - HISTORY_MAX_BYTES end
  if over_count <= 0 and over_bytes <= 0 then return end
  local dropped, freed, next_id, start = 0, 0, nil, '-'
  while (dropped < over_count or freed < over_bytes) and not next_id do
    local entries = redis.call('XRANGE', EVENTS_KEY, start, '+', 'COUNT', 64)
    if #entries == 0 then break end
    for _, entry in ipairs(entries) do
      local id = entry[1]
      if tonumber(string.match(id, '^(%d+)-')) >= revision or (dropped >= over_count and freed >= over_bytes) then
        next_id = id
        break
      end
      dropped = dropped + 1
      freed = freed + entry_size(entry[2])
      start = '(' .. id
    end
  end
  if dropped == 0 then return end
  if next_id then
    redis.call('XTRIM', EVENTS_KEY, 'MINID', '=', next_id)
  else
    redis.call('XTRIM', EVENTS_KEY, 'MAXLEN', '=', 0)
  end
  redis.call('DECRBY', history_bytes_key(), freed)
end
