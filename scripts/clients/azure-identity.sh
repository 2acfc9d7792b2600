#!/usr/bin/env bash
# azure-identity (pinned in requirements-azure-identity.txt) signs in at the emulator's own token endpoint,
# unmodified, and azure-mgmt-sql then runs the whole REST how-to with that credential, under --auth token:
#   1. azure_identity_check.py: ClientSecretCredential, EnvironmentCredential and DefaultAzureCredential
#      (authority <emulator>/adfs), the async ClientSecretCredential (authority <emulator>); ARM accepts
#      their tokens and refuses one for another audience;
#   2. scripts/sdk_walkthrough.py with EnvironmentCredential, then (on an emulator started here, reset in
#      between, since the walkthrough's names are fixed) with ClientSecretCredential: every long-running
#      operation through the SDK's own poller, each under 5 s.
# The emulator: DATASYNC_URL and DATASYNC_CA, or one started here (see lib.sh).
# The last line is `azure-identity: N passed, M failed`; the exit status is non-zero on any failure.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
begin_work azure-identity
started=$SECONDS
shared_emulator="${DATASYNC_URL:-}"

client_venv azure-identity
use_emulator

# reset_emulator: POST /_emulator/reset, with a token from the emulator's own endpoint (--auth token).
reset_emulator() {
    local token
    token="$(curl -sS --cacert "$emulator_ca" --data-urlencode grant_type=client_credentials \
        --data-urlencode "client_id=$client_id" --data-urlencode "client_secret=$client_secret" \
        --data-urlencode "scope=https://management.azure.com/.default" "$emulator_url/$tenant_id/oauth2/v2.0/token" |
        "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')" ||
        fatal "a token from $emulator_url/$tenant_id/oauth2/v2.0/token"
    curl -sS --fail --cacert "$emulator_ca" -X POST -H "Authorization: Bearer $token" "$emulator_url/_emulator/reset" >/dev/null ||
        fatal "POST /_emulator/reset"
}

export DATASYNC_URL="$emulator_url" DATASYNC_CA="$emulator_ca"
run_counted "azure_identity_check.py" azure_identity_check "$work/identity.log" 120 \
    "$venv/bin/python" "$clients_dir/azure_identity_check.py"

credentials=(environment)
[[ -n "$shared_emulator" ]] || credentials+=(client-secret)
for credential in "${credentials[@]}"; do
    if [[ "$credential" != "${credentials[0]}" ]]; then
        reset_emulator
    fi
    run_counted "sdk_walkthrough.py (azure-identity $credential)" sdk_walkthrough "$work/walkthrough-$credential.log" 300 \
        env REQUESTS_CA_BUNDLE="$emulator_ca" AZURE_AUTHORITY_HOST="$emulator_url/adfs" AZURE_TENANT_ID="$tenant_id" \
        AZURE_CLIENT_ID="$client_id" AZURE_CLIENT_SECRET="$client_secret" \
        "$venv/bin/python" "$repo/scripts/sdk_walkthrough.py" --label "azure-identity $credential" \
        --base-url "$emulator_url" --ca-file "$emulator_ca" --auth token --credential "$credential"
done

echo "azure-identity: wall time $((SECONDS - started)) s"
summary
[[ $failed -eq 0 ]]
