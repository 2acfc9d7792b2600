#!/usr/bin/env bash
# The acceptance check with the official Azure SDK for Python (azure-mgmt-sql): it drives the built
# emulator over HTTPS, trusting only the emulator's own CA, through scripts/sdk_walkthrough.py.
#
# Two runs:
#   1. --https --data-dir <tmp>           default auth; the CA is read from <tmp>/tls/ca.pem
#   2. --https --in-memory --auth token-unsigned
#                                         the CA is fetched from /_emulator/ca.pem (the one unverified call),
#                                         and operations stay in progress for 50 ms. The walkthrough's token
#                                         is hand-made and unsigned, which token-unsigned accepts; signed
#                                         tokens from the emulator's own endpoint are checked by
#                                         scripts/clients/azure-identity.sh under --auth token.
#
# Installs what it needs into <repo>/.venv-sdk (reused when the pinned requirements are there).
# Environment: DATASYNC_EMULATOR_BINARY (default <repo>/.build/debug/datasync-emulator), PYTHON (>= 3.10).
# The last line is `sdk-check: N passed, M failed`; the exit status is non-zero on any failure.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/checks.sh
source "$repo/scripts/lib/checks.sh"
# shellcheck source=lib/python.sh
source "$repo/scripts/lib/python.sh"
# shellcheck source=lib/emulator.sh
source "$repo/scripts/lib/emulator.sh"
begin_work sdk-check

binary="${DATASYNC_EMULATOR_BINARY:-$repo/.build/debug/datasync-emulator}"
venv="$repo/.venv-sdk"
requirements="$repo/scripts/requirements-sdk.txt"
walkthrough="$repo/scripts/sdk_walkthrough.py"

# --- The emulator --------------------------------------------------------------------------------

# start_emulator NAME DIR ARGS...: starts the emulator in working directory DIR, waits for its
# readiness line, and sets emulator_pid and emulator_url.
start_emulator() {
    local name="$1" dir="$2"
    shift 2
    local out="$work/$name.stdout" err="$work/$name.stderr"
    launch "$out" "$err" env -C "$dir" "$binary" "$@"
    local pid="$launched_pid" status=0
    emulator_url=""
    await_readiness "$pid" "$out" 30 || status=$?
    if [[ $status -eq 1 ]]; then
        echo "emulator ($name) exited early; its stderr:"
        tail -n 20 "$err"
        fatal "emulator ($name) starts: $binary $*"
    fi
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
    run_counted "sdk_walkthrough.py ($label)" sdk_walkthrough "$work/$name.walkthrough.log" 600 \
        "$venv/bin/python" "$walkthrough" --label "$label" "$@"
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

prepare_venv "$venv" "$requirements" "$work/venv.log" "a Python >= 3.10 is needed for azure-mgmt-sql (set PYTHON)"
ok "virtualenv $venv has the pinned requirements ($venv_state)"

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
stop_pid "$emulator_pid"
check_stdout default
[[ $failed -eq 0 ]] || show_emulator_log default
failed_before=$failed

# Run 2: --auth token-unsigned, in memory (from an empty directory, which must stay empty), the CA from its URL;
# operations stay in progress for 50 ms, so that the pollers also see 202s and "InProgress" on the way.
empty_dir="$work/cwd"
mkdir -p "$empty_dir"
start_emulator token "$empty_dir" --https --port 0 --in-memory --auth token-unsigned --operation-delay 0.05 --log-level warning
run_walkthrough token "https, --auth token-unsigned, CA from /_emulator/ca.pem" --base-url "$emulator_url" --fetch-ca --auth token-unsigned
stop_pid "$emulator_pid"
check_stdout token
if [[ -z "$(ls -A "$empty_dir")" ]]; then
    ok "--in-memory: nothing written to the working directory"
else
    not_ok "--in-memory: nothing written to the working directory (found: $(ls -A "$empty_dir" | tr '\n' ' '))"
fi
[[ $failed -eq $failed_before ]] || show_emulator_log token

summary
[[ $failed -eq 0 ]]
