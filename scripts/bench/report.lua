-- Shared by the wrk scripts of scripts/bench.sh: prints one machine-readable line when a run ends,
--   WRKJSON {<BENCH_TAG>, "requests":…, "rps":…, "p50_ms":…, "p99_ms":…, …}
-- BENCH_TAG (environment) is a fragment of JSON members naming the cell, e.g. "load":"get","conns":16.
local M = {}

function M.line(summary, latency, extra)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local tag = os.getenv("BENCH_TAG") or ""
  if tag ~= "" then tag = tag .. "," end
  return string.format(
    '{%s"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"mean_ms":%.3f,"max_ms":%.3f,' ..
    '"socket_errors":%d,"status_errors":%d%s}',
    tag, summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, e.status, extra or "")
end

function M.done(summary, latency, requests)
  io.write("WRKJSON " .. M.line(summary, latency) .. "\n")
end

return M
