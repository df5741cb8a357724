-- Signatures as Lua tables of their flat hash fields (layout F of src/store/record.ts).
-- A step sees one table per key (LOADED: key -> table, or false when missing); writes are collected
-- (DIRTY: key -> set of written fields) and flushed by commit().
local LOADED = {}
local DIRTY = {}

-- The live signature under key k, or nil when it is missing or expired at NOW.
local function load(k)
  if LOADED[k] ~= nil then return LOADED[k] or nil end
  local h = false
  local pairs_ = redis.call('HGETALL', sig_key(k))
  if #pairs_ > 0 then
    h = {}
    for i = 1, #pairs_, 2 do h[pairs_[i]] = pairs_[i + 1] end
    if (tonumber(h[F.expireTime]) or 0) <= NOW then h = false end
  end
  LOADED[k] = h
  return h or nil
end

local function num(h, f) return tonumber(h[f]) or 0 end
local function text(h, f) return h[f] or '' end
local function is_removed(h) return h[F.removed] == '1' end
-- Twin of isDispatchable (src/core/status.ts): a queued run of h may (still) be sent to the engine.
local function dispatchable(h) return not is_removed(h) and DISPATCHABLE[num(h, F.status)] == true end
local function has_live_lock(h) return text(h, F.lockId) ~= '' and num(h, F.lockExpire) > NOW end

local function put(h, f, v)
  if type(v) == 'number' then v = int(v) end
  h[f] = v
  local k = h[F.key]
  LOADED[k] = h
  DIRTY[k] = DIRTY[k] or {}
  DIRTY[k][f] = true
end

local function flush(h)
  local k = h[F.key]
  local dirty = DIRTY[k]
  if not dirty then return end
  local args = { 'HSET', sig_key(k) }
  for f in pairs(dirty) do
    args[#args + 1] = f
    args[#args + 1] = h[f]
  end
  redis.call(unpack(args))
  DIRTY[k] = nil
end

-- The record as a flat field/value array (the reply format).
local function flat(h)
  local out = {}
  for f, v in pairs(h) do
    out[#out + 1] = f
    out[#out + 1] = v
  end
  return out
end

-- Callback key lists are the service's own JSON arrays of strings; decoding them is safe.
local function key_list(h, f)
  local s = text(h, f)
  if s == '' then return {} end
  return cjson.decode(s)
end

-- A JSON array of strings (cjson would encode an empty table as `{}`).
local function json_string_array(list)
  local parts = {}
  for i, s in ipairs(list) do parts[i] = cjson.encode(s) end
  return '[' .. table.concat(parts, ',') .. ']'
end

local function contains(list, x)
  for _, v in ipairs(list) do
    if v == x then return true end
  end
  return false
end
