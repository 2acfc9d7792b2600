#!/usr/bin/env bash
# The client matrix: real Azure clients, unmodified, against the built emulator over HTTPS, trusting
# only the emulator's own CA.
#
#   1. azure-mgmt-sql 4.0.0, scripts/sdk_walkthrough.py (the how-to, then every other operation):
#      a. --https --data-dir <tmp>           default auth; the CA read from <tmp>/tls/ca.pem
#      b. --https --in-memory --auth token-unsigned
#                                            the CA fetched from /_emulator/ca.pem; operations stay in
#                                            progress for 50 ms. Its token is hand-made and unsigned, which
#                                            token-unsigned accepts.
#   2. Every client generation, scripts/client_walkthrough.py (the REST how-to with the client's own
#      poller; any long-running operation over 5 s fails), all in parallel against one
#      --https --in-memory --auth token emulator, each in its own subscription with its own names, and
#      each with a signed token from the emulator's own token endpoint (a client-credentials POST):
#      azure-mgmt-sql 4.0.0, 3.0.1, 1.0.0 (azure-core), 0.29.1 and 0.8.6 (msrest/msrestazure), and
#      azure-mgmt-resource's generic ResourceManagementClient by resource id.
#      a. at default settings
#      b. with --operation-delay 1.5: each operation must wait about 1.5 s, in at most three polls
#   3. Every executable scripts/clients/*.sh (given DATASYNC_URL and DATASYNC_CA), against the emulator
#      of 2a, after its clients; a script's own `NAME: N passed, M failed` line is counted.
#
# Each client has its own pinned virtualenv, scripts/matrix/<client>.txt installed into
# ${DATASYNC_EMULATOR_CACHE:-~/.cache/datasync-emulator}/venvs/<client>, reused while its pins hold;
# they are prepared in parallel.
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
venvs="${DATASYNC_EMULATOR_CACHE:-$HOME/.cache/datasync-emulator}/venvs"
venv="$venvs/sql-4.0.0"
walkthrough="$repo/scripts/sdk_walkthrough.py"
clients=(sql-4.0.0 sql-3.0.1 sql-1.0.0 sql-0.29.1 sql-0.8.6 resource-generic)
matrix_delay=1.5
# The tenant the matrix signs in to: any GUID names one at the emulator's token endpoint.
tenant=72f988bf-86f1-41af-91ab-2d7cd011db47

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

# prepare_venvs: every client's virtualenv, in parallel; each one's output goes to $work/venv-<client>.log.
prepare_venvs() {
    local client pids=() index=0 status started=$SECONDS
    mkdir -p "$venvs"
    for client in "${clients[@]}"; do
        (
            prepare_venv "$venvs/$client" "$repo/scripts/matrix/$client.txt" "$work/venv-$client.pip" \
                "a Python >= 3.10 is needed for the client matrix (set PYTHON)"
            echo "$venv_state" >"$work/venv-$client.state"
        ) >"$work/venv-$client.log" 2>&1 &
        pids+=($!)
    done
    for client in "${clients[@]}"; do
        status=0
        wait "${pids[$index]}" || status=$?
        index=$((index + 1))
        if [[ $status -eq 0 ]]; then
            ok "virtualenv $client has the pins of scripts/matrix/$client.txt ($(cat "$work/venv-$client.state"))"
        else
            cat "$work/venv-$client.log"
            fatal "virtualenv $client: pip install -r scripts/matrix/$client.txt"
        fi
    done
    echo "sdk-check: virtualenvs ready in $((SECONDS - started)) s"
}

# run_matrix NAME [DELAY]: every client's how-to, in parallel, against the emulator at $emulator_url.
run_matrix() {
    local name="$1" delay="${2:-}" client index=0 pids=()
    local ca="$work/$name.ca.pem"
    fetch_ca "$ca"
    for client in "${clients[@]}"; do
        index=$((index + 1))
        timeout 300 "$venvs/$client/bin/python" "$repo/scripts/client_walkthrough.py" --client "$client" \
            --base-url "$emulator_url" --ca-file "$ca" --prefix "$name-$index" \
            --token-url "$emulator_url/$tenant/oauth2/v2.0/token" \
            --subscription "$(printf '00000000-0000-4000-8000-%012d' "$index")" \
            ${delay:+--expect-delay "$delay"} >"$work/$name-$client.log" 2>&1 &
        pids+=($!)
    done
    index=0
    for client in "${clients[@]}"; do
        wait "${pids[$index]}" || true
        index=$((index + 1))
        count_log "client_walkthrough ($client${delay:+, delay $delay s})" client_walkthrough "$work/$name-$client.log"
    done
}

# fetch_ca FILE: the trust bootstrap, the one unverified request: the emulator's CA from /_emulator/ca.pem.
fetch_ca() {
    curl -sS --fail --insecure "$emulator_url/_emulator/ca.pem" -o "$1" || fatal "fetch $emulator_url/_emulator/ca.pem"
}

# count_log WHAT PREFIX LOG: shows a finished run's log when it failed, and adds the counts of its summary line.
count_log() {
    local what="$1" prefix="$2" log="$3" counts
    counts="$(sed -n "s/^$prefix.*: \([0-9]*\) passed, \([0-9]*\) failed\$/\1 \2/p" "$log" | tail -n 1)"
    if [[ -z "$counts" ]]; then
        cat "$log"
        not_ok "$what ran to its summary"
        return
    fi
    passed=$((passed + ${counts% *}))
    failed=$((failed + ${counts#* }))
    if [[ ${counts#* } -ne 0 ]]; then
        grep -v '^ok - ' "$log"
    fi
    echo "$what: ${counts% *} passed, ${counts#* } failed$(sed -n 's/^[a-z0-9.-]*: how-to in \(.*\)$/ (how-to in \1)/p' "$log")"
}

# run_client_scripts: every executable scripts/clients/*.sh, with DATASYNC_URL and DATASYNC_CA, one after another
# (they may share names with each other, not with the matrix). A script's own `NAME: N passed, M failed`
# line is counted; without one, its exit status is the check.
run_client_scripts() {
    local script name status ca="$work/clients.ca.pem"
    shopt -s nullglob
    local scripts=("$repo"/scripts/clients/*.sh)
    shopt -u nullglob
    [[ ${#scripts[@]} -gt 0 ]] || return 0
    fetch_ca "$ca"
    for script in "${scripts[@]}"; do
        [[ -x "$script" ]] || continue # a library the scripts source, not a check
        name="$(basename "$script" .sh)"
        status=0
        DATASYNC_URL="$emulator_url" DATASYNC_CA="$ca" timeout 900 "$script" >"$work/client-$name.log" 2>&1 || status=$?
        if grep -q "^$name: [0-9]* passed, [0-9]* failed\$" "$work/client-$name.log"; then
            count_log "${script#"$repo/"}" "$name" "$work/client-$name.log"
            [[ $status -eq 0 ]] || not_ok "${script#"$repo/"} exits 0 (exit status $status)"
        elif [[ $status -eq 0 ]]; then
            ok "${script#"$repo/"} passes"
        else
            tail -n 40 "$work/client-$name.log"
            not_ok "${script#"$repo/"} passes (exit status $status)"
        fi
    done
}

matrix_started=$SECONDS
prepare_venvs

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
failed_before=$failed

# Run 2a: every client at default settings; then the clients/ scripts on the same emulator.
start_emulator matrix "$work" --https --port 0 --in-memory --auth token --log-level warning
run_matrix matrix
run_client_scripts
stop_pid "$emulator_pid"
[[ $failed -eq $failed_before ]] || show_emulator_log matrix
failed_before=$failed

# Run 2b: every client again, with operations in progress for $matrix_delay s.
start_emulator delayed "$work" --https --port 0 --in-memory --auth token --operation-delay "$matrix_delay" --log-level warning
run_matrix delayed "$matrix_delay"
stop_pid "$emulator_pid"
[[ $failed -eq $failed_before ]] || show_emulator_log delayed

echo "sdk-check: all runs took $((SECONDS - matrix_started)) s"
summary
[[ $failed -eq 0 ]]
