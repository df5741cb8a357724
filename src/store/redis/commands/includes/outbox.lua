-- OUTBOX: the outbox entries of the step (work for the dispatcher loop), written by commit().
local OUTBOX = {}

-- A trigger carries the signature as it is after the step (the same flat fields as an event), so
-- the dispatcher can call the engine without reading it back; the entry's id is kept in the record.
local function enqueue_trigger(h, attempt)
  OUTBOX[#OUTBOX + 1] = { h = h, fields = { 'kind', 'trigger', 'key', h[F.key], 'attempt', int(attempt) } }
end

local function enqueue_cancel(k, run_id)
  OUTBOX[#OUTBOX + 1] = { fields = { 'kind', 'cancel', 'key', k, 'run_id', run_id } }
end

local function write_outbox()
  for _, entry in ipairs(OUTBOX) do
    local args = { 'XADD', OUTBOX_KEY, '*', unpack(entry.fields) }
    if entry.h then
      for f, v in pairs(entry.h) do
        args[#args + 1] = f
        args[#args + 1] = v
      end
    end
    local id = redis.call(unpack(args))
    if entry.h then put(entry.h, F.outboxEntry, id) end
  end
end

-- The dispatcher's steps retire the outbox entry they handled ('' = none): acknowledged and deleted
-- in the same step, so it is neither redelivered nor reclaimed.
local function retire_outbox_entry(id)
  if id == '' then return end
  redis.call('XACK', OUTBOX_KEY, OUTBOX_GROUP, id)
  redis.call('XDEL', OUTBOX_KEY, id)
end

-- A QUEUED run (no engine run yet) of a signature that is no longer dispatchable, or is `gone`, is
-- withdrawn: its outbox entry is retired, so the engine never sees it; in a PARKING status it is PARKED
-- (Resume dispatches it). A dispatcher that had already taken the entry is answered by markDispatched.
local function withdraw_queued_run(h, gone)
  if num(h, F.dispatchState) ~= DS.QUEUED or text(h, F.runId) ~= '' then return end
  if dispatchable(h) and not gone then return end
  retire_outbox_entry(text(h, F.outboxEntry))
  put(h, F.outboxEntry, '')
  if PARKING[num(h, F.status)] then put(h, F.dispatchState, DS.PARKED) end
end
