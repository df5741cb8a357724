--[[
  UpdateSignature: writes the given fields; kwargs and metadata are merged here unless replaced.
  KEYS[1..4], ARGV[1..6]  as in every mutation (includes/mutation.lua)
  ARGV[7]  lock id ('' = none)
  ARGV[8]  expected revision (0 = any)
  ARGV[9..] fields to write: field, how, value, ... ; how 'set' writes the value ('' clears the field),
           'merge' merges the JSON object value over the stored one, top-level: `{...stored, ...value}`
  Returns {'OK', 1, flat record} or {'ERR', reason, ...}.
]]
--- @include "mutation"
--- @include "json"

return run_step(function()
  local h = guarded(KEY, ARGV[7], tonumber(ARGV[8]), false)
  for i = 9, #ARGV, 3 do
    local f, value = ARGV[i], ARGV[i + 2]
    if ARGV[i + 1] == 'merge' then
      local stored = text(h, f)
      value = json_merge(stored == '' and '{}' or stored, value, false)
    end
    put(h, f, value)
  end
  quota_check(h, false)
  touch(h, EV.UPDATED)
  commit()
  return { 'OK', 1, flat(h) }
end)
