# Sourced by the scripts that run Python: a Python >= 3.10, and a virtualenv holding pinned requirements.
# Messages start with $check_name; failures go to the script's own `fatal`.
# shellcheck shell=bash

python_lib_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# find_python: prints the path of the first Python >= 3.10 among $PYTHON, python3, python3.13 … python3.10.
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

# requirements_installed VENV REQUIREMENTS: true when every `name==version` line of REQUIREMENTS is what
# VENV has installed.
requirements_installed() {
    "$1/bin/python" - "$2" <<'PYTHON' 2>/dev/null
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
PYTHON
}

# prepare_venv VENV REQUIREMENTS LOG NO_PYTHON: makes VENV (or keeps it when its Python works) and installs
# REQUIREMENTS into it unless they are there already; NO_PYTHON is the failure when no Python fits, LOG
# the file for `python -m venv`'s output. Sets venv_state to `reused` or `installed`.
prepare_venv() {
    local venv="$1" requirements="$2" log="$3" no_python="$4"
    local shown="${requirements#"$python_lib_repo/"}"
    if [[ -x "$venv/bin/python" ]] && ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
        echo "$check_name: $venv has no working Python >= 3.10; recreating it"
        rm -rf "$venv"
    fi
    if [[ ! -x "$venv/bin/python" ]]; then
        local python
        python="$(find_python)" || fatal "$no_python"
        if ! "$python" -m venv "$venv" >"$log" 2>&1; then
            # Debian's Python lacks ensurepip until python3-venv is installed.
            if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
                echo "$check_name: installing python3-venv"
                rm -rf "$venv"
                apt-get update -qq
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
                "$python" -m venv "$venv" >"$log" 2>&1 || { cat "$log"; fatal "python -m venv $venv"; }
            else
                cat "$log"
                fatal "python -m venv $venv (install python3-venv)"
            fi
        fi
    fi
    if requirements_installed "$venv" "$requirements"; then
        venv_state=reused
    else
        echo "$check_name: installing $shown into $venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" ||
            fatal "pip install -r $shown"
        requirements_installed "$venv" "$requirements" || fatal "the pinned requirements are installed in $venv"
        venv_state=installed
    fi
}
