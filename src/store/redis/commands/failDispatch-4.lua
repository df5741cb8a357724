--[[
  The run of `attempt` can never be triggered: a dispatchable signature ends as by a final FailTask.
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
  ARGV[8]  the error, JSON {message, type, attempt}
  ARGV[9]  the outbox entry this step retires, whatever the outcome ('' = none)
  Returns {'OK', flat record}, or {'NONE'} when it does not apply.
]]
--- @include "mutation"

local reply = run_step(function()
  local h = load(KEY)
  if not h or num(h, F.attempt) ~= tonumber(ARGV[7]) or not dispatchable(h) then
    return { 'NONE' }
  end
  fail_run(h, ARGV[8])
  commit()
  return { 'OK', flat(h) }
end)
retire_outbox_entry(ARGV[9])
return reply
