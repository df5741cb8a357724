-- The namespace's quotas (QUOTA_SIGNATURES, QUOTA_BYTES; 0: none), the twin of memory/quota.ts.
-- {p}:quota:sizes holds each stored signature's size (the bytes of its fields and values, as
-- flat_size counts them), {p}:quota:usage its sum and count. Signatures that expired (their hash gone)
-- are found and dropped from the count only when a quota would be exceeded, oldest first.
local function quota_sizes_key() return PREFIX .. 'quota:sizes' end
local function quota_usage_key() return PREFIX .. 'quota:usage' end

local function flat_size(h)
  local n = 0
  for f, v in pairs(h) do n = n + #f + #v end
  return n
end

local function quota_forget(k)
  local size = redis.call('HGET', quota_sizes_key(), k)
  if not size then return end
  redis.call('HDEL', quota_sizes_key(), k)
  redis.call('HINCRBY', quota_usage_key(), 'signatures', -1)
  redis.call('HINCRBY', quota_usage_key(), 'bytes', -tonumber(size))
end

-- After the step's writes: the touched signature's size as it is now.
local function quota_account(h)
  local k = h[F.key]
  local size = flat_size(h)
  local old = redis.call('HGET', quota_sizes_key(), k)
  redis.call('HSET', quota_sizes_key(), k, size)
  if not old then redis.call('HINCRBY', quota_usage_key(), 'signatures', 1) end
  redis.call('HINCRBY', quota_usage_key(), 'bytes', size - tonumber(old or '0'))
end

local function quota_usage()
  local u = redis.call('HMGET', quota_usage_key(), 'signatures', 'bytes')
  return tonumber(u[1] or '0'), tonumber(u[2] or '0')
end

local function quota_prune_expired()
  for _, k in ipairs(redis.call('ZRANGE', idx_all_key(), 0, 99)) do
    if redis.call('EXISTS', sig_key(k)) == 0 then
      quota_forget(k)
      redis.call('ZREM', idx_all_key(), k)
    end
  end
end

-- Refuses QUOTA_EXCEEDED when `added` more signatures and `grow` more bytes would go over a quota
-- (signatures that expired are dropped from the count first).
local function quota_refuse_over(added, grow)
  local function over()
    local count, bytes = quota_usage()
    if added > 0 and QUOTA_SIGNATURES > 0 and count + added > QUOTA_SIGNATURES then return 'signatures', QUOTA_SIGNATURES end
    if grow > 0 and QUOTA_BYTES > 0 and bytes + grow > QUOTA_BYTES then return 'bytes', QUOTA_BYTES end
  end
  if not over() then return end
  quota_prune_expired()
  local quota, limit = over()
  if quota then refuse('QUOTA_EXCEEDED', 'quota', quota, 'limit', int(limit)) end
end

-- Before any write: refuses QUOTA_EXCEEDED when storing `h` (new: not stored yet) would go over a quota.
local function quota_check(h, new)
  if QUOTA_SIGNATURES == 0 and QUOTA_BYTES == 0 then return end
  local old = new and 0 or tonumber(redis.call('HGET', quota_sizes_key(), h[F.key]) or '0')
  quota_refuse_over(new and 1 or 0, flat_size(h) - old)
end

-- Before any write of a step that stores several signatures (a container and its children): refuses
-- QUOTA_EXCEEDED when storing all of `hs`, as they will be, would go over a quota. A signature the quota
-- does not count yet is new.
local function quota_check_all(hs)
  if QUOTA_SIGNATURES == 0 and QUOTA_BYTES == 0 then return end
  local added, grow = 0, 0
  for _, h in ipairs(hs) do
    local old = redis.call('HGET', quota_sizes_key(), h[F.key])
    if not old then added = added + 1 end
    grow = grow + flat_size(h) - tonumber(old or '0')
  end
  quota_refuse_over(added, grow)
end
