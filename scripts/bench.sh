#!/usr/bin/env bash
# The benchmark suite (not a CI test). It builds the release products, then measures, each against a
# baseline taken in the same run (the machines are shared and noisy, so ratios are what count):
#
#   1. cold start: exec to the readiness line and to the first 200 of /_emulator/health, on an empty data
#      dir, on one holding 1,000 groups with 10 members each (made over HTTP), and on one holding 100,000
#      resources (made by bench-state through the state store); baselines: bench-hello (bare Hummingbird),
#      and the empty data dir
#   2. HTTP throughput and latency with wrk at 1, 16 and 64 connections: GET of a sync group, list of 100
#      members, PUT of a member (--lro-style sync), PUT and poll (--lro-style async), 202 polling;
#      baseline: bench-hello's GET /hello, and for the list its GET /body (a stored body of the list's size)
#   3. the SDK walkthrough (azure-mgmt-sql over HTTPS, scripts/sdk_walkthrough.py), whole Python process
#   4. sync throughput (bench-sync): initial sync of 100,000 and 1,000,000 rows (and of 100,000 between
#      in-memory databases, against the file-backed rate), an incremental sync of 1,000 changes across 3
#      members; baselines: plain SQLite bulk insert, the same insert into a table with the emulator's
#      tracking triggers, and the bare `INSERT INTO main.t SELECT * FROM src.t` of the rows and their
#      tracking rows between two attached files
#   5. memory: peak RSS idle and under the 64-connection load; state file size per 1,000 resources
#   6. request bodies: a 4 MiB `[0,0,…]` body, parsed and refused (request time; baseline: a 4 MiB body
#      holding one JSON string), and /_emulator/health latency while 8 such bodies arrive at once
#      (baseline: health alone)
#   7. isolation (--isolation, run on its own): p99 of GET and PUT on group A idle, while group B's hub of
#      1,000,000 rows is provisioned, while B syncs them to its member, and while a 10 s query runs on
#      B's database; target: at most 2x idle
#
# With each durable PUT run (--lro-style sync) the script also measures this disk's fdatasync rate (a write +
# fdatasync loop on a file in the emulator's data dir, just before the run) and reads the state store's
# commits and writes from /_emulator/metrics before and after it: the mean writes per commit times the
# fdatasync rate is the disk's ceiling for durable PUTs, 2 cores over the CPU per PUT the CPU's.
#
# Usage: scripts/bench.sh [--quick] [--profile] [--skip-build] [--only bodies|sync|http|put|start] [--isolation] | --summarize RESULTS.jsonl
#   --quick       fewer and shorter runs (well under 3 minutes after the build); still prints the table
#   --profile     also records perf profiles (emulator under GET and PUT load, bench-sync's initial sync)
#   --skip-build  use the release products already in the scratch path
#   --only bodies run section 6 alone (then the table has that section and its targets only)
#   --only sync   run section 4 alone (with --profile, its profile too)
#   --only http   run section 2 alone (with --profile: also its GET and list profiles)
#   --only put    the durable PUT at 16 connections against bench-hello's GET, interleaved, with the disk's
#                 fdatasync rate and the writes per commit (and its profile with --profile)
#   --only start  run section 1 and the idle half of section 5 alone (start-up time and idle memory)
#   --isolation   run only entry 7 (BENCH_ISOLATION_ROWS rows in B's hub, default 1000000)
#   --summarize F print the report's tables again from the JSON lines of an earlier run
# Environment:
#   BENCH_SCRATCH_PATH  SwiftPM scratch path (default <repo>/.build-bench)
#   BENCH_OUT           where results go (default <repo>/artifacts/bench)
#   BENCH_SYNC_ROWS     initial-sync sizes, comma-separated (default 100000,1000000; quick: 100000)
#   BENCH_WRK_SECONDS   seconds per wrk run (default 5; quick: 1)
#   BENCH_WRK_RUNS      wrk runs per cell (default 3; quick: 1)
#   BENCH_COLD_RUNS     cold starts per case (default 7; quick: 3)
#   BENCH_GROUPS        groups in the populated data dir (default 1000; quick: 100), 10 members each
#   BENCH_LARGE_STATE   resources in the large data dir of the cold start (default 100000), 10 members a group
#   BENCH_SDK_RUNS      SDK walkthrough runs (default 3; quick: 1)
#
# Output: the Markdown table on stdout, also written with the raw JSON lines to BENCH_OUT.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command_line="scripts/bench.sh${*:+ $*}"
quick=0
profile=0
build=1
summarize_file=""
only=""
isolation=0
while [[ $# -gt 0 ]]; do
    argument="$1"
    shift
    case "$argument" in
        --summarize)
            summarize_file="${1:?--summarize needs a results file}"
            shift
            ;;
        --quick) quick=1 ;;
        --only)
            only="${1:?--only needs a section name (bodies, sync, http, put or start)}"
            shift
            case "$only" in
                bodies | sync | http | put | start) ;;
                *) echo "bench: --only knows 'bodies', 'sync', 'http', 'put' and 'start'" >&2; exit 2 ;;
            esac
            ;;
        --profile) profile=1 ;;
        --skip-build) build=0 ;;
        --isolation) isolation=1 ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bench: unknown argument '$argument' (try --help)" >&2
            exit 2
            ;;
    esac
done

scratch="${BENCH_SCRATCH_PATH:-$repo/.build-bench}"
out_dir="${BENCH_OUT:-$repo/artifacts/bench}"
if [[ $quick -eq 1 ]]; then
    sync_rows="${BENCH_SYNC_ROWS:-100000}"
    sync_runs=1
    incremental_base=20000
    incremental_runs=3
    wrk_seconds="${BENCH_WRK_SECONDS:-1}"
    wrk_runs="${BENCH_WRK_RUNS:-1}"
    cold_runs="${BENCH_COLD_RUNS:-3}"
    groups="${BENCH_GROUPS:-100}"
    sdk_runs="${BENCH_SDK_RUNS:-1}"
    mode="quick"
else
    sync_rows="${BENCH_SYNC_ROWS:-100000,1000000}"
    sync_runs=3
    incremental_base=100000
    incremental_runs=5
    wrk_seconds="${BENCH_WRK_SECONDS:-5}"
    wrk_runs="${BENCH_WRK_RUNS:-3}"
    cold_runs="${BENCH_COLD_RUNS:-7}"
    groups="${BENCH_GROUPS:-1000}"
    sdk_runs="${BENCH_SDK_RUNS:-3}"
    mode="full"
fi
members_per_group=10
connections=(1 16 64)
groups_label="$(sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$groups")"

log() { echo "bench: $*" >&2; }

# shellcheck source=lib/python.sh
source "$repo/scripts/lib/python.sh"
# shellcheck source=lib/emulator.sh
source "$repo/scripts/lib/emulator.sh"
begin_work datasync-bench
results="$work/results.jsonl"
: >"$results"

# record JSON: appends one result line.
record() { echo "$1" >>"$results"; }

python="$(find_python)" || { log "python3 is needed for the timing helper"; exit 1; }

# --- The helper: precise timings, population, fixtures and the table ------------------------------

helper="$work/benchlib.py"
cat >"$helper" <<'PYTHON'
import argparse, http.client, json, os, re, select, shutil, signal, socket, statistics, subprocess, sys
import tempfile, threading, time

SUB = "00000000-1111-2222-3333-444444444444"
API = "api-version=2015-05-01-preview"
DB = f"/subscriptions/{SUB}/resourceGroups/bench-rg/providers/Microsoft.Sql/servers/bench-server/databases"
SYNC_DB_ID = f"/subscriptions/{SUB}/resourceGroups/bench-rg/providers/Microsoft.Sql/servers/bench-server/databases/bench-syncdb"
GROUP_BODY = {"properties": {"interval": -1, "conflictResolutionPolicy": "HubWin", "syncDatabaseId": SYNC_DB_ID,
                             "hubDatabaseUserName": "hubUser"}}
MEMBER_BODY = {"properties": {"databaseType": "AzureSqlDatabase", "serverName": "member-server.database.windows.net",
                              "databaseName": "member-db", "userName": "myUser", "syncDirection": "Bidirectional"}}


def group_path(database, group):
    return f"{DB}/{database}/syncGroups/{group}"


def http_status(port, path, timeout=2.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ", 2)[1])


def start_and_time(command, health, timeout=30.0):
    """Starts command; returns (process, port, ms to readiness line, ms to first 200 of health)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    fd = process.stdout.fileno()
    buffer = b""
    while b"\n" not in buffer:
        remaining = timeout - (time.perf_counter() - started)
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            process.kill()
            raise RuntimeError(f"no readiness line from {command}")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError(f"{command} exited before its readiness line")
        buffer += chunk
    ready = time.perf_counter()
    line = buffer.split(b"\n", 1)[0].decode()
    match = re.search(r"listening on https?://[^:]+:(\d+)", line)
    if not match:
        process.kill()
        raise RuntimeError(f"unexpected readiness line {line!r}")
    port = int(match.group(1))
    while True:
        try:
            if http_status(port, health) == 200:
                break
        except OSError:
            pass
        if time.perf_counter() - started > timeout:
            process.kill()
            raise RuntimeError("no 200 from " + health)
        time.sleep(0.0005)
    first = time.perf_counter()
    return process, port, (ready - started) * 1000, (first - started) * 1000


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cmd_coldstart(args):
    cases = [json.loads(c) for c in args.case]
    with open(args.results, "a") as out:
        for run in range(0, args.runs + 1):  # run 0 warms the page cache and is not recorded
            for case in cases:
                fresh = None
                command = case["command"]
                if any("{FRESH}" in part for part in command):
                    fresh = tempfile.mkdtemp(dir=args.work, prefix="cold-")
                    os.rmdir(fresh)  # an empty data dir that does not exist yet, as on a first run
                    command = [part.replace("{FRESH}", fresh) for part in command]
                process, _, ready, first = start_and_time(command, case["health"])
                stop(process)
                if fresh:
                    shutil.rmtree(fresh, ignore_errors=True)
                if run > 0:
                    out.write(json.dumps({"section": "coldstart", "case": case["label"], "run": run,
                                          "ready_ms": round(ready, 3), "first200_ms": round(first, 3)}) + "\n")
                    out.flush()


class Client:
    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        return response.status, response.headers, payload


def cmd_populate(args):
    """groups x members through the ARM API of an emulator in --lro-style sync."""
    def worker(items, failures):
        client = Client(args.port)
        for method, path, body in items:
            status, _, payload = client.call(method, path, body)
            if status not in (200, 201):
                failures.append(f"{method} {path}: {status} {payload[:200]!r}")
                return

    def run(items):
        failures = []
        chunks = [items[i::args.threads] for i in range(args.threads)]
        threads = [threading.Thread(target=worker, args=(chunk, failures)) for chunk in chunks]
        for t in threads: t.start()
        for t in threads: t.join()
        if failures:
            sys.exit("bench: populate failed: " + failures[0])

    started = time.perf_counter()
    groups = [("PUT", f"{group_path(f'bench-db-{g % 10}', f'group-{g}')}?{API}", GROUP_BODY) for g in range(args.groups)]
    run(groups)
    members = [("PUT", f"{group_path(f'bench-db-{g % 10}', f'group-{g}')}/syncMembers/member-{m}?{API}", MEMBER_BODY)
               for g in range(args.groups) for m in range(args.members)]
    run(members)
    print(f"{len(groups) + len(members)} {time.perf_counter() - started:.1f}")


def cmd_fixture(args):
    """One group and its members, for the HTTP loads; prints nothing."""
    client = Client(args.port)
    path = group_path("bench-db", args.group)
    status, _, payload = client.call("PUT", f"{path}?{API}", GROUP_BODY)
    assert status in (200, 201, 202), (status, payload)
    for m in range(args.members):
        status, headers, payload = client.call("PUT", f"{path}/syncMembers/{args.prefix}{m}?{API}", MEMBER_BODY)
        assert status in (200, 201, 202), (status, payload)


def cmd_pending(args):
    """Starts a group create on an emulator whose operations never finish; prints its Location path."""
    client = Client(args.port)
    status, headers, payload = client.call("PUT", f"{group_path('bench-db', 'pending-group')}?{API}", GROUP_BODY)
    assert status == 202, (status, payload)
    location = headers["Location"]
    path = re.sub(r"^https?://[^/]+", "", location)
    assert http_status(args.port, path) == 202
    print(path)


def cmd_bodies(args):
    """Section 6: 4 MiB bodies to the query endpoint (a JSON endpoint that parses, then refuses a non-object)."""
    path = "/_emulator/databases/bench-server/bench-db/query"
    size = 4 * 1024 * 1024
    array = b"[" + b"0," * (size // 2 - 2) + b"0]"  # size - 1 bytes: within the 4 MiB limit
    string = b'"' + b"0" * (size - 2) + b'"'

    def post(connection, body):
        connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        assert response.status == 400, response.status

    with open(args.results, "a") as out:
        connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
        for run in range(args.runs + 1):  # run 0 warms up and is not recorded
            for case, body in (("string", string), ("array", array)):
                started = time.perf_counter()
                post(connection, body)
                if run > 0:
                    out.write(json.dumps({"section": "bodies", "case": case, "run": run,
                                          "ms": round((time.perf_counter() - started) * 1000, 3)}) + "\n")

        def health_latencies(seconds):
            client = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
            latencies = []
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                client.request("GET", "/_emulator/health")
                response = client.getresponse()
                response.read()
                latencies.append((time.perf_counter() - started) * 1000)
            return latencies

        def p99(values):
            values = sorted(values)
            return values[min(len(values) - 1, int(len(values) * 0.99))]

        alone = health_latencies(args.seconds)
        stop_flag = threading.Event()
        sent = [0]

        def sender():
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
            while not stop_flag.is_set():
                post(connection, array)
                sent[0] += 1

        senders = [threading.Thread(target=sender) for _ in range(8)]
        for t in senders: t.start()
        time.sleep(0.2)
        loaded = health_latencies(args.seconds)
        stop_flag.set()
        for t in senders: t.join()
        out.write(json.dumps({"section": "bodies-health", "case": "alone", "p50_ms": round(statistics.median(alone), 3),
                              "p99_ms": round(p99(alone), 3), "n": len(alone)}) + "\n")
        out.write(json.dumps({"section": "bodies-health", "case": "8 bodies", "p50_ms": round(statistics.median(loaded), 3),
                              "p99_ms": round(p99(loaded), 3), "n": len(loaded), "bodies": sent[0]}) + "\n")


def cmd_fsync(args):
    """The disk's rate of durable appends: 4 KiB written, then fdatasync, in a loop on a file in args.dir."""
    path = os.path.join(args.dir, "fdatasync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        page = b"\0" * 4096
        count = 0
        started = time.perf_counter()
        while time.perf_counter() - started < args.seconds:
            os.pwrite(fd, page, (count % 256) * 4096)
            os.fdatasync(fd)
            count += 1
        elapsed = time.perf_counter() - started
    finally:
        os.close(fd)
        os.unlink(path)
    print(f"{count / elapsed:.1f}")


def cmd_commits(args):
    """The state store's commits and committed writes so far, from /_emulator/metrics: "COMMITS WRITES"."""
    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
    connection.request("GET", "/_emulator/metrics")
    text = connection.getresponse().read().decode()
    values = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("datasync_state_commits_total", "datasync_state_writes_total"):
            values[parts[0]] = int(float(parts[1]))
    print(values.get("datasync_state_commits_total", 0), values.get("datasync_state_writes_total", 0))


def cmd_write_bodies(args):
    with open(args.member, "w") as f:
        json.dump(MEMBER_BODY, f)


# --- The table ---

def stats(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return {"median": statistics.median(values), "min": values[0], "max": values[-1], "n": len(values)}


def fmt(value, digits=1):
    if value is None:
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def cell(s, digits=1):
    if s is None:
        return "n/a"
    if s["n"] == 1:
        return fmt(s["median"], digits)
    return f"{fmt(s['median'], digits)} ({fmt(s['min'], digits)}–{fmt(s['max'], digits)})"


def ratio(a, b):
    if a is None or b is None or b["median"] == 0:
        return None
    return a["median"] / b["median"]


def rfmt(r, percent=False):
    if r is None:
        return "n/a"
    return f"{r * 100:.0f}%" if percent else f"{r:.2f}×"


def mib(kib):
    return None if kib is None else kib / 1024


def cmd_summarize(args):
    rows = []
    for line in open(args.results):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            print(f"bench: skipping a malformed result line: {line.strip()}", file=sys.stderr)
    metas = [r for r in rows if r.get("section") == "meta"]
    meta = metas[-1] if metas else {"mode": "?", "cold_runs": "?", "wrk_seconds": "?", "wrk_runs": "?", "load_names": {}}
    out = []
    w = out.append
    w(f"Mode: **{meta['mode']}**. Every figure is the median of the runs, with (min–max) when there was more than one run.")
    w("")

    # Cold start
    cold = [r for r in rows if r.get("section") == "coldstart"]
    targets = {}
    if cold:
        w(f"### 1. Cold start (ms, {meta['cold_runs']} runs per case, interleaved)")
        w("")
        w("| process and data dir | exec → readiness line | exec → first 200 | ratio to hello (readiness) | ratio to hello (first 200) | ratio to the empty data dir (readiness) |")
        w("|---|---|---|---|---|---|")
        labels = list(dict.fromkeys(r["case"] for r in cold))
        base = [r for r in cold if r["case"] == labels[0]]
        b_ready, b_first = stats([r["ready_ms"] for r in base]), stats([r["first200_ms"] for r in base])
        empty = next((stats([r["ready_ms"] for r in cold if r["case"] == label]) for label in labels if "empty" in label), None)
        for label in labels:
            sel = [r for r in cold if r["case"] == label]
            ready, first = stats([r["ready_ms"] for r in sel]), stats([r["first200_ms"] for r in sel])
            to_empty = rfmt(ratio(ready, empty)) if label.startswith("emulator") else ""
            w(f"| {label} | {cell(ready)} | {cell(first)} | {rfmt(ratio(ready, b_ready))} | {rfmt(ratio(first, b_first))} | {to_empty} |")
            if "empty" in label:
                targets["cold"] = ready
            elif "groups ×" in label:
                targets["cold_groups"] = (label.removeprefix("emulator, "), ready, ratio(ready, empty))
            elif "bench-state" in label:
                targets["cold_large"] = (label.removeprefix("emulator, ").removesuffix(" (bench-state)"), ready)
        w("")

    # HTTP
    http = [r for r in rows if r.get("section") == "http"]
    if http:
        w(f"### 2. HTTP throughput and latency (wrk, {meta['wrk_seconds']} s per run, {meta['wrk_runs']} run(s) per cell, interleaved with the baseline)")
        w("")
        w("| load | conns | requests/s | p50 ms | p99 ms | req/s ratio to hello GET | server CPU µs/request |")
        w("|---|---|---|---|---|---|---|")
        loads = list(dict.fromkeys(r["load"] for r in http))
        hello = {}
        for c in sorted({r["conns"] for r in http}):
            hello[c] = stats([r["rps"] for r in http if r["load"] == "hello" and r["conns"] == c])
        for load in loads:
            for c in sorted({r["conns"] for r in http if r["load"] == load}):
                sel = [r for r in http if r["load"] == load and r["conns"] == c]
                rps = stats([r["rps"] for r in sel])
                extra = ""
                if load == "put-async+poll":
                    ops = stats([r.get("ops_per_s") for r in sel])
                    extra = f" ({cell(ops, 0)} PUT+poll operations/s)"
                if load == "put-sync":
                    per_commit = stats([r.get("writes_per_commit") for r in sel])
                    if per_commit:
                        extra += f" ({cell(per_commit, 1)} writes per commit)"
                errors = sum(r.get("socket_errors", 0) + r.get("status_errors", 0) + r.get("unexpected", 0) for r in sel)
                if errors:
                    extra += f" **{errors} errors**"
                cpu = stats([r.get("server_cpu_us_per_request") for r in sel])
                w(f"| {meta['load_names'].get(load, load)} | {c} | {cell(rps, 0)}{extra} | {cell(stats([r['p50_ms'] for r in sel]), 2)} "
                  f"| {cell(stats([r['p99_ms'] for r in sel]), 2)} | {'baseline' if load == 'hello' else rfmt(ratio(rps, hello.get(c)), True)} "
                  f"| {cell(cpu, 0)} |")
                if load == "get-group" and c == 16:
                    targets["get16"] = (rps, ratio(rps, hello.get(c)))
                if load == "list-100-members" and c == 16:
                    body = stats([r["rps"] for r in http if r["load"] == "hello-body" and r["conns"] == c])
                    targets["list16"] = (rps, ratio(rps, body))
                if load == "put-sync" and c == 16:
                    targets["put16"] = rps
                    targets["put16_detail"] = (cpu, stats([r.get("writes_per_commit") for r in sel]),
                                               stats([r.get("fdatasync_per_s") for r in sel]))
        w("")

    # SDK
    sdk = [r for r in rows if r.get("section") == "sdk"]
    if sdk:
        w(f"### 3. SDK workflow (azure-mgmt-sql over HTTPS, {len([r for r in sdk if 'process_s' in r])} run(s))")
        w("")
        w("| measure | seconds |")
        w("|---|---|")
        imp = stats([r["python_import_s"] for r in sdk if "python_import_s" in r])
        walk = stats([r["walkthrough_s"] for r in sdk if r.get("walkthrough_s") is not None])
        proc = stats([r["process_s"] for r in sdk if "process_s" in r])
        w(f"| Python startup + `import azure.mgmt.sql` (baseline, no request) | {cell(imp, 2)} |")
        w(f"| the how-to walkthrough, as timed inside sdk_walkthrough.py (`walkthrough: X s`) | {cell(walk, 2)} |")
        w(f"| startup + walkthrough (the two lines above added) | {fmt(imp['median'] + walk['median'], 2) if imp and walk else 'n/a'} |")
        w(f"| whole `sdk_walkthrough.py` process, exec to exit (walkthrough, then every other operation, 2 clients, TLS and auth probes) | {cell(proc, 2)} |")
        failed = [r for r in sdk if r.get("failed")]
        if failed:
            w(f"| **{len(failed)} run(s) reported failed checks** | |")
        w("")
        w("The live service, same operations (recorded, §2.2 of real-service-recordings.md): sync group create 30–107 s "
          "(J1, S1: 30 s; N1: 45 s; P1: 92 s; N2: 107 s), sync member create 15–46 s (P2: 15 s; N2: 46 s), "
          "member delete 74 s (P2), group delete 15–45 s (P1, N1). The walkthrough's two creates alone took at least 45 s live.")
        w("")
        targets["sdk"] = (imp["median"] + walk["median"]) if imp and walk else None
        targets["sdk_process"] = proc

    # Sync
    sync = [r for r in rows if "kind" in r]
    if sync:
        w("### 4. Sync throughput (bench-sync; file-backed SQLite, WAL, synchronous=NORMAL; engine time)")
        w("")
        w("| case | rows | rows/s | ratio to bulk insert | ratio to tracking-trigger insert |")
        w("|---|---|---|---|---|")
        sizes = sorted({r["rows"] for r in sync if "rows" in r})
        for n in sizes:
            bulk = stats([r["rows_per_s"] for r in sync if r["kind"] == "bulk_insert" and r["rows"] == n])
            trig = stats([r["rows_per_s"] for r in sync if r["kind"] == "trigger_insert" and r["rows"] == n])
            bare = stats([r["rows_per_s"] for r in sync if r["kind"] == "bare_copy" and r["rows"] == n])
            for kind, label in [("bulk_insert", "baseline: plain SQLite bulk insert (1 transaction, prepared statement)"),
                                ("bulk_insert_grdb", "(the same plain insert, binding through GRDB's `StatementArguments` as the engine does)"),
                                ("trigger_insert", "baseline: the same insert with the tracking triggers"),
                                ("bare_copy", "baseline: bare copy between attached files (`INSERT INTO main.t SELECT * FROM src.t`, rows then tracking rows, 1 transaction)"),
                                ("initial_sync", "initial sync, member → hub (one round)"),
                                ("initial_sync_memory", "initial sync, in-memory databases")]:
                s = stats([r["rows_per_s"] for r in sync if r["kind"] == kind and r["rows"] == n])
                if s is None:
                    continue
                w(f"| {label} | {n:,} | {cell(s, 0)} | {rfmt(ratio(s, bulk), True)} | {rfmt(ratio(s, trig), True)} |")
                if kind == "initial_sync":
                    targets.setdefault("initial", []).append((n, s, ratio(s, trig)))
                    if bare is not None:
                        cpu = {k: stats([r["cpu_seconds"] for r in sync if r["kind"] == k and r["rows"] == n and "cpu_seconds" in r])
                               for k in ("bare_copy", "initial_sync")}
                        targets.setdefault("bare", []).append((n, s, bare, ratio(s, bare), ratio(cpu["bare_copy"], cpu["initial_sync"])))
                if kind == "initial_sync_memory":
                    files = stats([r["rows_per_s"] for r in sync if r["kind"] == "initial_sync" and r["rows"] == n])
                    targets.setdefault("memory", []).append((n, s, files, ratio(s, files)))
            prov = stats([r["rows"] / r["provision_seconds"] for r in sync if r["kind"] == "initial_sync" and r["rows"] == n])
            if prov:
                w(f"| (provisioning the member: tracking rows for its existing rows, not in the sync time) | {n:,} | {cell(prov, 0)} | {rfmt(ratio(prov, bulk), True)} | {rfmt(ratio(prov, trig), True)} |")
        inc = [r for r in sync if r["kind"] == "incremental_sync"]
        if inc:
            w("")
            w("| incremental sync | ms of engine time |")
            w("|---|---|")
            first = inc[0]
            round_ms = stats([r["seconds"] * 1000 for r in inc])
            conv_ms = stats([r["converge_seconds"] * 1000 for r in inc])
            w(f"| one round: {first['changes']:,} changed rows spread over {first['members']} members, "
              f"{first['base']:,} rows per database ({first['applied']:,} row applications), {len(inc)} run(s) | {cell(round_ms, 1)} |")
            w(f"| until every member has every change (two rounds, {first['converge_applied']:,} row applications) | {cell(conv_ms, 1)} |")
            targets["incremental"] = round_ms
        w("")

    # Memory
    mem = [r for r in rows if r.get("section") == "memory"]
    state = [r for r in rows if r.get("section") == "state"]
    if mem or state:
        w("### 5. Memory and state size")
        w("")
        if mem:
            w("| process | when | RSS (MiB) | peak RSS, VmHWM (MiB) | CPU while idle (% of one core) |")
            w("|---|---|---|---|---|")
            for r in mem:
                cpu = r.get("cpu_percent")
                w(f"| {r['process']} | {r['when']} | {fmt(mib(r.get('rss_kib')))} | {fmt(mib(r.get('hwm_kib')))} | {'' if cpu is None else fmt(cpu)} |")
                if r["process"].startswith("emulator") and r["when"].startswith("idle") and "empty" in r["process"]:
                    targets["idle"] = mib(r.get("hwm_kib"))
                if r["process"].startswith("emulator") and r["when"].startswith("idle") and "groups ×" in r["process"]:
                    targets["idle_groups"] = (r["process"].removeprefix("emulator, "), mib(r.get("rss_kib")))
                if r["process"].startswith("emulator") and r["when"].startswith("peak") and mib(r.get("hwm_kib")) > targets.get("peak", ("", 0))[1]:
                    targets["peak"] = (r["process"].split(" (")[0], mib(r.get("hwm_kib")))
            w("")
        for r in state:
            w(f"State file after {r['groups']:,} groups × {r['members']} members = {r['resources']:,} resources "
              f"(each with its operation record): `state.sqlite` {r['bytes'] / 1048576:.1f} MiB, "
              f"**{r['bytes'] / r['resources'] * 1000 / 1024:,.0f} KiB per 1,000 resources**"
              + (f" (the `resource` table alone: {r['resource_bytes'] / r['resources'] * 1000 / 1024:,.0f} KiB per 1,000)" if r.get("resource_bytes") else "")
              + f". Populating it over HTTP (8 clients, --lro-style sync) took {r['populate_s']:.1f} s.")
            w("")

    # Request bodies
    parsed = [r for r in rows if r.get("section") == "bodies"]
    health = {r["case"]: r for r in rows if r.get("section") == "bodies-health"}
    if parsed or health:
        w("### 6. Request bodies (4 MiB to the query endpoint, parsed and refused with 400)")
        w("")
        w("| case | ms per request (upload, parse, answer) |")
        w("|---|---|")
        s_string = stats([r["ms"] for r in parsed if r["case"] == "string"])
        s_array = stats([r["ms"] for r in parsed if r["case"] == "array"])
        w(f"| baseline: one JSON string of 4 MiB | {cell(s_string)} |")
        w(f"| `[0,0,…]`: 2,097,152 numbers | {cell(s_array)} |")
        w("")
        if health:
            w("| /_emulator/health | p50 ms | p99 ms | requests |")
            w("|---|---|---|---|")
            for case, label in (("alone", "alone (baseline)"), ("8 bodies", "while 8 clients send `[0,0,…]` bodies back to back")):
                r = health.get(case)
                if r:
                    extra = f" ({r['bodies']} bodies sent)" if "bodies" in r else ""
                    w(f"| {label} | {fmt(r['p50_ms'], 2)} | {fmt(r['p99_ms'], 2)} | {r['n']}{extra} |")
            w("")
        targets["parse"] = s_array
        targets["health8"] = health.get("8 bodies")

    # Targets
    w("### Targets")
    w("")
    w("| target | measured | met? |")
    w("|---|---|---|")
    def verdict(ok):
        return "n/a" if ok is None else ("**met**" if ok else "**not met**")
    s = targets.get("cold")
    w(f"| cold start to readiness < 150 ms, empty data dir | {cell(s)} ms | {verdict(None if s is None else s['median'] < 150)} |")
    if "cold_groups" in targets:
        label, ready, to_empty = targets["cold_groups"]
        w(f"| cold start with {label} ≤ 1.2× the empty data dir | {cell(ready)} ms, {rfmt(to_empty)} | {verdict(None if to_empty is None else to_empty <= 1.2)} |")
    if "cold_large" in targets:
        label, ready = targets["cold_large"]
        w(f"| cold start with {label} < 300 ms | {cell(ready)} ms | {verdict(None if ready is None else ready['median'] < 300)} |")
    g = targets.get("get16")
    w(f"| GET of a group ≥ 90% of bare Hummingbird's GET /hello at 16 connections | {rfmt(g[1], True) if g else 'n/a'} | {verdict(None if not g or g[1] is None else g[1] >= 0.9)} |")
    li = targets.get("list16")
    w(f"| GET of a list of 100 members ≥ 50% of bare Hummingbird answering a stored body of the same size, 16 connections | {cell(li[0], 0) + ' req/s, ' + rfmt(li[1], True) if li else 'n/a'} | {verdict(None if not li or li[1] is None else li[1] >= 0.5)} |")
    p = targets.get("put16")
    w(f"| durable PUT (sync style) ≥ 2,000 req/s at 16 connections | {cell(p, 0)} req/s | {verdict(None if p is None else p['median'] >= 2000)} |")
    if p is not None:
        cpu, per_commit, fsyncs = targets["put16_detail"]
        cores = os.cpu_count() or 1
        cpu_limit = cores * 1e6 / cpu["median"] if cpu else None
        disk_limit = per_commit["median"] * fsyncs["median"] if per_commit and fsyncs else None
        w(f"| durable PUT (sync style, synchronous=FULL) ≥ 10,000 req/s at 16 connections | {cell(p, 0)} req/s; "
          f"CPU {cell(cpu, 0)} µs per PUT, so {cores} cores allow {fmt(cpu_limit, 0)}/s; disk {cell(fsyncs, 0)} fdatasync/s "
          f"× {cell(per_commit, 1)} writes per commit = {fmt(disk_limit, 0)}/s | {verdict(p['median'] >= 10_000)} |")
    sd = targets.get("sdk")
    w(f"| SDK walkthrough end to end < 3 s, Python startup included | {fmt(sd, 2)} s (startup + walkthrough); whole script {cell(targets.get('sdk_process'), 2)} s | {verdict(None if sd is None else sd < 3)} |")
    for n, si, r in targets.get("initial", []):
        w(f"| initial sync ≥ 100,000 rows/s and ≥ 40% of the tracking-trigger insert ({n:,} rows) | {cell(si, 0)} rows/s, {rfmt(r, True)} | {verdict(None if si is None or r is None else si['median'] >= 100_000 and r >= 0.4)} |")
    for n, si, files, r in targets.get("memory", []):
        w(f"| in-memory initial sync ≥ the file-backed set-wise rate of the same run ({n:,} rows) | {cell(si, 0)} rows/s against {cell(files, 0)}, {rfmt(r, True)} | {verdict(None if r is None else r >= 1)} |")
    for n, si, bare, r, rc in targets.get("bare", []):
        w(f"| initial sync ≥ 50% of the bare attached copy ({n:,} rows) | {cell(si, 0)} rows/s against {cell(bare, 0)}, {rfmt(r, True)} (by CPU time: {rfmt(rc, True)}) | {verdict(None if r is None else r >= 0.5)} |")
    ic = targets.get("incremental")
    w(f"| incremental sync of 1,000 changes < 100 ms engine time | {cell(ic)} ms | {verdict(None if ic is None else ic['median'] < 100)} |")
    pa = targets.get("parse")
    if pa is not None:
        w(f"| a 4 MiB `[0,0,…]` body parsed < 100 ms (request time) | {cell(pa)} ms | {verdict(pa['median'] < 100)} |")
    h8 = targets.get("health8")
    if h8 is not None:
        w(f"| /_emulator/health p99 < 50 ms while 8 such bodies arrive | {fmt(h8['p99_ms'], 2)} ms | {verdict(h8['p99_ms'] < 50)} |")
    idle = targets.get("idle")
    w(f"| idle RSS < 40 MB (peak RSS, VmHWM, after start on an empty data dir) | {fmt(idle)} MiB | {verdict(None if idle is None else idle * 1.048576 < 40)} |")
    for key, label, limit in (("idle_groups", "idle RSS < 40 MiB with {}", 40), ("peak", "peak RSS after all HTTP loads < 45 MiB ({})", 45)):
        if key in targets:
            what, value = targets[key]
            w(f"| {label.format(what)} | {fmt(value)} MiB | {verdict(None if value is None else value < limit)} |")
    print("\n".join(out))


parser = argparse.ArgumentParser()
sub = parser.add_subparsers(dest="cmd", required=True)
p = sub.add_parser("coldstart"); p.add_argument("--runs", type=int); p.add_argument("--results"); p.add_argument("--work"); p.add_argument("--case", action="append")
p = sub.add_parser("populate"); p.add_argument("--port", type=int); p.add_argument("--groups", type=int); p.add_argument("--members", type=int); p.add_argument("--threads", type=int, default=8)
p = sub.add_parser("fixture"); p.add_argument("--port", type=int); p.add_argument("--group"); p.add_argument("--members", type=int); p.add_argument("--prefix")
p = sub.add_parser("pending"); p.add_argument("--port", type=int)
p = sub.add_parser("bodies"); p.add_argument("--member")
p = sub.add_parser("fsync"); p.add_argument("--dir"); p.add_argument("--seconds", type=float, default=1.0)
p = sub.add_parser("commits"); p.add_argument("--port", type=int)
p = sub.add_parser("parse-bodies"); p.add_argument("--port", type=int); p.add_argument("--results"); p.add_argument("--runs", type=int); p.add_argument("--seconds", type=float)
p = sub.add_parser("summarize"); p.add_argument("--results")
args = parser.parse_args()
{"coldstart": cmd_coldstart, "populate": cmd_populate, "fixture": cmd_fixture,
 "pending": cmd_pending, "bodies": cmd_write_bodies, "fsync": cmd_fsync, "commits": cmd_commits, "parse-bodies": cmd_bodies, "summarize": cmd_summarize}[args.cmd](args)
PYTHON

helper() { "$python" "$helper" "$@"; }

if [[ -n "$summarize_file" ]]; then
    helper summarize --results "$summarize_file"
    exit 0
fi

# --- Build and tools -----------------------------------------------------------------------------

if [[ $build -eq 1 ]]; then
    log "building the release products in $scratch (a cold build takes minutes)"
    swift build -c release --scratch-path "$scratch" --package-path "$repo" >&2
fi
bin="$(swift build -c release --scratch-path "$scratch" --package-path "$repo" --show-bin-path)"
emulator="$bin/datasync-emulator"
hello="$bin/bench-hello"
bench_sync="$bin/bench-sync"
bench_state="$bin/bench-state"
for binary in "$emulator" "$hello" "$bench_sync" "$bench_state"; do
    [[ -x "$binary" ]] || { log "missing $binary (build without --skip-build)"; exit 1; }
done

# --- 6. Isolation (on its own) ---------------------------------------------------------------------
if [[ $isolation -eq 1 ]]; then
    launch "$work/isolation.stdout" "$work/isolation.stderr" "$emulator" --port 0 --data-dir "$work/isolation" --query-timeout 10
    await_readiness "$launched_pid" "$work/isolation.stdout" 30
    base="$(sed -n 's/.*listening on //p' "$work/isolation.stdout" | head -n 1)"
    "$python" "$repo/scripts/bench/isolation.py" "$base" "${BENCH_ISOLATION_ROWS:-1000000}" | tee -a "$results"
    kill "$launched_pid"
    log "results in $results"
    exit 0
fi

apt_updated=0
ensure_tool() {
    local tool="$1" package="$2"
    command -v "$tool" >/dev/null 2>&1 && return 0
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing $package from Debian"
        if [[ $apt_updated -eq 0 ]]; then
            apt-get update -qq >&2 || true
            apt_updated=1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >&2 || true
    fi
    command -v "$tool" >/dev/null 2>&1
}
have_wrk=1
ensure_tool wrk wrk || { have_wrk=0; log "wrk is not available: the HTTP section is skipped"; }
if [[ $profile -eq 1 ]]; then
    ensure_tool perf linux-perf || { log "perf is not available: --profile is ignored"; profile=0; }
fi


# start_server NAME ARGS...: starts a server in the background (stdout to a file, stderr to a log),
# waits for its readiness line, and sets server_pid and server_port.
start_server() {
    local name="$1"
    shift
    local out="$work/$name.stdout" status=0
    launch "$out" "$work/$name.stderr" "$@"
    server_pid=$launched_pid
    await_readiness "$server_pid" "$out" 30 || status=$?
    if [[ $status -eq 1 ]]; then
        log "$name exited early:"
        tail -n 20 "$work/$name.stderr" >&2
        exit 1
    fi
    server_port="$(sed -n 's/.*listening on https\{0,1\}:\/\/[^:]*:\([0-9]*\).*/\1/p' "$out" | head -n 1)"
    [[ -n "$server_port" ]] || { log "$name printed no readiness line"; exit 1; }
}

# memory_of PID: "rss_kib hwm_kib" from /proc.
memory_of() {
    local pid="$1"
    awk '/^VmRSS:/ {r=$2} /^VmHWM:/ {h=$2} END {print r+0, h+0}' "/proc/$pid/status"
}

# record_memory PROCESS WHEN PID [CPU_PERCENT]
record_memory() {
    local process="$1" when="$2" pid="$3" cpu="${4:-null}" rss hwm
    read -r rss hwm < <(memory_of "$pid")
    record "{\"section\":\"memory\",\"process\":\"$process\",\"when\":\"$when\",\"rss_kib\":$rss,\"hwm_kib\":$hwm,\"cpu_percent\":$cpu}"
}

# profile_report DATA OUT: self time by symbol, then time including callees, demangled.
profile_report() {
    {
        echo "== self time by symbol"
        perf report -i "$1" --no-children --stdio --sort dso,sym -g none --percent-limit 0.5 2>/dev/null
        echo "== time including callees"
        perf report -i "$1" --children --stdio --sort sym -g none --percent-limit 2 2>/dev/null
    } | swift demangle --simplified >"$2" || true
}

started_at="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
log "mode $mode; work dir $work"

# write_table: the run's meta line, then the Markdown table on stdout and in BENCH_OUT.
write_table() {
    meta="$work/meta.json"
    cat >"$meta" <<EOF
{"section":"meta","mode":"$mode","cold_runs":$cold_runs,"wrk_seconds":$wrk_seconds,"wrk_runs":$wrk_runs,
 "load_names":{"hello":"bench-hello GET /hello (baseline)","hello-body":"bench-hello GET /body, a stored body of the list's size (the list's baseline)","get-group":"GET sync group","list-100-members":"GET list of 100 members",
   "put-sync":"PUT member, changed each time (group of 10), --lro-style sync (answer after commit)","put-async+poll":"PUT member, changed each time (group of 10) + poll, --lro-style async","poll-202":"GET of a pending operation (202)"}}
EOF
    { tr -d '\n' <"$meta"; echo; } >>"$results"
    finished_at="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    mkdir -p "$out_dir"
    stamp="$(date -u +%Y%m%dT%H%M%SZ)"
    table="$out_dir/bench-$stamp.md"
    {
        echo "## datasync-emulator benchmarks ($mode)"
        echo
        echo "- Date: $started_at to $finished_at"
        echo "- Command: \`$command_line\`"
        echo "- Commit: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet 2>/dev/null || echo ' (with local changes)')"
        echo "- Machine: $(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(free -h | awk '/^Mem:/ {print $2}') RAM, $(uname -sr); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "- Work dir filesystem: $(df -T "$work" | awk 'NR == 2 {print $2}')"
        echo
        helper summarize --results "$results"
    } >"$table"
    cp "$results" "$out_dir/bench-$stamp.jsonl"
    cat "$table"
    log "written: $table and $out_dir/bench-$stamp.jsonl"
}

# --- wrk runs: one cell of the HTTP table -----------------------------------------------------------

api="api-version=2015-05-01-preview"
db_path="/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/bench-rg/providers/Microsoft.Sql/servers/bench-server/databases/bench-db"
member_body="$work/member.json"
helper bodies --member "$member_body"

lua="$repo/scripts/bench"
# cpu_ticks PID: user + system CPU time of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_second="$(getconf CLK_TCK)"
# wrk_cell LOAD CONNS RUN SECONDS SERVER_PID SCRIPT URL [ENV...]: one wrk run; records its result line
# (run 0 is a warm-up and is not recorded) with the server's CPU time per request. With commits_port set
# (an emulator's port) and fsync_dir (its data dir), it also records the disk's fdatasync rate measured
# just before the run and the state store's writes per commit during it.
wrk_cell() {
    local load="$1" conns="$2" run="$3" seconds="$4" server="$5" script="$6" url="$7"
    shift 7
    local threads=2
    if [[ $conns -lt 2 ]]; then threads=1; fi
    local line before after fsyncs="" commits_before writes_before commits_after writes_after
    if [[ -n "${commits_port:-}" ]]; then
        fsyncs="$(helper fsync --dir "$fsync_dir" --seconds 1)"
        read -r commits_before writes_before < <(helper commits --port "$commits_port")
    fi
    before="$(cpu_ticks "$server")"
    line="$(env "$@" BENCH_TAG="\"section\":\"http\",\"load\":\"$load\",\"conns\":$conns,\"run\":$run" \
        wrk -t "$threads" -c "$conns" -d "${seconds}s" --timeout 10s -s "$lua/$script" "$url" 2>&1 |
        sed -n 's/^WRKJSON //p')"
    after="$(cpu_ticks "$server")"
    if [[ -z "$line" ]]; then
        log "wrk produced no result for $load at $conns connections"
    elif [[ $run -gt 0 ]]; then
        local requests cpu extra=""
        requests="$(sed -n 's/.*"requests":\([0-9]*\).*/\1/p' <<<"$line")"
        cpu="$(awk -v t="$((after - before))" -v hz="$ticks_per_second" -v n="$requests" 'BEGIN {printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0)}')"
        if [[ -n "$fsyncs" ]]; then
            read -r commits_after writes_after < <(helper commits --port "$commits_port")
            extra="$(awk -v c="$((commits_after - commits_before))" -v w="$((writes_after - writes_before))" -v f="$fsyncs" \
                'BEGIN {printf ",\"commits\":%d,\"writes\":%d,\"writes_per_commit\":%.2f,\"fdatasync_per_s\":%s", c, w, (c > 0 ? w / c : 0), f}')"
        fi
        record "${line%\}},\"server_cpu_us_per_request\":$cpu$extra}"
    fi
}

# --- 6. Request bodies (run last, or alone with --only bodies) -----------------------------------------

bench_bodies() {
    local runs=5 seconds=3
    if [[ $quick -eq 1 ]]; then runs=2 seconds=1; fi
    log "request bodies: $runs run(s) of 4 MiB bodies; health latency for $seconds s alone and under 8 senders"
    start_server bodies "$emulator" --port 0 --in-memory --log-level warning
    helper parse-bodies --port "$server_port" --results "$results" --runs "$runs" --seconds "$seconds"
    stop_pid "$server_pid"
}

if [[ "$only" == "bodies" ]]; then
    bench_bodies
    write_table
    exit 0
fi

# --- 4. Sync throughput (run in its place below, or alone with --only sync) --------------------------

bench_sync_section() {
    log "sync throughput: rows $sync_rows, $sync_runs run(s); incremental on $incremental_base rows"
    "$bench_sync" --dir "$work/sync" --rows "$sync_rows" --runs "$sync_runs" --memory-rows 100000 \
        --incremental-base "$incremental_base" --changes 1000 --members 3 --incremental-runs "$incremental_runs" >>"$results"
    if [[ $profile -eq 1 ]]; then
        log "profiling bench-sync's initial sync of 100,000 rows"
        perf record -F 999 -g -o "$work/perf-sync.data" -- "$bench_sync" --dir "$work/sync-profile" --rows 100000 --runs 3 \
            --only initial >/dev/null 2>&1 || true
        profile_report "$work/perf-sync.data" "$out_dir/profile-sync.txt"
    fi
}

if [[ "$only" == "sync" ]]; then
    bench_sync_section
    write_table
    exit 0
fi

# --- 2b. The durable PUT alone (--only put) ----------------------------------------------------------

# bench_put: bench-hello's GET and the durable member PUT (--lro-style sync, a data dir, so synchronous=FULL)
# at 16 connections, interleaved, each PUT run with the disk's fdatasync rate and the writes per commit.
bench_put() {
    [[ $have_wrk -eq 1 ]] || { log "wrk is needed for --only put"; exit 1; }
    log "durable PUT: $wrk_runs run(s) × $wrk_seconds s at 16 connections, interleaved with bench-hello"
    start_server hello "$hello" 0
    local hello_pid=$server_pid hello_port=$server_port
    start_server emu-sync "$emulator" --port 0 --data-dir "$work/http-sync" --lro-style sync --log-level warning
    local sync_pid=$server_pid sync_port=$server_port
    helper fixture --port "$sync_port" --group put-group --members "$members_per_group" --prefix bench-put-
    local put_env=(BENCH_GROUP_PATH="$db_path/syncGroups/put-group" BENCH_BODY_FILE="$member_body" BENCH_NAMES="$members_per_group")
    local run
    for run in $(seq 0 "$wrk_runs"); do  # run 0 warms up and is not recorded
        local seconds=$wrk_seconds
        [[ $run -gt 0 ]] || seconds=1
        wrk_cell hello 16 "$run" "$seconds" "$hello_pid" get.lua "http://127.0.0.1:$hello_port/hello"
        commits_port=$sync_port fsync_dir="$work/http-sync" \
            wrk_cell put-sync 16 "$run" "$seconds" "$sync_pid" put.lua "http://127.0.0.1:$sync_port" "${put_env[@]}"
    done
    if [[ $profile -eq 1 ]]; then
        mkdir -p "$out_dir"
        log "profiling the emulator under the durable PUT (16 connections)"
        perf record -F 999 -g -o "$work/perf-put.data" -p "$sync_pid" -- sleep 5 >/dev/null 2>&1 &
        local perf_pid=$!
        env "${put_env[@]}" wrk -t 2 -c 16 -d 5s -s "$lua/put.lua" "http://127.0.0.1:$sync_port" >/dev/null
        wait "$perf_pid" || true
        profile_report "$work/perf-put.data" "$out_dir/profile-put.txt"
    fi
    stop_pid "$hello_pid"
    stop_pid "$sync_pid"
}

if [[ "$only" == "put" ]]; then
    bench_put
    write_table
    exit 0
fi

if [[ "$only" != "http" ]]; then
# --- Populated data dir and state size ----------------------------------------------------------

populated="$work/populated"
log "populating $groups_label groups × $members_per_group members (--lro-style sync, over HTTP)"
start_server populate "$emulator" --port 0 --data-dir "$populated" --lro-style sync --log-level warning
read -r resources populate_s < <(helper populate --port "$server_port" --groups "$groups" --members "$members_per_group")
stop_pid "$server_pid"
state_bytes=$(($(stat -c %s "$populated/state.sqlite") + $(stat -c %s "$populated/state.sqlite-wal" 2>/dev/null || echo 0)))
resource_bytes="$("$python" - "$populated/state.sqlite" <<'PYTHON' 2>/dev/null || echo null
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT SUM(pgsize) FROM dbstat WHERE name IN ('resource', 'resourceByParent', 'resourceBySubscription', 'sqlite_autoindex_resource_1')").fetchone()[0])
PYTHON
)"
record "{\"section\":\"state\",\"groups\":$groups,\"members\":$members_per_group,\"resources\":$resources,\"bytes\":$state_bytes,\"resource_bytes\":${resource_bytes:-null},\"populate_s\":$populate_s}"

# The large data dir: groups of 10 members, written by bench-state through the state store (as the emulator
# writes them, operation records included); one start and stop then checkpoints its WAL, as a clean stop does.
large_groups=$(((${BENCH_LARGE_STATE:-100000} + members_per_group) / (members_per_group + 1)))
large="$work/large"
read -r large_resources large_s < <("$bench_state" --dir "$large" --groups "$large_groups" --members "$members_per_group")
log "large data dir: $large_resources resources written by bench-state in $large_s s"
start_server large-first "$emulator" --port 0 --data-dir "$large" --log-level warning
stop_pid "$server_pid"
large_label="$(sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$large_resources")"

# --- 1. Cold start --------------------------------------------------------------------------------

log "cold start: $cold_runs runs per case"
helper coldstart --runs "$cold_runs" --results "$results" --work "$work" \
    --case "{\"label\":\"bench-hello (baseline)\",\"health\":\"/hello\",\"command\":[\"$hello\",\"0\"]}" \
    --case "{\"label\":\"emulator, empty data dir\",\"health\":\"/_emulator/health\",\"command\":[\"$emulator\",\"--port\",\"0\",\"--data-dir\",\"{FRESH}\"]}" \
    --case "{\"label\":\"emulator, $groups_label groups × $members_per_group members\",\"health\":\"/_emulator/health\",\"command\":[\"$emulator\",\"--port\",\"0\",\"--data-dir\",\"$populated\"]}" \
    --case "{\"label\":\"emulator, $large_label resources (bench-state)\",\"health\":\"/_emulator/health\",\"command\":[\"$emulator\",\"--port\",\"0\",\"--data-dir\",\"$large\"]}"

# --- 5a. Idle memory ------------------------------------------------------------------------------

log "idle memory"
start_server idle-hello "$hello" 0
idle_hello=$server_pid
start_server idle-empty "$emulator" --port 0 --data-dir "$work/idle-empty"
idle_empty=$server_pid
start_server idle-populated "$emulator" --port 0 --data-dir "$populated"
idle_populated=$server_pid
# Idle CPU from 1 s to 6 s after start (the interval scheduler wakes once a second), then memory.
sleep 1
idle_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
idle_before=("$(idle_ticks "$idle_hello")" "$(idle_ticks "$idle_empty")" "$(idle_ticks "$idle_populated")")
sleep 5
idle_cpu() { awk -v t="$(($(idle_ticks "$1") - $2))" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz / 5 * 100}'; }
record_memory "bench-hello" "idle, 6 s after start" "$idle_hello" "$(idle_cpu "$idle_hello" "${idle_before[0]}")"
record_memory "emulator, empty data dir" "idle, 6 s after start" "$idle_empty" "$(idle_cpu "$idle_empty" "${idle_before[1]}")"
record_memory "emulator, $groups_label groups × $members_per_group members" "idle, 6 s after start" "$idle_populated" "$(idle_cpu "$idle_populated" "${idle_before[2]}")"
stop_pid "$idle_hello"
stop_pid "$idle_empty"
stop_pid "$idle_populated"
if [[ "$only" == "start" ]]; then
    write_table
    exit 0
fi
fi

# --- 2. HTTP throughput ---------------------------------------------------------------------------

if [[ $have_wrk -eq 1 ]]; then
    log "HTTP loads: ${#connections[@]} connection counts × $wrk_runs run(s) × $wrk_seconds s"
    # A: async LROs, for GET, list and PUT+poll.
    start_server emu-async "$emulator" --port 0 --data-dir "$work/http-async" --log-level warning
    async_pid=$server_pid async_port=$server_port
    helper fixture --port "$async_port" --group read-group --members 100 --prefix m-
    helper fixture --port "$async_port" --group poll-group --members 0 --prefix x
    list_path="$db_path/syncGroups/read-group/syncMembers?$api"
    # The list's baseline: bench-hello answering a stored body of the list answer's size.
    list_bytes="$("$python" -c 'import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1])); c.request("GET", sys.argv[2]); print(len(c.getresponse().read()))' \
        "$async_port" "$list_path")"
    start_server hello "$hello" 0 "$list_bytes"
    hello_pid=$server_pid hello_port=$server_port
    # B: --lro-style sync, for the durable PUT: a group of 10 members, as in the populated data dir, that
    # exist before the runs (every PUT is an update).
    start_server emu-sync "$emulator" --port 0 --data-dir "$work/http-sync" --lro-style sync --log-level warning
    sync_pid=$server_pid sync_port=$server_port
    helper fixture --port "$sync_port" --group put-group --members "$members_per_group" --prefix bench-put-
    # C: operations that never finish, for 202 polling.
    start_server emu-pending "$emulator" --port 0 --data-dir "$work/http-pending" --operation-delay 86400 --log-level warning
    pending_pid=$server_pid pending_port=$server_port
    pending_path="$(helper pending --port "$pending_port")"

    run_loads() {
        local conns="$1" run="$2" seconds="$3"
        wrk_cell hello "$conns" "$run" "$seconds" "$hello_pid" get.lua "http://127.0.0.1:$hello_port/hello"
        wrk_cell get-group "$conns" "$run" "$seconds" "$async_pid" get.lua "http://127.0.0.1:$async_port$db_path/syncGroups/read-group?$api"
        wrk_cell hello-body "$conns" "$run" "$seconds" "$hello_pid" get.lua "http://127.0.0.1:$hello_port/body"
        wrk_cell list-100-members "$conns" "$run" "$seconds" "$async_pid" get.lua "http://127.0.0.1:$async_port$list_path"
        commits_port=$sync_port fsync_dir="$work/http-sync" \
            wrk_cell put-sync "$conns" "$run" "$seconds" "$sync_pid" put.lua "http://127.0.0.1:$sync_port" \
            BENCH_GROUP_PATH="$db_path/syncGroups/put-group" BENCH_BODY_FILE="$member_body" BENCH_NAMES="$members_per_group"
        wrk_cell put-async+poll "$conns" "$run" "$seconds" "$async_pid" put_poll.lua "http://127.0.0.1:$async_port" \
            BENCH_GROUP_PATH="$db_path/syncGroups/poll-group" BENCH_BODY_FILE="$member_body" BENCH_NAMES="$members_per_group"
        wrk_cell poll-202 "$conns" "$run" "$seconds" "$pending_pid" get.lua "http://127.0.0.1:$pending_port$pending_path"
    }
    # Warm-up (not recorded): every load once, briefly, which also creates the PUT+poll members.
    run_loads 16 0 1
    for run in $(seq "$wrk_runs"); do
        for conns in "${connections[@]}"; do
            log "HTTP run $run of $wrk_runs, $conns connection(s)"
            run_loads "$conns" "$run" "$wrk_seconds"
        done
    done
    record_memory "bench-hello" "peak after the loads (1, 16, 64 connections)" "$hello_pid"
    record_memory "emulator A (GET, list, PUT+poll)" "peak after the loads (1, 16, 64 connections)" "$async_pid"
    record_memory "emulator B (PUT, sync style)" "peak after the loads (1, 16, 64 connections)" "$sync_pid"
    record_memory "emulator C (202 polling)" "peak after the loads (1, 16, 64 connections)" "$pending_pid"

    if [[ $profile -eq 1 ]]; then
        mkdir -p "$out_dir"
        log "profiling the emulator under GET, list GET and durable PUT (16 connections each)"
        perf record -F 999 -g -o "$work/perf-get.data" -p "$async_pid" -- sleep 5 >/dev/null 2>&1 &
        perf_pid=$!
        wrk -t 2 -c 16 -d 5s "http://127.0.0.1:$async_port$db_path/syncGroups/read-group?$api" >/dev/null
        wait "$perf_pid" || true
        profile_report "$work/perf-get.data" "$out_dir/profile-get.txt"
        perf record -F 999 -g -o "$work/perf-list.data" -p "$async_pid" -- sleep 5 >/dev/null 2>&1 &
        perf_pid=$!
        wrk -t 2 -c 16 -d 5s "http://127.0.0.1:$async_port$list_path" >/dev/null
        wait "$perf_pid" || true
        profile_report "$work/perf-list.data" "$out_dir/profile-list.txt"
        perf record -F 999 -g -o "$work/perf-put.data" -p "$sync_pid" -- sleep 5 >/dev/null 2>&1 &
        perf_pid=$!
        BENCH_GROUP_PATH="$db_path/syncGroups/put-group" BENCH_BODY_FILE="$member_body" BENCH_NAMES="$members_per_group" \
            wrk -t 2 -c 16 -d 5s -s "$lua/put.lua" "http://127.0.0.1:$sync_port" >/dev/null
        wait "$perf_pid" || true
        profile_report "$work/perf-put.data" "$out_dir/profile-put.txt"
    fi
    stop_pid "$hello_pid"
    stop_pid "$async_pid"
    stop_pid "$sync_pid"
    stop_pid "$pending_pid"
fi
if [[ "$only" == "http" ]]; then
    write_table
    exit 0
fi

# --- 3. SDK workflow ------------------------------------------------------------------------------

venv_python="${DATASYNC_EMULATOR_CACHE:-$HOME/.cache/datasync-emulator}/venvs/sql-4.0.0/bin/python"
if [[ -x "$venv_python" ]] && "$venv_python" -c 'import azure.mgmt.sql' 2>/dev/null; then
    log "SDK walkthrough: $sdk_runs run(s)"
    for run in $(seq "$sdk_runs"); do
        t0=$(date +%s%N)
        "$venv_python" -c 'import azure.mgmt.sql, azure.core' 
        t1=$(date +%s%N)
        import_s="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')"
        sdk_dir="$work/sdk-$run"
        start_server "sdk-$run" "$emulator" --https --port 0 --data-dir "$sdk_dir" --log-level warning
        sdk_pid=$server_pid
        url="$(head -n 1 "$work/sdk-$run.stdout" | sed 's/.*listening on //')"
        status=0
        t0=$(date +%s%N)
        "$venv_python" "$repo/scripts/sdk_walkthrough.py" --base-url "$url" --ca-file "$sdk_dir/tls/ca.pem" \
            --label bench >"$work/sdk-$run.log" 2>&1 || status=$?
        t1=$(date +%s%N)
        stop_pid "$sdk_pid"
        process_s="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')"
        walk_s="$(sed -n 's/^walkthrough: \([0-9.]*\) s$/\1/p' "$work/sdk-$run.log" | tail -n 1)"
        failed=false
        [[ $status -eq 0 ]] || failed=true
        record "{\"section\":\"sdk\",\"run\":$run,\"python_import_s\":$import_s,\"walkthrough_s\":${walk_s:-null},\"process_s\":$process_s,\"failed\":$failed}"
        [[ $status -eq 0 ]] || { log "sdk_walkthrough.py reported failures (run $run):"; tail -n 5 "$work/sdk-$run.log" >&2; }
    done
else
    log "no $venv_python with azure-mgmt-sql: the SDK section is skipped (scripts/sdk-check.sh creates it)"
fi

# --- 4. Sync throughput ---------------------------------------------------------------------------

bench_sync_section

bench_bodies
write_table
