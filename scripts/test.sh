#!/usr/bin/env bash
# The whole test suite: the Swift tests, then the official Python SDK against the built emulator.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build
swift test
if [[ -x scripts/sdk-check.sh ]]; then
    scripts/sdk-check.sh
fi
