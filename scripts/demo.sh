#!/usr/bin/env bash
# The REST how-to walkthrough with curl, against a running emulator, showing rows really moving.
#   scripts/demo.sh [BASE_URL]        (default http://127.0.0.1:10880; add CURL_OPTS="--cacert …" for --https)
set -euo pipefail
cd "$(dirname "$0")/.."

E="${1:-http://127.0.0.1:10880}"
V="api-version=2015-05-01-preview"
DB=/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/syncgroupcrud-65440/providers/Microsoft.Sql/servers/syncgroupcrud-8475/databases/syncgroupcrud-4328
G=$DB/syncGroups/syncgroupcrud-3187
M=$G/syncMembers/syncgroupcrud-4879
HUB=syncgroupcrud-8475/syncgroupcrud-4328
MEMBER=syncgroupcrud-3379/syncgroupcrud-7421
read -r -a curl_opts <<<"${CURL_OPTS:-}"

call() { # METHOD PATH [BODY-FILE] -> prints the status line and the body, polls a 202 to its end
    local method=$1 path=$2 body=${3:-} headers status location
    headers=$(mktemp)
    local args=(-s -D "$headers" -o "$headers.body" -X "$method" "${curl_opts[@]}")
    [[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data-binary "@$body")
    curl "${args[@]}" "$E$path"
    status=$(head -1 "$headers" | tr -d '\r')
    echo "  $method ${path##*/} -> $status"
    location=$(sed -n 's/^[Ll]ocation: //p' "$headers" | tr -d '\r')
    while [[ $status == *" 202 "* && -n $location ]]; do
        curl -s -D "$headers" -o "$headers.body" "${curl_opts[@]}" "$location"
        status=$(head -1 "$headers" | tr -d '\r')
        echo "    poll -> $status"
    done
    [[ -s $headers.body ]] && echo "    $(head -c 400 "$headers.body")"
    rm -f "$headers" "$headers.body"
}

sql() { # SERVER/DB SQL
    curl -s "${curl_opts[@]}" -X POST "$E/_emulator/databases/$1/query" -H 'Content-Type: application/json' \
        --data-binary "{\"sql\": \"$2\", \"dialect\": \"sqlite\"}"
    echo
}

echo "0. Demo data: a Customers table in the hub, another row already in the member"
sql "$HUB" "CREATE TABLE IF NOT EXISTS Customers (CustomerId INT PRIMARY KEY, Name NVARCHAR(100)); INSERT OR REPLACE INTO Customers VALUES (1, 'Ada Lovelace'), (2, 'Grace Hopper')"
sql "$MEMBER" "CREATE TABLE IF NOT EXISTS Customers (CustomerId INT PRIMARY KEY, Name NVARCHAR(100)); INSERT OR REPLACE INTO Customers VALUES (3, 'Margaret Hamilton')"
echo "1. Create the sync group"
call PUT "$G?$V" fixtures/howto/create-sync-group.json
echo "2. Create the sync member"
call PUT "$M?$V" fixtures/howto/create-sync-member.json
echo "3. Refresh the hub schema, and list it"
call POST "$G/refreshHubSchema?$V"
call GET "$G/hubSchemas?$V"
echo "4. Update the group with the schema to sync"
call PUT "$G?$V" fixtures/howto/update-sync-group.json
echo "5. Update the member"
call PUT "$M?$V" fixtures/howto/update-sync-member.json
echo "6. Trigger a sync"
call POST "$G/triggerSync?$V"
echo "7. The rows, in the hub and in the member"
sql "$HUB" "SELECT * FROM Customers ORDER BY 1"
sql "$MEMBER" "SELECT * FROM Customers ORDER BY 1"
echo "8. The logs"
call GET "$G/logs?startTime=2017-01-01T00:00:00&endTime=2099-12-31T00:00:00&type=All&$V"
