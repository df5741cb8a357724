-- The checks every mutation makes, in the documented order (docs/semantics.md, "Every mutation").
local function must_exist(k)
  local h = load(k)
  if not h then refuse('SIGNATURE_NOT_FOUND') end
  return h
end

local function check_not_removed(h)
  if is_removed(h) then refuse('SIGNATURE_REMOVED') end
end

local function refuse_locked(h)
  refuse('SIGNATURE_LOCKED', 'expire_time', text(h, F.lockExpire), 'owner', text(h, F.lockOwner))
end

local function check_lock(h, lock_id)
  if has_live_lock(h) and h[F.lockId] ~= lock_id then refuse_locked(h) end
end

local function check_revision(h, expected)
  if expected ~= 0 and expected ~= num(h, F.revision) then
    refuse('REVISION_MISMATCH', 'expected_revision', int(expected), 'current_revision', text(h, F.revision))
  end
end

local function guarded(k, lock_id, expected_revision, allow_removed)
  local h = must_exist(k)
  if not allow_removed then check_not_removed(h) end
  check_lock(h, lock_id)
  check_revision(h, expected_revision)
  return h
end

local function refuse_status(reason, st)
  refuse(reason, 'current_status', int(st))
end

-- CompleteTask/FailTask: lease, run fence, then the status `step` (of RUN_STEPS) needs. Returns h and
-- whether the signature already holds the status the step leads to (a repeated report, answered with the
-- first outcome).
local function reportable(k, lock_id, run_id, step)
  local h = must_exist(k)
  check_lock(h, lock_id)
  if text(h, F.runId) == '' or h[F.runId] ~= run_id then
    refuse('STALE_RUN', 'current_run_id', text(h, F.runId))
  end
  local st = num(h, F.status)
  if st == step.to then return h, true end
  check_not_removed(h)
  if st ~= step.from then refuse_status('TASK_NOT_ACTIVE', st) end
  return h, false
end
