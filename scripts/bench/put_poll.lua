-- PUT of a sync member against an emulator in --lro-style async, then the poll of its Location until it
-- stops answering 202, as an SDK poller does. Each PUT changes the member's user name, as in put.lua.
-- Requests are PUTs and polls mixed; an "operation" is one PUT and its polls up to the final answer. The
-- done line adds "ops" and "ops_per_s".
local here = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./")
local report = dofile(here .. "report.lua")

local group = os.getenv("BENCH_GROUP_PATH")
local query = "?api-version=" .. (os.getenv("BENCH_API_VERSION") or "2015-05-01-preview")
local names = tonumber(os.getenv("BENCH_NAMES") or "100")
local file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
local body = file:read("*a")
file:close()
local headers = { ["Content-Type"] = "application/json" }
local counter = 0
local pending = {}
completed = 0
unexpected = 0

local threads = {}

function setup(thread)
  thread:set("offset", math.random(0, names - 1))
  table.insert(threads, thread)
end

function request()
  local location = table.remove(pending)
  if location then
    return wrk.format("GET", location, nil, nil)
  end
  counter = counter + 1
  local index = (counter + (offset or 0)) % names
  local changed = body:gsub("myUser", "user-" .. counter)
  return wrk.format("PUT", group .. "/syncMembers/bench-poll-" .. index .. query, headers, changed)
end

function response(status, headers, body)
  if status == 202 then
    local location = headers["Location"] or headers["location"]
    if location then
      -- Absolute URL: keep the path and query.
      table.insert(pending, (location:gsub("^https?://[^/]+", "")))
    else
      unexpected = unexpected + 1
    end
  elseif status == 200 or status == 201 then
    completed = completed + 1
  else
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local ops, odd = 0, 0
  for _, thread in ipairs(threads) do
    ops = ops + (thread:get("completed") or 0)
    odd = odd + (thread:get("unexpected") or 0)
  end
  local seconds = summary.duration / 1e6
  io.write("WRKJSON " .. report.line(summary, latency,
    string.format(',"ops":%d,"ops_per_s":%.1f,"unexpected":%d', ops, ops / seconds, odd)) .. "\n")
end
