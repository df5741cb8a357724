-- The list indexes: sorted sets of keys scored by creation time. One per namespace (all), per status, per
-- task name, and per task name and status, so that every filter of ListSignatures reads exactly the entries
-- it lists. Each step that creates, deletes or changes a status updates them here (memory twin:
-- src/store/memory/list-index.ts). The task-and-status sets came later: `index_version_key()` holds
-- INDEX_VERSION once indexBuild-1.lua has added the signatures stored before them.
local INDEX_VERSION = '2'

local function index_add(h)
  local k, ctime = h[F.key], h[F.creationTime]
  redis.call('ZADD', idx_all_key(), ctime, k)
  redis.call('ZADD', idx_status_key(h[F.status]), ctime, k)
  redis.call('ZADD', idx_task_key(h[F.taskName]), ctime, k)
  redis.call('ZADD', idx_task_status_key(h[F.taskName], h[F.status]), ctime, k)
end

local function index_remove(h)
  local k = h[F.key]
  redis.call('ZREM', idx_all_key(), k)
  redis.call('ZREM', idx_status_key(h[F.status]), k)
  redis.call('ZREM', idx_task_key(h[F.taskName]), k)
  redis.call('ZREM', idx_task_status_key(h[F.taskName], h[F.status]), k)
end

local function index_move_status(h, from, to)
  local k, ctime, task = h[F.key], h[F.creationTime], h[F.taskName]
  redis.call('ZREM', idx_status_key(from), k)
  redis.call('ZADD', idx_status_key(to), ctime, k)
  redis.call('ZREM', idx_task_status_key(task, from), k)
  redis.call('ZADD', idx_task_status_key(task, to), ctime, k)
end

-- Byte order, as the sorted set orders equal scores (Lua's `<` on strings follows the server's locale).
local function bytes_before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
