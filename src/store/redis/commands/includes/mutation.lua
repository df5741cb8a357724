-- The header of every mutation script:
--   KEYS[1] the signature hash, KEYS[2] the store revision, KEYS[3] the event stream, KEYS[4] the outbox stream
--   ARGV[1] key prefix `{<prefix>}:`, ARGV[2] now (ms), ARGV[3] active ttl (ms), ARGV[4] done ttl (ms),
--   ARGV[5] history max (events kept, approximately), ARGV[6] the signature key
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
--- @include "commit"
--- @include "retire"
--- @include "runs"
