#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, only when they are missing:
# SQLite (build, integrity checks; its static library goes into the release binary), Chromium and its
# driver (the dashboard's browser test), and for scripts/package-check.sh: mmdebstrap (the Debian root the
# tarball is tried in), buildah (the image) and binutils (strip, objdump).
set -euo pipefail

packages=(libsqlite3-dev sqlite3 curl chromium chromium-driver fonts-dejavu-core mmdebstrap buildah binutils)
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
