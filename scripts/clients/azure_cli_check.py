#!/usr/bin/env python3
"""The Azure CLI against the emulator, unmodified, configured as the README's "Connect your client" says.

In its own AZURE_CONFIG_DIR: telemetry off and instance discovery off; a cloud registered from the
emulator's metadata (`az cloud register --endpoint-resource-manager <url>/`, with the trailing slash users
type, so az asks for `//metadata/endpoints`); `az login --service-principal`. Then the REST how-to through
`az rest` (create a group and a member, a table in the hub, refresh the hub schema, update the group with
it, trigger a sync, read the rows that arrived and the logs, delete); `az resource create/show/delete` for a
sync group and a member; and azure-identity's AzureCliCredential on the same login, with azure-mgmt-sql.

`az rest` does not poll: after a 202 the check reads the resource until the operation's effect shows, and
`az resource create` waits on its own poller. Either way a long-running operation over 5 s fails.

Run it with the Python of azure-identity's virtualenv (for AzureCliCredential), `--az` naming the az
executable. Environment: DATASYNC_URL, DATASYNC_CA, DATASYNC_TENANT_ID, DATASYNC_CLIENT_ID,
DATASYNC_CLIENT_SECRET, AZURE_CONFIG_DIR. The last line is `azure_cli_check: N passed, M failed`.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import time
from typing import Any, Callable, Optional

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from check_lines import CheckLines as Checks  # noqa: E402 - scripts/check_lines.py, beside this folder

SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"
API_VERSION = "2025-01-01"
ARM_SCOPE = "https://management.azure.com/.default"
LRO_BUDGET_SECONDS = 5.0


class AzFailed(Exception):
    """An az command that had to succeed failed: the rest would only cascade."""


class Az:
    """Runs az with the check's environment; every call is timed."""

    def __init__(self, executable: str, checks: Checks) -> None:
        self.executable = executable
        self.checks = checks
        self.calls = 0
        self.seconds = 0.0

    def run(self, *arguments: str) -> subprocess.CompletedProcess:
        started = time.monotonic()
        result = subprocess.run([self.executable, *arguments, "--only-show-errors"], capture_output=True, text=True,
                                timeout=120)
        self.calls += 1
        self.seconds += time.monotonic() - started
        return result

    def json(self, what: str, *arguments: str) -> Any:
        """Runs az, which must succeed, and parses what it prints (nothing reads as None)."""
        result = self.run(*arguments, "--output", "json")
        if not self.checks.check(result.returncode == 0, what, f"az {' '.join(arguments)}\n    {result.stderr.strip()[:600]}"):
            raise AzFailed(what)
        return json.loads(result.stdout) if result.stdout.strip() else None


def wait_for(checks: Checks, what: str, probe: Callable[[], Any], started: float) -> Any:
    """Reads with `probe` until it returns something, within the LRO budget counted from `started`."""
    while True:
        value = probe()
        elapsed = time.monotonic() - started
        if value is not None:
            checks.check(elapsed < LRO_BUDGET_SECONDS, f"{what}: done in {elapsed:.2f} s")
            return value
        if elapsed >= LRO_BUDGET_SECONDS:
            checks.check(False, f"{what}: done within {LRO_BUDGET_SECONDS:.0f} s")
            raise AzFailed(what)
        time.sleep(0.2)


class HowTo:
    def __init__(self, az: Az, checks: Checks, url: str, prefix: str) -> None:
        self.az = az
        self.checks = checks
        self.url = url
        self.server = f"{prefix}-hub"
        self.database = f"{prefix}-hubdb"
        self.member_server = f"{prefix}-member"
        self.member_database = f"{prefix}-memberdb"
        self.database_id = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{prefix}-rg/providers/Microsoft.Sql"
                            f"/servers/{self.server}/databases/{self.database}")
        self.sync_database_id = self.database_id.rsplit("/", 1)[0] + f"/{prefix}-syncdb"
        self.group = f"{self.database_id}/syncGroups/{prefix}-group"
        self.member = f"{self.group}/syncMembers/{prefix}-member"
        self.resource_group = f"{prefix}-rg"
        self.prefix = prefix

    # az rest helpers ---------------------------------------------------------------------------------

    def rest(self, what: str, method: str, path: str, body: Optional[dict] = None, query: str = "") -> Any:
        url = path if path.startswith("https://") else f"{path}?api-version={API_VERSION}{query}"
        arguments = ["rest", "--method", method, "--url", url]
        if body is not None:
            arguments += ["--body", json.dumps(body)]
        return self.az.json(what, *arguments)

    def get_or_none(self, path: str, query: str = "") -> Any:
        result = self.az.run("rest", "--method", "get", "--url", f"{path}?api-version={API_VERSION}{query}", "--output", "json")
        return json.loads(result.stdout) if result.returncode == 0 and result.stdout.strip() else None

    def sql(self, what: str, server: str, database: str, statement: str) -> Any:
        # Under the resource manager's URL, so az rest signs the request in with the same login.
        return self.rest(what, "post", f"{self.url}/_emulator/databases/{server}/{database}/query", {"sql": statement})

    # The how-to through az rest -----------------------------------------------------------------------

    def group_body(self, schema: Optional[dict] = None) -> dict:
        properties: dict[str, Any] = {
            "interval": -1, "conflictResolutionPolicy": "HubWin", "syncDatabaseId": self.sync_database_id,
            "hubDatabaseUserName": "hubUser", "hubDatabasePassword": "hub-password",
        }
        if schema:
            properties["schema"] = schema
        return {"properties": properties}

    def member_body(self) -> dict:
        return {"properties": {
            "databaseType": "AzureSqlDatabase", "serverName": f"{self.member_server}.database.windows.net",
            "databaseName": self.member_database, "userName": "memberUser", "password": "member-password",
            "syncDirection": "Bidirectional",
        }}

    def run_rest(self) -> None:
        c = self.checks
        started = time.monotonic()
        self.rest("az rest: PUT sync group", "put", self.group, self.group_body())
        group = wait_for(c, "az rest: sync group created", lambda: self.get_or_none(self.group), started)
        c.check(group.get("properties", {}).get("conflictResolutionPolicy") == "HubWin", "az rest: GET sync group shows its policy")
        c.check("hubDatabasePassword" not in json.dumps(group), "az rest: no password comes back")

        started = time.monotonic()
        self.rest("az rest: PUT sync member", "put", self.member, self.member_body())
        member = wait_for(c, "az rest: sync member created", lambda: self.get_or_none(self.member), started)
        c.check(member["properties"]["syncDirection"] == "Bidirectional", "az rest: GET sync member shows its direction")

        self.sql("az rest: create the Customers table in the hub, with rows", self.server, self.database,
                 "CREATE TABLE Customers (CustomerId INT PRIMARY KEY, Name NVARCHAR(100)); "
                 "INSERT INTO Customers VALUES (1, 'Ada'), (2, 'Grace')")
        started = time.monotonic()
        self.rest("az rest: POST refreshHubSchema", "post", f"{self.group}/refreshHubSchema")
        schemas = wait_for(c, "az rest: hub schema refreshed", lambda: self.hub_tables(), started)
        c.check(schemas == ["[dbo].[Customers]"], "az rest: the hub schema lists the real Customers table", repr(schemas))

        schema = {
            "tables": [{"quotedName": "[dbo].[Customers]", "columns": [
                {"quotedName": "[CustomerId]", "dataType": "int", "dataSize": "4"},
                {"quotedName": "[Name]", "dataType": "nvarchar", "dataSize": "100"},
            ]}],
            "masterSyncMemberName": self.member.rsplit("/", 1)[1],
        }
        started = time.monotonic()
        self.rest("az rest: PUT sync group with the schema", "put", self.group, self.group_body(schema))
        wait_for(c, "az rest: sync group updated with the schema", lambda: self.with_schema(), started)

        self.rest("az rest: POST triggerSync", "post", f"{self.group}/triggerSync")
        started = time.monotonic()
        rows = wait_for(c, "az rest: the sync copied the hub's rows to the member", lambda: self.member_rows(), started)
        c.check(rows == [[1, "Ada"], [2, "Grace"]], "az rest: the member database holds the hub's rows", repr(rows))
        logs = self.rest("az rest: GET logs", "get", f"{self.group}/logs",
                         query="&startTime=2000-01-01T00:00:00Z&endTime=2100-01-01T00:00:00Z&type=All")
        c.check(bool(logs and logs.get("value")), "az rest: the logs report the sync", json.dumps(logs)[:300])

        for name, path in (("sync member", self.member), ("sync group", self.group)):
            started = time.monotonic()
            self.rest(f"az rest: DELETE {name}", "delete", path)
            wait_for(c, f"az rest: {name} deleted (GET fails)", lambda: True if self.get_or_none(path) is None else None, started)

    def hub_tables(self) -> Any:
        page = self.get_or_none(f"{self.group}/hubSchemas")
        tables = [t.get("quotedName") for s in (page or {}).get("value", []) for t in s.get("tables", [])]
        return tables or None

    def with_schema(self) -> Any:
        group = self.get_or_none(self.group)
        return group if group and group.get("properties", {}).get("schema", {}).get("tables") else None

    def member_rows(self) -> Any:
        result = self.az.run("rest", "--method", "post", "--url",
                             f"{self.url}/_emulator/databases/{self.member_server}/{self.member_database}/query",
                             "--body", json.dumps({"sql": "SELECT CustomerId, Name FROM Customers ORDER BY 1"}))
        rows = json.loads(result.stdout).get("rows") if result.returncode == 0 and result.stdout.strip() else None
        return rows or None

    # az resource -------------------------------------------------------------------------------------

    def run_resource(self) -> None:
        c = self.checks
        group_name = f"{self.prefix}-group-r"
        group_id = f"{self.database_id}/syncGroups/{group_name}"
        member_id = f"{group_id}/syncMembers/{self.prefix}-member-r"
        started = time.monotonic()
        # The -g/--parent form: az reads the resource group's location first and sends it in the body.
        created = self.az.json(
            "az resource create: sync group (-g, --namespace, --parent, --resource-type)",
            "resource", "create", "-g", self.resource_group, "-n", group_name, "--namespace", "Microsoft.Sql",
            "--parent", f"servers/{self.server}/databases/{self.database}", "--resource-type", "syncGroups",
            "--properties", json.dumps(self.group_body()["properties"]),
        )
        elapsed = time.monotonic() - started
        c.check(elapsed < LRO_BUDGET_SECONDS, f"az resource create (group) with its own poller: {elapsed:.2f} s")
        c.check((created or {}).get("id", "").lower() == group_id.lower(), "az resource create: the group's id", repr(created)[:300])

        started = time.monotonic()
        member = self.az.json("az resource create: sync member (--id)", "resource", "create", "--id", member_id,
                              "--properties", json.dumps(self.member_body()["properties"]))
        elapsed = time.monotonic() - started
        c.check(elapsed < LRO_BUDGET_SECONDS, f"az resource create (member) with its own poller: {elapsed:.2f} s")
        c.check((member or {}).get("properties", {}).get("databaseName") == self.member_database,
                "az resource create: the member's databaseName", repr(member)[:300])

        for what, resource_id in (("sync group", group_id), ("sync member", member_id)):
            shown = self.az.json(f"az resource show: {what} (api-version from the provider)", "resource", "show", "--ids", resource_id)
            c.check((shown or {}).get("id", "").lower() == resource_id.lower(), f"az resource show: the {what}'s id")
        for what, resource_id in (("sync member", member_id), ("sync group", group_id)):
            started = time.monotonic()
            self.az.json(f"az resource delete: {what}", "resource", "delete", "--ids", resource_id)
            elapsed = time.monotonic() - started
            c.check(elapsed < LRO_BUDGET_SECONDS, f"az resource delete ({what}) with its own poller: {elapsed:.2f} s")
            gone = self.az.run("resource", "show", "--ids", resource_id)
            c.check(gone.returncode != 0 and "not found" in gone.stderr.lower(), f"az resource show after delete: the {what} is gone",
                    gone.stderr.strip()[:300])


def jwt_header(token: str) -> dict:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def sign_in(az: Az, checks: Checks, url: str) -> None:
    tenant = os.environ["DATASYNC_TENANT_ID"]
    az.json("az config set core.collect_telemetry=no core.instance_discovery=false",
            "config", "set", "core.collect_telemetry=no", "core.instance_discovery=false")
    az.json("az cloud register from the emulator's metadata (--endpoint-resource-manager with a trailing slash)",
            "cloud", "register", "-n", "DataSyncEmulator", "--endpoint-resource-manager", f"{url}/")
    cloud = az.json("az cloud show", "cloud", "show", "-n", "DataSyncEmulator")
    endpoints = (cloud or {}).get("endpoints", {})
    checks.check(endpoints.get("resourceManager") == f"{url}/" and endpoints.get("activeDirectory") == f"{url}/",
                 "the registered cloud's resource manager and login endpoint are the emulator", json.dumps(endpoints)[:400])
    az.json("az cloud set", "cloud", "set", "-n", "DataSyncEmulator")
    accounts = az.json("az login --service-principal", "login", "--service-principal",
                       "-u", os.environ["DATASYNC_CLIENT_ID"], "-p", os.environ["DATASYNC_CLIENT_SECRET"], "--tenant", tenant)
    ids = [a.get("id") for a in accounts or []]
    checks.check(SUBSCRIPTION in ids, "az login lists the emulator's default subscription", repr(accounts)[:400])
    account = az.json("az account show", "account", "show")
    checks.check((account or {}).get("id") == SUBSCRIPTION and account.get("user", {}).get("type") == "servicePrincipal",
                 "az account show: the default subscription, signed in as the service principal", repr(account)[:300])
    token = az.json("az account get-access-token", "account", "get-access-token")
    checks.check(jwt_header((token or {}).get("accessToken", "e30.e30.")).get("alg") == "RS256",
                 "az account get-access-token: an RS256 token from the emulator")


def cli_credential(checks: Checks, url: str, howto: HowTo) -> None:
    from azure.identity import AzureCliCredential
    from azure.mgmt.sql import SqlManagementClient

    credential = AzureCliCredential(process_timeout=60)
    try:
        token = credential.get_token(ARM_SCOPE)
    except Exception as error:  # noqa: BLE001 - report whatever the credential raises
        checks.check(False, "AzureCliCredential: get_token", f"{type(error).__name__}: {error}")
        return
    checks.check(jwt_header(token.token).get("alg") == "RS256", "AzureCliCredential: get_token returns the emulator's RS256 token")
    client = SqlManagementClient(credential, SUBSCRIPTION, base_url=url, credential_scopes=[ARM_SCOPE],
                                 connection_verify=os.environ["DATASYNC_CA"])
    server, database = howto.server, howto.database
    try:
        groups = list(client.sync_groups.list_by_database(howto.resource_group, server, database))
        checks.check(groups == [], "AzureCliCredential: azure-mgmt-sql lists the (now empty) database's sync groups")
    except Exception as error:  # noqa: BLE001
        checks.check(False, "AzureCliCredential: azure-mgmt-sql lists sync groups", f"{type(error).__name__}: {error}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--az", required=True, help="the az executable")
    parser.add_argument("--prefix", default=f"azcli-{os.getpid()}", help="prefix of this run's resource names")
    args = parser.parse_args()
    url = os.environ["DATASYNC_URL"].rstrip("/")
    os.environ["REQUESTS_CA_BUNDLE"] = os.environ["DATASYNC_CA"]
    # AzureCliCredential finds az on PATH.
    os.environ["PATH"] = os.path.dirname(args.az) + os.pathsep + os.environ.get("PATH", "")

    checks = Checks()
    az = Az(args.az, checks)
    howto = HowTo(az, checks, url, args.prefix)
    started = time.monotonic()
    try:
        sign_in(az, checks, url)
        howto.run_rest()
        howto.run_resource()
        cli_credential(checks, url, howto)
    except AzFailed as failure:
        print(f"stopped after a failed az command: {failure}", file=sys.stderr)
    except Exception as error:  # noqa: BLE001 - a bug here is still a failure, with its message
        checks.check(False, "unexpected error in azure_cli_check.py", f"{type(error).__name__}: {error}")
    print(f"az: {az.calls} commands in {az.seconds:.1f} s; the whole check {time.monotonic() - started:.1f} s")
    print(f"azure_cli_check: {checks.passed} passed, {checks.failed} failed", flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
