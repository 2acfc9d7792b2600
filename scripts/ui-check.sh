#!/usr/bin/env bash
# The dashboard's browser test: starts the built emulator (--port 0 --in-memory), then runs
# scripts/ui_check.py, which drives /_emulator/ui in Debian's headless Chromium through chromedriver.
# It builds nothing.
#
# Screenshots go to <repo>/artifacts/ (dashboard.png is the group page after a sync; the README shows a
# copy of it, docs/dashboard.png).
#
# Needs: Debian's chromium, chromium-driver and fonts-dejavu-core (installed with apt-get when chromium or
# its driver is missing and running as root),
# Python >= 3.10; installs scripts/requirements-ui.txt into <repo>/.venv-ui (reused when already there).
# Environment: DATASYNC_EMULATOR_BINARY (default <repo>/.build/debug/datasync-emulator), PYTHON,
# CHROMIUM (default /usr/bin/chromium), CHROMEDRIVER (default /usr/bin/chromedriver).
# The last line is `ui-check: N passed, M failed`; the exit status is non-zero on any failure.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="${DATASYNC_EMULATOR_BINARY:-$repo/.build/debug/datasync-emulator}"
venv="$repo/.venv-ui"
requirements="$repo/scripts/requirements-ui.txt"
artifacts="$repo/artifacts"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
# Selenium must never fetch a browser or a driver: Debian's are the ones to use.
export SE_OFFLINE=true

# shellcheck source=lib/checks.sh
source "$repo/scripts/lib/checks.sh"
# shellcheck source=lib/python.sh
source "$repo/scripts/lib/python.sh"
# shellcheck source=lib/emulator.sh
source "$repo/scripts/lib/emulator.sh"
begin_work ui-check

# --- Chromium, Python and the virtualenv -----------------------------------------------------------

if [[ ! -x "$CHROMIUM" || ! -x "$CHROMEDRIVER" ]]; then
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "ui-check: installing Debian's chromium, chromium-driver and fonts-dejavu-core"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-dejavu-core >/dev/null
    fi
fi
[[ -x "$CHROMIUM" ]] || fatal "chromium is installed at $CHROMIUM (apt-get install chromium, or set CHROMIUM)"
[[ -x "$CHROMEDRIVER" ]] || fatal "chromedriver is installed at $CHROMEDRIVER (apt-get install chromium-driver, or set CHROMEDRIVER)"
ok "browser: $("$CHROMIUM" --version 2>/dev/null | head -n 1)"

prepare_venv "$venv" "$requirements" "$work/venv.log" "a Python >= 3.10 is needed (set PYTHON)"
ok "virtualenv $venv has the pinned requirements"

# --- The emulator ----------------------------------------------------------------------------------

[[ -x "$binary" ]] || fatal "the emulator binary exists: $binary (build it, or set DATASYNC_EMULATOR_BINARY)"
launch "$work/stdout" "$work/stderr" "$binary" --port 0 --in-memory --log-requests
await_readiness "$launched_pid" "$work/stdout" 30 || true
line="$(head -n 1 "$work/stdout")"
if [[ "$line" =~ ^datasync-emulator\ listening\ on\ (http://127\.0\.0\.1:[0-9]+)$ ]]; then
    url="${BASH_REMATCH[1]}"
    ok "emulator is ready: $line"
else
    tail -n 20 "$work/stderr"
    fatal "emulator prints 'datasync-emulator listening on http://127.0.0.1:PORT' (got: ${line:-nothing})"
fi

# --- The browser test ------------------------------------------------------------------------------

mkdir -p "$artifacts"
run_counted ui_check.py ui_check "$work/ui_check.log" 300 \
    "$venv/bin/python" "$repo/scripts/ui_check.py" --base-url "$url" --artifacts "$artifacts"

if grep -q "SyncMembers_CreateOrUpdate" "$work/stderr"; then
    ok "--log-requests writes each ARM request to the log"
else
    not_ok "--log-requests writes each ARM request to the log"
fi
if grep -q -- "Pa55w0rd-not-to-be-shown" "$work/stderr"; then
    not_ok "the request log redacts passwords"
else
    ok "the request log redacts passwords"
fi
if [[ $failed -ne 0 ]]; then
    echo "--- emulator stderr, last 30 lines ---"
    tail -n 30 "$work/stderr"
fi

summary
[[ $failed -eq 0 ]]
