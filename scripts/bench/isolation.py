"""Isolation benchmark: the p99 latency of GET and PUT on group A while group B's database is busy.

Four phases against one running emulator (base URL as the first argument, started with
--query-timeout 10): A idle; while B's hub of 1,000,000 rows is provisioned (a PATCH of B's schema);
while B's first sync round copies those rows to its empty member; while a query runs on B's database
until the 10-second timeout ends it.
Prints one JSON line per phase and request kind, then a Markdown table with each busy p99 as a multiple
of the idle one. Target: at most 2x.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

BASE = urllib.parse.urlparse(sys.argv[1])
ROWS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
V = "api-version=2025-01-01"
SERVER = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/bench/providers/Microsoft.Sql/servers/bench"
GROUP_A = f"{SERVER}/databases/dba/syncGroups/a"
GROUP_B = f"{SERVER}/databases/dbb/syncGroups/b"
SCHEMA_B = {"properties": {"schema": {"tables": [{"quotedName": "[dbo].[T]", "columns": [{"quotedName": "[id]"}, {"quotedName": "[v]"}]}], "masterSyncMemberName": "m"}}}


def call(method, path, body=None, connection=None):
    own = connection is None
    connection = connection or http.client.HTTPConnection(BASE.hostname, BASE.port, timeout=600)
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    if own:
        connection.close()
    return response.status, payload


def query(database, sql):
    status, payload = call("POST", f"/_emulator/databases/bench/{database}/query", {"sql": sql, "dialect": "sqlite"})
    assert status == 200, payload


def sample(seconds, until=None):
    """Alternating GET and PUT of group A on one keep-alive connection; latencies in seconds."""
    connection = http.client.HTTPConnection(BASE.hostname, BASE.port, timeout=600)
    gets, puts, interval = [], [], 5
    end = time.monotonic() + seconds
    while time.monotonic() < end and (until is None or not until.is_set()):
        start = time.perf_counter()
        call("GET", f"{GROUP_A}?{V}", connection=connection)
        gets.append(time.perf_counter() - start)
        interval += 1
        start = time.perf_counter()
        call("PUT", f"{GROUP_A}?{V}", {"properties": {"interval": interval}}, connection=connection)
        puts.append(time.perf_counter() - start)
    connection.close()
    return gets, puts


def p99(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else None


RESULTS = []


def report(phase, gets, puts):
    for kind, values in (("GET", gets), ("PUT", puts)):
        line = {"bench": "isolation", "phase": phase, "request": kind, "count": len(values), "p99_ms": p99(values)}
        RESULTS.append(line)
        print(json.dumps(line), flush=True)


def group_b():
    status, payload = call("GET", f"{GROUP_B}?{V}")
    assert status == 200, payload
    return json.loads(payload)["properties"]


def sync_b():
    """Triggers a round on B and returns once it has ended (B's lastSyncTime moved, its state settled)."""
    before = group_b().get("lastSyncTime")
    status, payload = call("POST", f"{GROUP_B}/triggerSync?{V}")
    assert status == 200, payload
    while True:
        properties = group_b()
        if properties.get("lastSyncTime") != before and properties.get("syncState") != "Progressing":
            assert properties.get("syncState") == "Good", properties
            return
        time.sleep(0.05)


def table():
    idle = {line["request"]: line["p99_ms"] for line in RESULTS if line["phase"] == "idle"}
    print("\n| phase | request | p99 ms | x idle | <= 2x idle? |\n|---|---|---|---|---|")
    for line in RESULTS:
        ratio = line["p99_ms"] / idle[line["request"]] if line["p99_ms"] and idle.get(line["request"]) else None
        verdict = "" if line["phase"] == "idle" else ("met" if ratio is not None and ratio <= 2 else "not met")
        shown = f"{ratio:.2f}" if ratio is not None else "n/a"
        print(f"| {line['phase']} | {line['request']} | {line['p99_ms']:.2f} | {shown} | {verdict} |")


def busy(phase, work):
    done = threading.Event()
    started = time.monotonic()
    worker = threading.Thread(target=lambda: (work(), done.set()))
    worker.start()
    time.sleep(0.05)
    gets, puts = sample(120, until=done)
    worker.join()
    print(json.dumps({"bench": "isolation", "phase": phase, "work_seconds": round(time.monotonic() - started, 2)}), flush=True)
    report(phase, gets, puts)


def main():
    call("PUT", f"{GROUP_A}?{V}", {"properties": {"interval": 5}})
    query("dbb", "CREATE TABLE T (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    query("dbb", f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS}) INSERT INTO T SELECT i, 'row ' || i FROM n")
    call("PUT", f"{GROUP_B}?{V}", {"properties": {"interval": -1}})
    call("PUT", f"{GROUP_B}/syncMembers/m?{V}", {"properties": {"serverName": "bench", "databaseName": "dbbm"}})
    call("POST", f"{GROUP_B}/refreshHubSchema?{V}")
    sample(2)  # warm-up, not recorded: the first requests of a connection and of a path cost more
    report("idle", *sample(5))
    busy("B provisioning its hub", lambda: call("PATCH", f"{GROUP_B}?{V}", SCHEMA_B))
    busy(f"B syncing {ROWS:,} rows to its member", sync_b)
    # Unbounded: the emulator's --query-timeout (10 s, set by bench.sh) ends it.
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n"
    busy("a 10 s query on B's database", lambda: call("POST", "/_emulator/databases/bench/dbb/query", {"sql": endless, "dialect": "sqlite"}))
    table()


main()
