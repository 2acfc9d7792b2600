-- PUT of a sync member against an emulator in --lro-style sync: each request writes one of BENCH_NAMES
-- members (default 100) of the group at BENCH_GROUP_PATH, in turn, with the body of BENCH_BODY_FILE whose
-- "myUser" becomes a new user name each time, so every request really changes the member.
-- Every answer should be 200 (an update; bench.sh creates the members first).
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

function setup(thread)
  thread:set("offset", math.random(0, names - 1))
end

function request()
  counter = counter + 1
  local index = (counter + (offset or 0)) % names
  local changed = body:gsub("myUser", "user-" .. counter)
  return wrk.format("PUT", group .. "/syncMembers/bench-put-" .. index .. query, headers, changed)
end

done = report.done
