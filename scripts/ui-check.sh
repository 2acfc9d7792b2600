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

passed=0
failed=0
emulator_pid=""
work="$(mktemp -d "${TMPDIR:-/tmp}/ui-check.XXXXXX")"

ok() {
    passed=$((passed + 1))
    echo "ok - $*"
}

not_ok() {
    failed=$((failed + 1))
    echo "not ok - $*"
}

summary() {
    echo "ui-check: $passed passed, $failed failed"
}

fatal() {
    not_ok "$*"
    summary
    exit 1
}

cleanup() {
    if [[ -n "$emulator_pid" ]] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill -TERM "$emulator_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$emulator_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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

if [[ ! -x "$venv/bin/python" ]]; then
    python="$(find_python)" || fatal "a Python >= 3.10 is needed (set PYTHON)"
    if ! "$python" -m venv "$venv" >"$work/venv.log" 2>&1; then
        # Debian's Python lacks ensurepip until python3-venv is installed.
        if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
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
if ! requirements_installed; then
    echo "ui-check: installing scripts/requirements-ui.txt into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" ||
        fatal "pip install -r scripts/requirements-ui.txt"
    requirements_installed || fatal "the pinned requirements are installed in $venv"
fi
ok "virtualenv $venv has the pinned requirements"

# --- The emulator ----------------------------------------------------------------------------------

[[ -x "$binary" ]] || fatal "the emulator binary exists: $binary (build it, or set DATASYNC_EMULATOR_BINARY)"
"$binary" --port 0 --in-memory --log-requests >"$work/stdout" 2>"$work/stderr" &
emulator_pid=$!
for _ in $(seq 300); do
    grep -q "listening on" "$work/stdout" 2>/dev/null && break
    kill -0 "$emulator_pid" 2>/dev/null || break
    sleep 0.1
done
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
status=0
timeout 300 "$venv/bin/python" "$repo/scripts/ui_check.py" --base-url "$url" --artifacts "$artifacts" 2>&1 |
    tee "$work/ui_check.log" || status=$?
counts="$(sed -n 's/^ui_check: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$work/ui_check.log" | tail -n 1)"
if [[ -z "$counts" ]]; then
    not_ok "ui_check.py ran to its summary (exit status $status)"
else
    passed=$((passed + ${counts% *}))
    failed=$((failed + ${counts#* }))
    if [[ $status -ne 0 && ${counts#* } -eq 0 ]]; then
        not_ok "ui_check.py exits 0 (exit status $status)"
    fi
fi

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
