#!/usr/bin/env bash
# The Azure CLI (pinned in requirements-azure-cli.txt) against the emulator under --auth token, configured
# only as the README says: its own AZURE_CONFIG_DIR, telemetry and instance discovery off, a cloud
# registered from the emulator's metadata, az login --service-principal; then the how-to through az rest,
# az resource create/show/delete, and AzureCliCredential from Python (azure-identity's virtualenv) on the
# same login. See azure_cli_check.py.
# The emulator: DATASYNC_URL and DATASYNC_CA, or one started here (see lib.sh).
# The last line is `azure-cli: N passed, M failed`; the exit status is non-zero on any failure.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
begin_work azure-cli
started=$SECONDS

client_venv azure-cli
az_venv="$venv"
client_venv azure-identity
use_emulator

run_counted "azure_cli_check.py" azure_cli_check "$work/azure-cli.log" 600 \
    env DATASYNC_URL="$emulator_url" DATASYNC_CA="$emulator_ca" AZURE_CONFIG_DIR="$work/azure-config" \
    "$venv/bin/python" "$clients_dir/azure_cli_check.py" --az "$az_venv/bin/az"

echo "azure-cli: wall time $((SECONDS - started)) s"
summary
[[ $failed -eq 0 ]]
