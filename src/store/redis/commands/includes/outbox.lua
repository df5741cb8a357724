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
