--[[
  Builds the list index sets that came after a namespace's first signatures (the task-and-status sets of
  includes/index.lua) for the signatures stored before them, a bounded slice per call: the service calls it
  at start until it answers done. Idempotent: a slice read twice adds what is already there. Signatures
  created, changed or deleted meanwhile keep every set right themselves (the mutation scripts).
  KEYS[1]  the namespace's index version key: INDEX_VERSION when built; while building, the slice cursor
           `<creation time> <key>` of the last signature done lives under KEYS[1] .. ':cursor'
  ARGV[1]  key prefix `{<prefix>}:`
  ARGV[2]  now (ms)
  ARGV[3]  index entries per call
  Returns {1 when built, signatures added this call}.
]]
--- @include "constants"
--- @include "keys"
--- @include "index"

if redis.call('GET', KEYS[1]) == INDEX_VERSION then return { 1, 0 } end
local cursor_ref = KEYS[1] .. ':cursor'
local limit = tonumber(ARGV[3])
local cursor = redis.call('GET', cursor_ref)
local ct, ck = nil, ''
if cursor then
  local sp = string.find(cursor, ' ', 1, true)
  ct, ck = tonumber(string.sub(cursor, 1, sp - 1)), string.sub(cursor, sp + 1)
end

-- Oldest first from the cursor; entries at its creation time up to its key (byte order) were done.
local added, examined, offset = 0, 0, 0
local last_t, last_k
local ended = false
repeat
  local rows = redis.call('ZRANGEBYSCORE', idx_all_key(), ct and int(ct) or '-inf', '+inf', 'WITHSCORES', 'LIMIT', offset, limit)
  offset = offset + #rows / 2
  local i = 1
  while i <= #rows and examined < limit do
    local k, t = rows[i], tonumber(rows[i + 1])
    if not (ct and t == ct and not bytes_before(ck, k)) then
      examined = examined + 1
      local v = redis.call('HMGET', sig_key(k), F.status, F.taskName)
      if v[1] then
        redis.call('ZADD', idx_task_status_key(v[2], v[1]), t, k)
        added = added + 1
      end
      last_t, last_k = t, k
    end
    i = i + 2
  end
  ended = i > #rows and #rows < 2 * limit
until ended or examined >= limit

if ended then
  redis.call('SET', KEYS[1], INDEX_VERSION)
  redis.call('DEL', cursor_ref)
  return { 1, added }
end
if last_t then redis.call('SET', cursor_ref, int(last_t) .. ' ' .. last_k) end
return { 0, added }
