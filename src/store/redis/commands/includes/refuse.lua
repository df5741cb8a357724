-- Refusals. A step checks everything before it writes anything, so refusing never leaves a partial write.
-- The reply is {'ERR', reason, name1, value1, ...}; the TS side turns it into the ServiceError.
local function refuse(reason, ...)
  error({ refused = { 'ERR', reason, ... } })
end

local function run_step(step)
  local ok, res = pcall(step)
  if ok then return res end
  if type(res) == 'table' and res.refused then return res.refused end
  error(res, 0)
end
