-- Outbox entries of the step (work for the dispatcher loop), written by commit().
local OUTBOX = {}

local function enqueue_trigger(k, attempt)
  OUTBOX[#OUTBOX + 1] = { 'kind', 'trigger', 'key', k, 'attempt', int(attempt) }
end

local function enqueue_cancel(k, run_id)
  OUTBOX[#OUTBOX + 1] = { 'kind', 'cancel', 'key', k, 'run_id', run_id }
end

local function write_outbox()
  for _, entry in ipairs(OUTBOX) do
    redis.call('XADD', OUTBOX_KEY, '*', unpack(entry))
  end
end

-- The dispatcher's steps retire the outbox entry they handled ('' = none): acknowledged and deleted
-- in the same step, so it is neither redelivered nor reclaimed.
local function retire_outbox_entry(id)
  if id == '' then return end
  redis.call('XACK', OUTBOX_KEY, OUTBOX_GROUP, id)
  redis.call('XDEL', OUTBOX_KEY, id)
end
