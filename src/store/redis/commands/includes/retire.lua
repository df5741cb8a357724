-- Retires `roots` and, recursively, their callbacks: at the roots only the branches the flags select,
-- below them both. Keys in `visited` and missing or already removed signatures are skipped and not
-- followed, so cycles and shared callbacks are visited once. An in-flight run of a retired signature is
-- cancelled at the engine. A container's children are retired with it. Returns the retired keys in visit order.
local function retire(roots, with_error, with_success, visited)
  local out, queue, head = {}, {}, 1
  for _, k in ipairs(roots) do queue[#queue + 1] = { k, with_error, with_success } end
  while head <= #queue do
    local k, follow_error, follow_success = queue[head][1], queue[head][2], queue[head][3]
    head = head + 1
    if not visited[k] then
      visited[k] = true
      local h = load(k)
      if h and not is_removed(h) then
        put(h, F.removed, '1')
        if not TERMINAL[num(h, F.status)] and text(h, F.runId) ~= '' then enqueue_cancel(k, h[F.runId]) end
        touch(h, EV.REMOVED)
        out[#out + 1] = k
        if follow_error then
          for _, cb in ipairs(key_list(h, F.errorCallbacks)) do queue[#queue + 1] = { cb, true, true } end
        end
        if follow_success then
          for _, cb in ipairs(key_list(h, F.successCallbacks)) do queue[#queue + 1] = { cb, true, true } end
        end
        for _, child in ipairs(key_list(h, F.children)) do queue[#queue + 1] = { child, true, true } end
      end
    end
  end
  return out
end
