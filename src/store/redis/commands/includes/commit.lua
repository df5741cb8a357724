-- Writing a step: status/index maintenance, events and outbox entries collected while the step runs,
-- then commit(): one new store revision for every touched signature, their expiry, the events, the outbox.
local TOUCHED, TOUCHED_KEYS, EVENTS, OUTBOX = {}, {}, {}, {}

local function touch(h, event_type)
  local k = h[F.key]
  if not TOUCHED_KEYS[k] then
    TOUCHED_KEYS[k] = true
    TOUCHED[#TOUCHED + 1] = h
  end
  EVENTS[#EVENTS + 1] = { type = event_type, h = h }
end

local function index_add(h)
  local k, ctime = h[F.key], h[F.creationTime]
  redis.call('ZADD', idx_all_key(), ctime, k)
  redis.call('ZADD', idx_status_key(h[F.status]), ctime, k)
  redis.call('ZADD', idx_task_key(h[F.taskName]), ctime, k)
end

local function index_remove(h)
  local k = h[F.key]
  redis.call('ZREM', idx_all_key(), k)
  redis.call('ZREM', idx_status_key(h[F.status]), k)
  redis.call('ZREM', idx_task_key(h[F.taskName]), k)
end

local function set_status(h, to)
  local from = h[F.status]
  put(h, F.lastStatus, from)
  put(h, F.status, to)
  redis.call('ZREM', idx_status_key(from), h[F.key])
  redis.call('ZADD', idx_status_key(h[F.status]), h[F.creationTime], h[F.key])
  touch(h, EV.STATUS_CHANGED)
end

local function enqueue_trigger(k, attempt)
  OUTBOX[#OUTBOX + 1] = { 'kind', 'trigger', 'key', k, 'attempt', int(attempt) }
end

local function enqueue_cancel(k, run_id)
  OUTBOX[#OUTBOX + 1] = { 'kind', 'cancel', 'key', k, 'run_id', run_id }
end

-- Event ids are `<revision>-<n>`; the entry holds type, key, time and the whole flat record.
local function append_event(revision, n, e)
  local args = { 'XADD', EVENTS_KEY, 'MAXLEN', '~', HISTORY_MAX, revision .. '-' .. n,
    'type', int(e.type), 'key', e.h[F.key], 'time', int(NOW) }
  for f, v in pairs(e.h) do
    args[#args + 1] = f
    args[#args + 1] = v
  end
  redis.call(unpack(args))
end

-- Returns the new revision, or 0 when the step changed no signature (outbox entries are written anyway).
local function commit()
  for _, entry in ipairs(OUTBOX) do
    redis.call('XADD', OUTBOX_KEY, '*', unpack(entry))
  end
  if #EVENTS == 0 then return 0 end
  local revision = redis.call('INCR', REV_KEY)
  for _, h in ipairs(TOUCHED) do
    local done = TERMINAL[num(h, F.status)] or is_removed(h)
    put(h, F.revision, revision)
    put(h, F.updateTime, NOW)
    put(h, F.expireTime, NOW + (done and DONE_TTL or ACTIVE_TTL))
    flush(h)
    redis.call('PEXPIREAT', sig_key(h[F.key]), h[F.expireTime])
  end
  for n, e in ipairs(EVENTS) do append_event(revision, n - 1, e) end
  return revision
end

local function current_revision()
  return tonumber(redis.call('GET', REV_KEY) or '0')
end
