-- The first checks of a step that writes new signatures (create-4.lua, createContainer-4.lua).

-- The record a request id wrote before, while that id is remembered; nil for '' or an unseen id.
local function replayed_request(request_id)
  if request_id == '' then return nil end
  local first = redis.call('GET', req_key(request_id))
  return first and load(first)
end

-- Refuses CALLBACKS_NOT_FOUND unless every key of the JSON array names a signature that is not removed.
local function require_callbacks(callbacks_json)
  local missing = {}
  for _, k in ipairs(cjson.decode(callbacks_json)) do
    local cb = load(k)
    if not cb or is_removed(cb) then missing[#missing + 1] = k end
  end
  if #missing > 0 then refuse('CALLBACKS_NOT_FOUND', 'missing', table.concat(missing, ',')) end
end
