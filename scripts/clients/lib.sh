# Sourced by the client checks in scripts/clients/: which emulator they drive, and a cached virtualenv per
# client.
#
# The emulator: DATASYNC_URL and DATASYNC_CA name a running one (started with --https --auth token), so a
# runner can share one emulator between clients run in parallel. Without them, the check starts its own
# from the built binary (DATASYNC_EMULATOR_BINARY, default <repo>/.build/debug/datasync-emulator):
# --https --auth token --port 0 --in-memory, only the check's own client accepted; its CA is fetched once
# from /_emulator/ca.pem (the bootstrap of trust, the one call made without verifying).
#
# The sign-in: DATASYNC_CLIENT_ID and DATASYNC_CLIENT_SECRET (defaults below), and a GUID tenant
# (DATASYNC_TENANT_ID); DATASYNC_CLIENTS_RESTRICTED=1 says the emulator accepts only that client.
# Virtualenvs live in ~/.cache/datasync-emulator/venvs/<name> (DATASYNC_VENVS).
# shellcheck shell=bash

clients_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$clients_dir/../.." && pwd)"
# shellcheck source=../lib/checks.sh
source "$repo/scripts/lib/checks.sh"
# shellcheck source=../lib/python.sh
source "$repo/scripts/lib/python.sh"
# shellcheck source=../lib/emulator.sh
source "$repo/scripts/lib/emulator.sh"

venv_root="${DATASYNC_VENVS:-$HOME/.cache/datasync-emulator/venvs}"
client_id="${DATASYNC_CLIENT_ID:-5f1c2a3e-0d9b-4c8e-9a7f-2b6d4e8c1a30}"
client_secret="${DATASYNC_CLIENT_SECRET:-emulator-client-secret}"
tenant_id="${DATASYNC_TENANT_ID:-6d2c8b1e-4f7a-4e3b-9c5d-0a1b2c3d4e5f}"
export DATASYNC_CLIENT_ID="$client_id" DATASYNC_CLIENT_SECRET="$client_secret" DATASYNC_TENANT_ID="$tenant_id"

# client_venv NAME: makes (or reuses) $venv_root/NAME with scripts/clients/requirements-NAME.txt; sets venv.
client_venv() {
    venv="$venv_root/$1"
    mkdir -p "$venv_root"
    prepare_venv "$venv" "$clients_dir/requirements-$1.txt" "$work/venv-$1.log" "a Python >= 3.10 is needed for $1 (set PYTHON)"
    ok "virtualenv $venv has the pinned requirements of $1 ($venv_state)"
}

# use_emulator: sets emulator_url and emulator_ca, from DATASYNC_URL and DATASYNC_CA or an emulator started here.
use_emulator() {
    if [[ -n "${DATASYNC_URL:-}" ]]; then
        [[ -s "${DATASYNC_CA:-}" ]] || fatal "DATASYNC_CA names the emulator's CA file (got '${DATASYNC_CA:-}')"
        emulator_url="${DATASYNC_URL%/}"
        emulator_ca="$DATASYNC_CA"
        export DATASYNC_CLIENTS_RESTRICTED="${DATASYNC_CLIENTS_RESTRICTED:-0}"
        ok "using the emulator at $emulator_url"
        return
    fi
    local binary="${DATASYNC_EMULATOR_BINARY:-$repo/.build/debug/datasync-emulator}"
    [[ -x "$binary" ]] || fatal "the emulator binary exists: $binary (build it, or set DATASYNC_EMULATOR_BINARY)"
    local out="$work/emulator.stdout" err="$work/emulator.stderr" status=0
    launch "$out" "$err" "$binary" --https --port 0 --in-memory --auth token \
        --client "$client_id:$client_secret" --log-level warning
    await_readiness "$launched_pid" "$out" 30 || status=$?
    local line
    line="$(head -n 1 "$out" 2>/dev/null || true)"
    if [[ $status -ne 0 || ! "$line" =~ ^datasync-emulator\ listening\ on\ (https://127\.0\.0\.1:[0-9]+)$ ]]; then
        tail -n 20 "$err"
        fatal "the emulator starts and prints its readiness line (got '${line:-nothing}')"
    fi
    emulator_url="${BASH_REMATCH[1]}"
    emulator_ca="$work/ca.pem"
    curl -sS --insecure --max-time 10 "$emulator_url/_emulator/ca.pem" >"$emulator_ca" && grep -q "BEGIN CERTIFICATE" "$emulator_ca" ||
        fatal "the emulator's CA is served at $emulator_url/_emulator/ca.pem"
    export DATASYNC_CLIENTS_RESTRICTED=1
    ok "emulator started: $line (--auth token, --client $client_id:…)"
}
