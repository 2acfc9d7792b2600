#!/usr/bin/env bash
# The whole test suite: the Swift tests, then the checks that drive the built emulator with real clients:
# the official Python SDK, azure-identity and the Azure CLI, the contract fuzzer, and a real browser on the
# dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build
swift test
scripts/sdk-check.sh
# Real clients signing in at the emulator's own token endpoint, under --auth token (scripts/clients/).
scripts/clients/azure-identity.sh
scripts/clients/azure-cli.sh
scripts/contract-fuzz.sh
scripts/ui-check.sh
