-- JSON objects merged as raw text, never decoded: values keep their exact text (a cjson round trip
-- turns `[]` into `{}`, rounds large integers and re-prints floats). Keys are compared by their raw
-- text. That is exact because every text these functions get is JSON.stringify output: stored kwargs
-- and metadata (newFlatRecord, and these merges, which only re-join such text) and the run message
-- (scripts.ts). JSON.stringify escapes canonically, writes no whitespace and no duplicate keys, so
-- equal keys have equal text.

local function json_malformed() error('malformed JSON text') end

-- The index of the last character of the JSON value that starts at index i of s.
local function json_value_end(s, i)
  local c = string.sub(s, i, i)
  if c == '"' then
    local j = i + 1
    while true do
      local q = string.find(s, '["\\]', j)
      if not q then json_malformed() end
      if string.sub(s, q, q) == '"' then return q end
      j = q + 2
    end
  end
  if c == '{' or c == '[' then
    local depth, j = 0, i
    while true do
      local q = string.find(s, '[%[%]{}"]', j)
      if not q then json_malformed() end
      local b = string.sub(s, q, q)
      if b == '"' then
        j = json_value_end(s, q) + 1
      else
        depth = depth + ((b == '{' or b == '[') and 1 or -1)
        if depth == 0 then return q end
        j = q + 1
      end
    end
  end
  local q = string.find(s, '[,}%]]', i) or #s + 1
  if q == i then json_malformed() end
  return q - 1
end

-- The members of a JSON object text, in order: { { raw key, raw value }, ... }.
local function json_members(s)
  if string.sub(s, 1, 1) ~= '{' then json_malformed() end
  local out = {}
  if string.sub(s, 2, 2) == '}' then return out end
  local i = 2
  while true do
    local key_end = json_value_end(s, i)
    if string.sub(s, key_end + 1, key_end + 1) ~= ':' then json_malformed() end
    local value_end = json_value_end(s, key_end + 2)
    out[#out + 1] = { string.sub(s, i, key_end), string.sub(s, key_end + 2, value_end) }
    local sep = string.sub(s, value_end + 1, value_end + 1)
    if sep == '}' then return out end
    if sep ~= ',' then json_malformed() end
    i = value_end + 2
  end
end

-- A key JS orders first: an array index ("0" .. "4294967294", no leading zero); else nil.
local function json_array_index(key)
  local d = string.match(key, '^"(%d+)"$')
  if d and (d == '0' or string.sub(d, 1, 1) ~= '0') and #d <= 10 and tonumber(d) <= 4294967294 then return tonumber(d) end
end

-- The object text of `members`, in JS's key order (array indexes ascending, then insertion order),
-- so that it reads exactly as JSON.stringify of the same object in JS.
local function json_object(members)
  local indexed, parts = {}, {}
  for _, m in ipairs(members) do
    local n = json_array_index(m[1])
    if n then indexed[#indexed + 1] = { n, m } end
  end
  table.sort(indexed, function(a, b) return a[1] < b[1] end)
  for _, x in ipairs(indexed) do parts[#parts + 1] = x[2][1] .. ':' .. x[2][2] end
  for _, m in ipairs(members) do
    if not json_array_index(m[1]) then parts[#parts + 1] = m[1] .. ':' .. m[2] end
  end
  return '{' .. table.concat(parts, ',') .. '}'
end

local function json_is_object(v) return string.sub(v, 1, 1) == '{' end

-- Object text b merged over object text a: shallow, `{...a, ...b}`; or deep, src/core/json.ts
-- deepMerge(a, b) (objects on both sides merge recursively; on any other conflict b wins).
local function json_merge(a, b, deep)
  if b == '{}' then return a end
  if a == '{}' then return b end
  local members, at = json_members(a), {}
  for n, m in ipairs(members) do at[m[1]] = n end
  for _, m in ipairs(json_members(b)) do
    local n = at[m[1]]
    if not n then
      members[#members + 1] = m
      at[m[1]] = #members
    elseif deep and json_is_object(members[n][2]) and json_is_object(m[2]) then
      members[n][2] = json_merge(members[n][2], m[2], true)
    else
      members[n][2] = m[2]
    end
  end
  return json_object(members)
end

-- A run's input: kwargs merged deep over the message (composeRunInput, src/core/run-input.ts).
local function compose_run_input(message, kwargs) return json_merge(message, kwargs, true) end
