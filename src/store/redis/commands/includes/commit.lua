-- Status changes and the end of every step. A child that ends (a TERMINAL status) tells its container in
-- the same step (CONTAINER_HOOK.child_ended, set by includes/containers.lua).
local CONTAINER_HOOK = {}

local function set_status(h, to)
  local from = h[F.status]
  put(h, F.lastStatus, from)
  put(h, F.status, to)
  index_move_status(h, from, h[F.status])
  touch(h, EV.STATUS_CHANGED)
  if TERMINAL[num(h, F.status)] and text(h, F.containerKey) ~= '' then CONTAINER_HOOK.child_ended(h) end
end

-- Writes the step: its outbox entries, then one new store revision for every touched signature, with
-- update time and expiry (done ttl once terminal or removed, else active ttl), and its events. A queued
-- run the step made undispatchable is withdrawn.
-- Returns the revision, or 0 when no signature changed (outbox entries are written anyway).
local function commit()
  write_outbox()
  if #EVENTS == 0 then return 0 end
  local revision = redis.call('INCR', REV_KEY)
  for _, h in ipairs(TOUCHED) do
    withdraw_queued_run(h, false)
    local done = TERMINAL[num(h, F.status)] or is_removed(h)
    put(h, F.revision, revision)
    put(h, F.updateTime, NOW)
    put(h, F.expireTime, NOW + (done and DONE_TTL or ACTIVE_TTL))
    flush(h)
    quota_account(h)
    redis.call('PEXPIREAT', sig_key(h[F.key]), h[F.expireTime])
  end
  for n, e in ipairs(EVENTS) do append_event(revision, n - 1, e) end
  trim_history(revision)
  return revision
end

local function current_revision()
  return tonumber(redis.call('GET', REV_KEY) or '0')
end
