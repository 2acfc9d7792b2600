#!/usr/bin/env bash
# The whole test suite: the Swift tests, then the checks that drive the built emulator with real clients:
# the Azure SDK generations, azure-identity and the Azure CLI (sdk-check), the contract fuzzer, and a real
# browser on the dashboard. Each stage prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."

# stage NAME COMMAND...: runs COMMAND and prints its wall time, whatever its outcome.
stage() {
    local name="$1" started=$SECONDS status=0
    shift
    echo "=== stage $name"
    "$@" || status=$?
    echo "=== stage $name: $((SECONDS - started)) s (exit $status)"
    return "$status"
}

stage build swift build
stage swift-test swift test
stage sdk-check scripts/sdk-check.sh
# Real sign-in again, each on an emulator of its own that accepts only the --client it names.
stage azure-identity scripts/clients/azure-identity.sh
stage azure-cli scripts/clients/azure-cli.sh
stage contract-fuzz scripts/contract-fuzz.sh
stage ui-check scripts/ui-check.sh
