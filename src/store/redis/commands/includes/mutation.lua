-- Everything a mutation script uses; KEYS[1..4] and ARGV[1..6] are the same in all of them.
--- @include "constants"
--- @include "keys"
local REV_KEY, EVENTS_KEY, OUTBOX_KEY = KEYS[2], KEYS[3], KEYS[4]
local ACTIVE_TTL = tonumber(ARGV[3])
local DONE_TTL = tonumber(ARGV[4])
local HISTORY_MAX = ARGV[5]
local KEY = ARGV[6]
--- @include "record"
--- @include "refuse"
--- @include "guard"
--- @include "index"
--- @include "events"
--- @include "outbox"
--- @include "commit"
--- @include "retire"
--- @include "runs"
