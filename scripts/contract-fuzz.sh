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
#   AZURE_SPEC_DIR                 the azure-spec folder (default: fixtures/azure-spec in this repository)
#   DATASYNC_EMULATOR_BIN          the emulator binary (default: .build/debug/datasync-emulator)
#   CONTRACT_FUZZ_VENV             the Python venv to use or create (default: ~/.cache/datasync-emulator/venv-fuzz)
#   PYTHON                         the Python (>= 3.10) that creates the venv (default: python3)
#   CONTRACT_FUZZ_MAX_EXAMPLES     positive cases per operation (default 25)
#   CONTRACT_FUZZ_NEGATIVE_EXAMPLES negative cases per operation (default 15)
#   CONTRACT_FUZZ_PASS_SECONDS     time budget of one schemathesis pass (default 30; 12 passes)
#   CONTRACT_FUZZ_SEED             hypothesis seed (default 20250101)
#   CONTRACT_FUZZ_ONLY             comma-separated subset, e.g. 2025-01-01/SyncGroups
#   CONTRACT_FUZZ_KEEP             a folder to keep the logs in (failures.jsonl, st-*.log, emulator.log)
set -euo pipefail

script_dir="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
spec_dir="${AZURE_SPEC_DIR:-$repo_root/fixtures/azure-spec}"
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

# --- a scratch folder: schemathesis writes caches into its working directory
# shellcheck source=lib/python.sh
source "$script_dir/lib/python.sh"
# shellcheck source=lib/emulator.sh
source "$script_dir/lib/emulator.sh"
begin_work contract-fuzz
fatal() { fail "$@"; }
runner_pid=""
before_exit() {
    if [[ -n "$runner_pid" ]]; then  # interrupted mid-run
        stop_pid "$runner_pid"  # the Python runner stops its own `st` child on TERM
        echo "contract-fuzz: interrupted"
        echo "contract-fuzz: 0 passed, 1 failed"
    fi
    if [[ -n "${CONTRACT_FUZZ_KEEP:-}" ]]; then
        mkdir -p "$CONTRACT_FUZZ_KEEP" && cp -r "$work"/. "$CONTRACT_FUZZ_KEEP"/ 2>/dev/null || true
    fi
}

# --- schemathesis in a private venv, installed when the pinned requirements are not there yet
prepare_venv "$venv" "$requirements" "$work/venv.log" "a Python >= 3.10 is needed for schemathesis (set PYTHON)"

# --- start the emulator on a free loopback port and wait for its readiness line
launch "$work/emulator.log" "$work/emulator.log" "$emulator" --host 127.0.0.1 --port 0 --in-memory --log-level error
emulator_pid=$launched_pid
await_readiness "$emulator_pid" "$work/emulator.log" 60 || true
base_url="$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$work/emulator.log" | head -n1 | sed 's/^listening on //')" || true
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
