#!/usr/bin/env bash
# Contract fuzzing: schemathesis against the official Azure SQL Data Sync Swagger files
# (2025-01-01 and 2015-05-01-preview; SyncGroups, SyncMembers, SyncAgents), run on a fresh in-memory
# emulator bound to 127.0.0.1 on a free port. It needs the built binary; it never builds.
#
# Checks: no 5xx, response schema, status codes (2xx must be documented, errors must be ARM statuses with
# the ARM envelope {"error":{"code","message"}}), content type, no undeclared response properties,
# id/name/type matching the request path, long-running operations polled to their end, and 405 + Allow for
# undeclared methods. Deliberate deviations (listed with a reason in scripts/contract_fuzz.py, DEVIATIONS):
#   lro-202-body                202 answers carry {"operation","startTime"}; the spec declares no 202 body.
#   member-skipInitSync         members carry properties.skipInitSync, which the live service returns.
#   invalid-subscription-400    a non-GUID subscription id gets 400 InvalidSubscriptionId, as ARM answers.
#   method-not-allowed-405      an undeclared method gets 405 MethodNotAllowed with Allow, as ARM answers.
#   unsupported-media-type-415  a non-JSON Content-Type gets 415 UnsupportedMediaType, as ARM answers.
#   request-too-large-413       a body over 4 MiB gets 413 RequestContentTooLarge (ARM's limit).
#   preview-default-no-schema   2015-05-01-preview errors have no schema: only the envelope is checked.
#   empty-body-no-content-type  empty 200/204 bodies carry no Content-Type (nothing to describe).
# They are counted, not failed.
#
# Exit status: 0 when every unit passed, non-zero otherwise. The last line is always
#   contract-fuzz: N passed, M failed
# where a unit is one API operation of one Swagger file (48) or one deterministic probe (see
# contract_fuzz.py); a unit fails on any finding that is not a listed deviation.
#
# Settings (environment):
#   AZURE_SPEC_DIR                 the azure-spec folder (default: ../../shared/azure-spec from this script)
#   DATASYNC_EMULATOR_BIN          the emulator binary (default: .build/debug/datasync-emulator)
#   CONTRACT_FUZZ_VENV             the Python venv to use or create (default: ~/.cache/datasync-emulator/venv-fuzz)
#   CONTRACT_FUZZ_MAX_EXAMPLES     positive cases per operation (default 25)
#   CONTRACT_FUZZ_NEGATIVE_EXAMPLES negative cases per operation (default 15)
#   CONTRACT_FUZZ_PASS_SECONDS     time budget of one schemathesis pass (default 30; 12 passes)
#   CONTRACT_FUZZ_SEED             hypothesis seed (default 20250101)
#   CONTRACT_FUZZ_ONLY             comma-separated subset, e.g. 2025-01-01/SyncGroups
#   CONTRACT_FUZZ_KEEP             a folder to keep the logs in (failures.jsonl, st-*.log, emulator.log)
set -euo pipefail

script_dir="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
spec_dir="${AZURE_SPEC_DIR:-$script_dir/../../shared/azure-spec}"
emulator="${DATASYNC_EMULATOR_BIN:-$repo_root/.build/debug/datasync-emulator}"
venv="${CONTRACT_FUZZ_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/datasync-emulator/venv-fuzz}"
requirements="$script_dir/requirements-fuzz.txt"

fail() {
    echo "contract-fuzz: $*" >&2
    echo "contract-fuzz: 0 passed, 1 failed"
    exit 2
}

# --- the spec files
for file in stable/2025-01-01/SyncGroups.json stable/2025-01-01/SyncMembers.json stable/2025-01-01/SyncAgents.json \
    preview/2015-05-01-preview/syncGroups.json preview/2015-05-01-preview/syncMembers.json preview/2015-05-01-preview/syncAgents.json; do
    [[ -f "$spec_dir/specification/sql/resource-manager/Microsoft.Sql/$file" ]] \
        || fail "missing $spec_dir/specification/sql/resource-manager/Microsoft.Sql/$file (set AZURE_SPEC_DIR)"
done
spec_dir="$(cd "$spec_dir" && pwd)"

# --- the emulator binary (another session may be rebuilding it: wait up to two minutes)
for _ in $(seq 1 60); do
    [[ -x "$emulator" ]] && break
    sleep 2
done
[[ -x "$emulator" ]] || fail "no emulator binary at $emulator (build it first, or set DATASYNC_EMULATOR_BIN)"

# --- schemathesis in a private venv, reinstalled only when the pinned requirements change
stamp="$venv/.requirements-$(sha256sum "$requirements" | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
    echo "contract-fuzz: installing $requirements into $venv"
    python3 -m venv "$venv" || fail "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$requirements" || fail "pip install failed"
    rm -f "$venv"/.requirements-*
    touch "$stamp"
fi

# --- a scratch folder: schemathesis writes caches into its working directory
work="$(mktemp -d "${TMPDIR:-/tmp}/contract-fuzz.XXXXXX")"
emulator_pid=""
runner_pid=""
stop() {  # stop one process we started, by its id: TERM, then KILL after 5 s
    local pid="$1"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    if [[ -n "$runner_pid" ]]; then  # interrupted mid-run
        stop "$runner_pid"  # the Python runner stops its own `st` child on TERM
        echo "contract-fuzz: interrupted"
        echo "contract-fuzz: 0 passed, 1 failed"
    fi
    stop "$emulator_pid"
    if [[ -n "${CONTRACT_FUZZ_KEEP:-}" ]]; then
        mkdir -p "$CONTRACT_FUZZ_KEEP" && cp -r "$work"/. "$CONTRACT_FUZZ_KEEP"/ 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- start the emulator on a free loopback port and wait for its readiness line
"$emulator" --host 127.0.0.1 --port 0 --in-memory --log-level error >"$work/emulator.log" 2>&1 &
emulator_pid=$!
base_url=""
for _ in $(seq 1 300); do
    base_url="$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$work/emulator.log" | head -n1 | sed 's/^listening on //')" || true
    [[ -n "$base_url" ]] && break
    kill -0 "$emulator_pid" 2>/dev/null || break
    sleep 0.2
done
[[ -n "$base_url" ]] || fail "the emulator did not start: $(tail -c 500 "$work/emulator.log")"
echo "contract-fuzz: emulator $emulator at $base_url, spec $spec_dir"

# In the background, so that INT/TERM reach the trap at once rather than after the run.
cd "$work"
"$venv/bin/python" "$script_dir/contract_fuzz.py" run \
    --base-url "$base_url" \
    --spec-dir "$spec_dir" \
    --work-dir "$work" \
    --st "$venv/bin/st" \
    --emulator-pid "$emulator_pid" \
    --max-examples "${CONTRACT_FUZZ_MAX_EXAMPLES:-25}" \
    --max-negative-examples "${CONTRACT_FUZZ_NEGATIVE_EXAMPLES:-15}" \
    --max-time-per-pass "${CONTRACT_FUZZ_PASS_SECONDS:-30}" \
    --seed "${CONTRACT_FUZZ_SEED:-20250101}" \
    --only "${CONTRACT_FUZZ_ONLY:-}" &
runner_pid=$!
status=0
wait "$runner_pid" || status=$?
runner_pid=""
exit "$status"
