#!/usr/bin/env bash
# The whole test suite: the Swift tests, then the checks that drive the built emulator with real clients:
# the official Python SDK, the contract fuzzer, and a real browser on the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build
swift test
scripts/sdk-check.sh
scripts/contract-fuzz.sh
scripts/ui-check.sh
