--[[
  The dispatcher did not trigger the QUEUED run of `attempt` because the signature is SUSPENDED: PARKED.
  KEYS[1]  {p}:sig:<key>  the signature hash
  KEYS[2]  {p}:rev        the store revision
  KEYS[3]  {p}:events     the event stream
  KEYS[4]  {p}:outbox     the outbox stream
  ARGV[1]  key prefix `{p}:`
  ARGV[2]  now (Unix ms, the service's clock)
  ARGV[3]  active ttl (ms)
  ARGV[4]  done ttl (ms)
  ARGV[5]  history max (events kept, approximately)
  ARGV[6]  the signature key
  ARGV[7]  attempt (must be the current run's)
  ARGV[8]  the outbox entry this step retires, whatever the outcome ('' = none)
  Returns {'OK', 1, flat record}, or {'NONE'} when it does not apply.
]]
--- @include "mutation"

local reply = run_step(function()
  local h = load(KEY)
  if not h or num(h, F.attempt) ~= tonumber(ARGV[7]) or num(h, F.status) ~= ST.SUSPENDED then return { 'NONE' } end
  if num(h, F.dispatchState) ~= DS.QUEUED then return { 'NONE' } end
  put(h, F.dispatchState, DS.PARKED)
  touch(h, EV.UPDATED)
  commit()
  return { 'OK', 1, flat(h) }
end)
retire_outbox_entry(ARGV[8])
return reply
