-- Key names and the step's clock. Every script passes ARGV[1] = PREFIX, the key prefix `{<prefix>}:`, and
-- ARGV[2] = NOW (Unix ms, from the service's clock, so both store backends agree on time).
local PREFIX = ARGV[1]
local NOW = tonumber(ARGV[2])

local function sig_key(k) return PREFIX .. 'sig:' .. k end
local function idx_all_key() return PREFIX .. 'idx:all' end
local function idx_status_key(st) return PREFIX .. 'idx:st:' .. st end
local function idx_task_key(name) return PREFIX .. 'idx:task:' .. name end
local function idx_task_status_key(name, st) return PREFIX .. 'idx:ts:' .. st .. ':' .. name end
local function index_version_key() return PREFIX .. 'idx:version' end
local function req_key(id) return PREFIX .. 'req:' .. id end

-- Integers as decimal text (tostring would switch to exponent notation for large numbers).
local function int(x) return string.format('%d', x) end
