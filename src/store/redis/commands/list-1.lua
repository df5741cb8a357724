--[[
  ListSignatures: one page, newest first (creation time desc, then key desc). The filter picks the index sets
  holding exactly what it lists (includes/index.lua): all; the task's; one set per status asked, or per
  status asked of the task (merged in list order). So a page reads its own entries, plus one look-ahead and
  the entries of signatures that expired or were deleted; those are skipped and removed from the set they
  were read from. Before the task-and-status sets are built (indexBuild-1.lua), a task and status filter
  reads the task's set and skips the other statuses, at most ARGV[10] entries per call.
  KEYS[1]  the namespace's index version key
  ARGV[1]  key prefix `{<prefix>}:`
  ARGV[2]  now (ms)
  ARGV[3]  statuses to list, JSON array of numbers ([] = all)
  ARGV[4]  task name to list ('' = all)
  ARGV[5]  lowest score, ZRANGE syntax (e.g. '-inf', '1700000000000')
  ARGV[6]  highest score, ZRANGE syntax (e.g. '+inf', '(1700000000000'); includes the cursor's score
  ARGV[7]  cursor creation time ('' = first page): entries at it with key >= ARGV[8] were already listed
  ARGV[8]  cursor key
  ARGV[9]  page size
  ARGV[10] scan limit: at most this many index entries are examined
  ARGV[11] 'heads': each row is the key and the revision; 'full': each row is the record's field/value array
  Returns {cursor creation time or '', cursor key or '', rows}.
]]
--- @include "constants"
--- @include "keys"
--- @include "index"

local task = ARGV[4]
local cursor_time, cursor_key = tonumber(ARGV[7]), ARGV[8]
local page_size, scan_limit = tonumber(ARGV[9]), tonumber(ARGV[10])
local full = ARGV[11] == 'full'

local statuses, seen = {}, {}
for _, st in ipairs(cjson.decode(ARGV[3])) do
  local s = int(st)
  if not seen[s] then
    seen[s] = true
    statuses[#statuses + 1] = s
  end
end

-- The sets to read; `only`: statuses the records must have when no set is exact (else nil).
local sets, only = {}, nil
if task == '' and #statuses == 0 then
  sets[1] = idx_all_key()
elseif task == '' then
  for i, s in ipairs(statuses) do sets[i] = idx_status_key(s) end
elseif #statuses == 0 then
  sets[1] = idx_task_key(task)
elseif redis.call('GET', KEYS[1]) == INDEX_VERSION then
  for i, s in ipairs(statuses) do sets[i] = idx_task_status_key(task, s) end
else
  sets[1], only = idx_task_key(task), seen
end

local batch = math.min(page_size + 1, scan_limit)
local readers = {}
for i, key in ipairs(sets) do readers[i] = { key = key, rows = {}, pos = 1, offset = 0, more = true, stale = {} } end

-- The reader's next entry (key, creation time), or nil at its end.
local function peek(r)
  if r.pos > #r.rows then
    if not r.more then return nil end
    r.rows = redis.call('ZREVRANGEBYSCORE', r.key, ARGV[6], ARGV[5], 'WITHSCORES', 'LIMIT', r.offset, batch)
    r.pos = 1
    r.offset = r.offset + #r.rows / 2
    r.more = #r.rows == 2 * batch
    if #r.rows == 0 then return nil end
  end
  return r.rows[r.pos], tonumber(r.rows[r.pos + 1])
end

-- The next entry of all sets in list order, and the reader it came from.
local function next_entry()
  local best, bk, bt
  for _, r in ipairs(readers) do
    local k, t = peek(r)
    if k and (not best or t > bt or (t == bt and bytes_before(bk, k))) then best, bk, bt = r, k, t end
  end
  if best then best.pos = best.pos + 2 end
  return bk, bt, best
end

local rows, listed, scanned = {}, 0, 0
local last_key, last_time, next_time, next_key
while true do
  local k, t, r = next_entry()
  if not k then break end
  if not (cursor_time and t == cursor_time and not bytes_before(k, cursor_key)) then
    scanned = scanned + 1
    local v = redis.call('HMGET', sig_key(k), F.expireTime, F.revision, F.status)
    if not v[1] or tonumber(v[1]) <= NOW then
      r.stale[#r.stale + 1] = k
    elseif not only or only[v[3]] then
      if listed == page_size then
        -- One match beyond the page: the next page starts after the page's last record.
        next_time, next_key = last_time, last_key
        break
      end
      listed = listed + 1
      last_key, last_time = k, t
      if full then
        rows[listed] = redis.call('HGETALL', sig_key(k))
      else
        rows[#rows + 1] = k
        rows[#rows + 1] = v[2]
      end
    end
    if scanned >= scan_limit then
      next_time, next_key = t, k
      break
    end
  end
end

for _, r in ipairs(readers) do
  for i = 1, #r.stale, 500 do
    redis.call('ZREM', r.key, unpack(r.stale, i, math.min(i + 499, #r.stale)))
  end
end

if next_time then return { int(next_time), next_key, rows } end
return { '', '', rows }
