-- GET of the URL given to wrk (a sync group, a member list, a pending operation, or bench-hello's /hello).
local here = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./")
local report = dofile(here .. "report.lua")

done = report.done
