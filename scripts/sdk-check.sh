#!/usr/bin/env bash
# The acceptance check with the official Azure SDK for Python (azure-mgmt-sql): it drives the built
# emulator over HTTPS, trusting only the emulator's own CA, through scripts/sdk_walkthrough.py.
#
# Two runs:
#   1. --https --data-dir <tmp>           default auth; the CA is read from <tmp>/tls/ca.pem
#   2. --https --in-memory --auth token   the CA is fetched from /_emulator/ca.pem (the one unverified call),
#                                         and operations stay in progress for 50 ms
#
# Installs what it needs into <repo>/.venv-sdk (reused when the pinned requirements are there).
# Environment: DATASYNC_EMULATOR_BINARY (default <repo>/.build/debug/datasync-emulator), PYTHON (>= 3.10).
# The last line is `sdk-check: N passed, M failed`; the exit status is non-zero on any failure.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="${DATASYNC_EMULATOR_BINARY:-$repo/.build/debug/datasync-emulator}"
venv="$repo/.venv-sdk"
requirements="$repo/scripts/requirements-sdk.txt"
walkthrough="$repo/scripts/sdk_walkthrough.py"

passed=0
failed=0
emulator_pids=()
work="$(mktemp -d "${TMPDIR:-/tmp}/sdk-check.XXXXXX")"

ok() {
    passed=$((passed + 1))
    echo "ok - $*"
}

not_ok() {
    failed=$((failed + 1))
    echo "not ok - $*"
}

summary() {
    echo "sdk-check: $passed passed, $failed failed"
}

fatal() {
    not_ok "$*"
    summary
    exit 1
}

stop_emulator() {
    local pid="$1"
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local pid
    for pid in "${emulator_pids[@]}"; do
        stop_emulator "$pid"
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Python and the virtualenv -------------------------------------------------------------------

find_python() {
    local candidate
    for candidate in ${PYTHON:-} python3 python3.13 python3.12 python3.11 python3.10; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# True when every `name==version` line of the requirements is what the venv has installed.
requirements_installed() {
    "$venv/bin/python" - "$requirements" <<'EOF' 2>/dev/null
import sys
from importlib import metadata

for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, version = line.partition("==")
    try:
        if metadata.version(name.strip()) != version.strip():
            sys.exit(1)
    except metadata.PackageNotFoundError:
        sys.exit(1)
EOF
}

prepare_venv() {
    if [[ -x "$venv/bin/python" ]] && ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
        echo "sdk-check: $venv has no working Python >= 3.10; recreating it"
        rm -rf "$venv"
    fi
    if [[ ! -x "$venv/bin/python" ]]; then
        local python
        python="$(find_python)" || fatal "a Python >= 3.10 is needed for azure-mgmt-sql (set PYTHON)"
        if ! "$python" -m venv "$venv" >"$work/venv.log" 2>&1; then
            # Debian's Python lacks ensurepip until python3-venv is installed.
            if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
                echo "sdk-check: installing python3-venv"
                rm -rf "$venv"
                apt-get update -qq
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
                "$python" -m venv "$venv" >"$work/venv.log" 2>&1 || { cat "$work/venv.log"; fatal "python -m venv $venv"; }
            else
                cat "$work/venv.log"
                fatal "python -m venv $venv (install python3-venv)"
            fi
        fi
    fi
    if requirements_installed; then
        ok "virtualenv $venv has the pinned requirements (reused)"
    else
        echo "sdk-check: installing scripts/requirements-sdk.txt into $venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" ||
            fatal "pip install -r scripts/requirements-sdk.txt"
        requirements_installed || fatal "the pinned requirements are installed in $venv"
        ok "virtualenv $venv has the pinned requirements (installed)"
    fi
}

# --- The emulator --------------------------------------------------------------------------------

# start_emulator NAME DIR ARGS...: starts the emulator in working directory DIR, waits for its
# readiness line, and sets emulator_pid and emulator_url.
start_emulator() {
    local name="$1" dir="$2"
    shift 2
    local out="$work/$name.stdout" err="$work/$name.stderr"
    (cd "$dir" && exec "$binary" "$@") >"$out" 2>"$err" &
    local pid=$!
    emulator_pids+=("$pid")
    emulator_url=""
    for _ in $(seq 300); do
        if grep -q "listening on" "$out" 2>/dev/null; then
            break
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "emulator ($name) exited early; its stderr:"
            tail -n 20 "$err"
            fatal "emulator ($name) starts: $binary $*"
        fi
        sleep 0.1
    done
    local line
    line="$(head -n 1 "$out")"
    if [[ "$line" =~ ^datasync-emulator\ listening\ on\ (https://127\.0\.0\.1:[0-9]+)$ ]]; then
        emulator_url="${BASH_REMATCH[1]}"
        ok "emulator ($name) is ready: $line"
    else
        echo "emulator ($name) stdout: ${line:-<nothing after 30 s>}"
        tail -n 20 "$err"
        fatal "emulator ($name) prints 'datasync-emulator listening on https://127.0.0.1:PORT'"
    fi
    emulator_pid="$pid"
}

# run_walkthrough NAME LABEL ARGS...: runs sdk_walkthrough.py and adds its counts.
run_walkthrough() {
    local name="$1" label="$2"
    shift 2
    local log="$work/$name.walkthrough.log" status=0
    timeout 600 "$venv/bin/python" "$walkthrough" --label "$label" "$@" 2>&1 | tee "$log" || status=$?
    local counts
    counts="$(sed -n 's/^sdk_walkthrough.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log" | tail -n 1)"
    if [[ -z "$counts" ]]; then
        not_ok "sdk_walkthrough.py ($label) ran to its summary (exit status $status)"
        return
    fi
    passed=$((passed + ${counts% *}))
    failed=$((failed + ${counts#* }))
    if [[ $status -ne 0 && ${counts#* } -eq 0 ]]; then
        not_ok "sdk_walkthrough.py ($label) exits 0 (exit status $status)"
    fi
}

# check_stdout NAME: the readiness line is all the emulator printed to stdout.
check_stdout() {
    local lines
    lines="$(wc -l <"$work/$1.stdout")"
    if [[ "$lines" -eq 1 ]]; then
        ok "emulator ($1) printed exactly one line to stdout"
    else
        not_ok "emulator ($1) printed exactly one line to stdout (it printed $lines)"
    fi
}

show_emulator_log() {
    local name="$1"
    if [[ -s "$work/$name.stderr" ]]; then
        echo "--- emulator ($name) stderr, last 40 lines ---"
        tail -n 40 "$work/$name.stderr"
    fi
}

# --- The runs ------------------------------------------------------------------------------------

prepare_venv

for _ in $(seq 6); do
    [[ -x "$binary" ]] && break
    echo "sdk-check: waiting for $binary"
    sleep 5
done
[[ -x "$binary" ]] || fatal "the emulator binary exists: $binary (build it, or set DATASYNC_EMULATOR_BINARY)"

# Run 1: default auth, state in a data dir, the CA read from <data-dir>/tls/ca.pem.
data_dir="$work/data"
start_emulator default "$work" --https --port 0 --data-dir "$data_dir" --log-level warning
if [[ -s "$data_dir/tls/ca.pem" ]] && grep -q -- "-----BEGIN CERTIFICATE-----" "$data_dir/tls/ca.pem"; then
    ok "the CA certificate is written to <data-dir>/tls/ca.pem"
    run_walkthrough default "https, default auth, CA from data dir" --base-url "$emulator_url" --ca-file "$data_dir/tls/ca.pem"
else
    not_ok "the CA certificate is written to <data-dir>/tls/ca.pem ($(ls -R "$data_dir" 2>&1 | tr '\n' ' '))"
fi
stop_emulator "$emulator_pid"
check_stdout default
[[ $failed -eq 0 ]] || show_emulator_log default
failed_before=$failed

# Run 2: --auth token, in memory (from an empty directory, which must stay empty), the CA from its URL;
# operations stay in progress for 50 ms, so that the pollers also see 202s and "InProgress" on the way.
empty_dir="$work/cwd"
mkdir -p "$empty_dir"
start_emulator token "$empty_dir" --https --port 0 --in-memory --auth token --operation-delay 0.05 --log-level warning
run_walkthrough token "https, --auth token, CA from /_emulator/ca.pem" --base-url "$emulator_url" --fetch-ca --auth token
stop_emulator "$emulator_pid"
check_stdout token
if [[ -z "$(ls -A "$empty_dir")" ]]; then
    ok "--in-memory: nothing written to the working directory"
else
    not_ok "--in-memory: nothing written to the working directory (found: $(ls -A "$empty_dir" | tr '\n' ' '))"
fi
[[ $failed -eq $failed_before ]] || show_emulator_log token

summary
[[ $failed -eq 0 ]]
