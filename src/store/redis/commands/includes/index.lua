-- The list indexes: sorted sets of keys scored by creation time (all, per status, per task).
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

local function index_move_status(h, from, to)
  redis.call('ZREM', idx_status_key(from), h[F.key])
  redis.call('ZADD', idx_status_key(to), h[F.creationTime], h[F.key])
end
