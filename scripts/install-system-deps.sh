#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, only when they are missing:
# SQLite (build, integrity checks), Chromium and its driver (the dashboard's browser test).
set -euo pipefail

packages=(libsqlite3-dev sqlite3 curl chromium chromium-driver fonts-dejavu-core)
# The client matrix (scripts/sdk-check.sh) makes its virtualenvs in parallel: ensurepip must be there
# before, not installed by six scripts at once.
packages+=(python3-venv)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
