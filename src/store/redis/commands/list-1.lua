--[[
  ListSignatures: one page, newest first (creation time desc, then key desc), from a bounded scan of
  one index, pruning the index of keys whose signature expired.
  KEYS[1]  the driving index (sorted set, score = creation time): the task's, one status's, or all
  ARGV[1]  key prefix `{<prefix>}:`
  ARGV[2]  now (ms)
  ARGV[3]  statuses to keep, JSON array of numbers ([] = all)
  ARGV[4]  task name to keep ('' = all)
  ARGV[5]  lowest score, ZRANGE syntax (e.g. '-inf', '1700000000000')
  ARGV[6]  highest score, ZRANGE syntax (e.g. '+inf', '(1700000000000'); includes the cursor's score
  ARGV[7]  cursor creation time ('' = first page): rows at it with key >= ARGV[8] were already listed
  ARGV[8]  cursor key
  ARGV[9]  page size
  ARGV[10] scan limit: at most this many index entries are examined
  Returns {cursor creation time or '', cursor key or '', {flat record, ...}}.
]]
--- @include "constants"
--- @include "keys"
--- @include "record"

local wanted = {}
for _, st in ipairs(cjson.decode(ARGV[3])) do wanted[st] = true end
local any_status = next(wanted) == nil
local task = ARGV[4]
local cursor_time, cursor_key = tonumber(ARGV[7]), ARGV[8]
local page_size, scan_limit = tonumber(ARGV[9]), tonumber(ARGV[10])
local batch = math.min(math.max(page_size + 1, 100), 1000)

local records, missing = {}, {}
local scanned, offset = 0, 0
local next_time, next_key

-- Byte order, as the sorted set orders equal scores (Lua's `<` on strings follows the server's locale).
local function bytes_before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local function consider(k, t)
  if cursor_time and t == cursor_time and not bytes_before(k, cursor_key) then return false end
  scanned = scanned + 1
  local h = load(k)
  if not h then
    missing[#missing + 1] = k
  elseif (any_status or wanted[num(h, F.status)]) and (task == '' or h[F.taskName] == task) then
    if #records == page_size then
      -- One match beyond the page: the next page starts after the page's last record.
      local last = records[#records]
      next_time, next_key = last.t, last.k
      return true
    end
    records[#records + 1] = { t = t, k = k, h = h }
  end
  if scanned >= scan_limit then
    next_time, next_key = t, k
    return true
  end
  return false
end

local done = false
while not done do
  local rows = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[6], ARGV[5], 'WITHSCORES', 'LIMIT', offset, batch)
  for i = 1, #rows, 2 do
    if consider(rows[i], tonumber(rows[i + 1])) then
      done = true
      break
    end
  end
  offset = offset + #rows / 2
  if #rows < 2 * batch then done = true end
end

for i = 1, #missing, 500 do
  redis.call('ZREM', KEYS[1], unpack(missing, i, math.min(i + 499, #missing)))
end

local out = {}
for i, r in ipairs(records) do out[i] = flat(r.h) end
if next_time then return { int(next_time), next_key, out } end
return { '', '', out }
