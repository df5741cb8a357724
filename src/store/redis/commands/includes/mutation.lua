-- Everything a mutation script uses. Every mutation (commands/*-4.lua) gets the same first keys and
-- arguments, passed by Scripts.mutate (redis/scripts.ts); its own arguments start at ARGV[7]:
--   KEYS[1]  {p}:sig:<key>  the signature hash      SIG_KEY
--   KEYS[2]  {p}:rev        the store revision      REV_KEY
--   KEYS[3]  {p}:events     the event stream        EVENTS_KEY
--   KEYS[4]  {p}:outbox     the outbox stream       OUTBOX_KEY
--   ARGV[1]  key prefix `{p}:`                      PREFIX (keys.lua)
--   ARGV[2]  now (Unix ms, the service's clock)     NOW (keys.lua)
--   ARGV[3]  active ttl (ms)                        ACTIVE_TTL
--   ARGV[4]  done ttl (ms)                          DONE_TTL
--   ARGV[5]  `<events> <bytes> <signatures> <bytes>`: the history kept (HISTORY_MAX, HISTORY_MAX_BYTES) and the
--            namespace's quotas (QUOTA_SIGNATURES, QUOTA_BYTES); 0: no bound
--   ARGV[6]  the signature key                      KEY
--- @include "constants"
--- @include "keys"
local SIG_KEY, REV_KEY, EVENTS_KEY, OUTBOX_KEY = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local ACTIVE_TTL = tonumber(ARGV[3])
local DONE_TTL = tonumber(ARGV[4])
local HISTORY_MAX, HISTORY_MAX_BYTES, QUOTA_SIGNATURES, QUOTA_BYTES = string.match(ARGV[5], '^(%d+) (%d+) (%d+) (%d+)$')
HISTORY_MAX, HISTORY_MAX_BYTES = tonumber(HISTORY_MAX), tonumber(HISTORY_MAX_BYTES)
QUOTA_SIGNATURES, QUOTA_BYTES = tonumber(QUOTA_SIGNATURES), tonumber(QUOTA_BYTES)
local KEY = ARGV[6]
--- @include "record"
--- @include "refuse"
--- @include "guard"
--- @include "index"
--- @include "events"
--- @include "quota"
--- @include "outbox"
--- @include "commit"
--- @include "retire"
--- @include "runs"
--- @include "creating"
--- @include "containers"
