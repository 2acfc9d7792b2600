#!/usr/bin/env python3
"""Runs the REST how-to through one generation of Azure client, as its users would write it.

One script serves every client of the matrix in scripts/sdk-check.sh. Each runs in its own virtualenv
with its own pinned packages, and waits on its own, unmodified poller:

    sql-4.0.0, sql-3.0.1, sql-1.0.0   azure-mgmt-sql on azure-core (ARMPolling of azure-mgmt-core)
    sql-0.29.1, sql-0.8.6             azure-mgmt-sql on msrest/msrestazure (their own ARMPolling /
                                      AzureOperationPoller, which sleep int(Retry-After))
    resource-generic                  azure-mgmt-resource's ResourceManagementClient by resource id,
                                      with an explicit api-version

The how-to: create a sync group and a member, create a table in the hub, refresh the hub schema, update
the group with that schema, update the member, trigger a sync, list the logs, and read the rows that
arrived in the member database; then delete the member and the group. Every long-running operation is timed: one over --lro-budget seconds
fails, and with --expect-delay D each must wait about D (at least D, at most D plus 1.5 s, in at most
three polls), so that neither a 30 s default nor a tight polling loop passes.

TLS is verified against the emulator's CA through REQUESTS_CA_BUNDLE, which requests (msrest) and
azure-core's requests transport both read. The bearer token comes from the emulator's token endpoint
(--token-url, a client-credentials POST), or is built locally as an unsigned JWT when none is given.

The last line is `client_walkthrough (CLIENT): N passed, M failed`; the exit status is 1 on any failure.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import ssl
import sys
import threading
import time
import traceback
import urllib.parse
import urllib.request
from typing import Any, Callable

from check_lines import CheckLines

ARM_AUDIENCE = "https://management.azure.com/"
ARM_SCOPE = "https://management.azure.com/.default"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
LOG_WINDOW = ("2017-01-01T00:00:00Z", "2099-12-31T00:00:00Z")
# The api-version the generic client names explicitly, as `az resource` users do.
GENERIC_API_VERSION = "2021-11-01"
MAX_POLLS_WHEN_DELAYED = 3
DELAY_SLACK_SECONDS = 1.5


# --------------------------------------------------------------------------------------------------
# Tokens


def local_unsigned_jwt() -> tuple[str, int]:
    """An unsecured JWT (RFC 7519 §6) with the claims ARM reads, for an emulator without a token endpoint."""
    now = int(time.time())
    expires = now + 3600
    encode = lambda value: base64.urlsafe_b64encode(  # noqa: E731
        json.dumps(value, separators=(",", ":")).encode("utf-8")
    ).rstrip(b"=").decode("ascii")
    claims = {"aud": ARM_AUDIENCE, "iss": f"https://sts.windows.net/{TENANT}/", "iat": now, "nbf": now,
              "exp": expires, "tid": TENANT, "oid": "11111111-2222-3333-4444-555555555555",
              "sub": "11111111-2222-3333-4444-555555555555", "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46"}
    return f"{encode({'alg': 'none', 'typ': 'JWT'})}.{encode(claims)}.", expires


def fetched_token(token_url: str, ca_file: str) -> tuple[str, int]:
    """A client-credentials grant against the emulator's token endpoint, as MSAL sends it."""
    form = urllib.parse.urlencode({
        "grant_type": "client_credentials",
        "client_id": "client-matrix",
        "client_secret": "client-matrix-secret",
        "scope": ARM_SCOPE,
    }).encode("ascii")
    request = urllib.request.Request(token_url, data=form, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=ca_file), timeout=10) as response:
        answer = json.loads(response.read())
    return answer["access_token"], int(time.time()) + int(answer["expires_in"])


# --------------------------------------------------------------------------------------------------
# Checks and timing


class Abort(Exception):
    """A client call failed: the rest of the how-to would only cascade."""


class Exchanges:
    """Every response the client saw (method, URL, status, delay headers), from its own hook."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seen: list[str] = []

    def add(self, method: str, url: str, status: int, headers: Any) -> None:
        delay = ", ".join(f"{name}: {headers.get(name)}" for name in ("retry-after", "retry-after-ms") if headers.get(name))
        with self._lock:
            self.seen.append(f"{method} {url} -> {status} [{delay}]")

    def mark(self) -> int:
        with self._lock:
            return len(self.seen)

    def since(self, mark: int) -> list[str]:
        with self._lock:
            return list(self.seen[mark:])


class Checks(CheckLines):
    def __init__(self, exchanges: Exchanges) -> None:
        super().__init__()
        self.exchanges = exchanges

    def call(self, what: str, action: Callable[[], Any]) -> Any:
        """Runs a call that must succeed; a failure shows the client's last exchanges and ends the run."""
        mark = self.exchanges.mark()
        try:
            result = action()
        except Exception as error:  # noqa: BLE001 - whatever the client raises is the failure
            self.failed_call(what, error)
            for line in self.exchanges.since(mark)[-10:]:
                print(f"      {line}")
            raise Abort(what) from error
        self.check(True, what)
        return result


def rest_shape(model: Any) -> dict:
    """A returned model as the REST JSON it came from (msrest models, azure-core models, or plain dicts)."""
    if model is None:
        return {}
    if hasattr(model, "serialize"):
        return model.serialize(keep_readonly=True)
    if hasattr(model, "as_dict"):
        try:
            return json.loads(json.dumps(model.as_dict(), default=str))
        except TypeError:
            pass
    return json.loads(json.dumps(dict(model), default=str))


# --------------------------------------------------------------------------------------------------
# The clients: each exposes the how-to's steps; long-running ones return the client's own poller.


def azure_core_options(token: tuple[str, int], exchanges: Exchanges) -> dict[str, Any]:
    """What an azure-core client is given: a credential holding the fetched token, the ARM scope, and a
    response hook that records the exchanges; no retries, so that a failure shows at once."""
    from azure.core.credentials import AccessToken

    class FetchedToken:
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            return AccessToken(*token)

    def hook(response: Any) -> None:
        request, http = response.http_request, response.http_response
        exchanges.add(request.method, request.url, http.status_code, http.headers)

    return {"credential": FetchedToken(), "credential_scopes": [ARM_SCOPE], "raw_response_hook": hook, "retry_total": 0}


class AzureCoreSql:
    """azure-mgmt-sql 1.0.0, 3.0.1 and 4.0.0 (azure-core)."""

    def __init__(self, base_url: str, subscription: str, token: tuple[str, int], exchanges: Exchanges) -> None:
        from azure.mgmt.sql import SqlManagementClient

        self.client = SqlManagementClient(subscription_id=subscription, base_url=base_url,
                                          **azure_core_options(token, exchanges))

    def put_group(self, names: "Names", body: dict) -> Any:
        return self.client.sync_groups.begin_create_or_update(names.rg, names.server, names.db, names.group, body)

    def put_member(self, names: "Names", body: dict) -> Any:
        return self.client.sync_members.begin_create_or_update(names.rg, names.server, names.db, names.group, names.member, body)

    def refresh_hub_schema(self, names: "Names") -> Any:
        return self.client.sync_groups.begin_refresh_hub_schema(names.rg, names.server, names.db, names.group)

    def delete_member(self, names: "Names") -> Any:
        return self.client.sync_members.begin_delete(names.rg, names.server, names.db, names.group, names.member)

    def delete_group(self, names: "Names") -> Any:
        return self.client.sync_groups.begin_delete(names.rg, names.server, names.db, names.group)

    def hub_schemas(self, names: "Names") -> list:
        return [rest_shape(s) for s in self.client.sync_groups.list_hub_schemas(names.rg, names.server, names.db, names.group)]

    def trigger_sync(self, names: "Names") -> None:
        self.client.sync_groups.trigger_sync(names.rg, names.server, names.db, names.group)

    def logs(self, names: "Names") -> list:
        pages = self.client.sync_groups.list_logs(names.rg, names.server, names.db, names.group,
                                                  start_time=LOG_WINDOW[0], end_time=LOG_WINDOW[1], type="All")
        return [rest_shape(entry) for entry in pages]


class MsrestSql(AzureCoreSql):
    """azure-mgmt-sql 0.8.6 and 0.29.1 (msrest, msrestazure); the token goes in BasicTokenAuthentication."""

    def __init__(self, base_url: str, subscription: str, token: tuple[str, int], exchanges: Exchanges) -> None:
        from azure.mgmt.sql import SqlManagementClient
        from msrest.authentication import BasicTokenAuthentication

        self.client = SqlManagementClient(BasicTokenAuthentication({"access_token": token[0]}), subscription, base_url=base_url)
        self.client.config.retry_policy.retries = 0
        self.client.config.hooks.append(
            lambda response, *args, **kwargs: exchanges.add(response.request.method, response.url, response.status_code, response.headers)
        )

    def put_group(self, names: "Names", body: dict) -> Any:
        return self.client.sync_groups.create_or_update(names.rg, names.server, names.db, names.group, body)

    def put_member(self, names: "Names", body: dict) -> Any:
        return self.client.sync_members.create_or_update(names.rg, names.server, names.db, names.group, names.member, body)

    def refresh_hub_schema(self, names: "Names") -> Any:
        return self.client.sync_groups.refresh_hub_schema(names.rg, names.server, names.db, names.group)

    def delete_member(self, names: "Names") -> Any:
        return self.client.sync_members.delete(names.rg, names.server, names.db, names.group, names.member)

    def delete_group(self, names: "Names") -> Any:
        return self.client.sync_groups.delete(names.rg, names.server, names.db, names.group)


class GenericResources:
    """azure-mgmt-resource's ResourceManagementClient: writes by resource id with an explicit api-version.

    POST actions have no generic operation: they go through the client's own pipeline (send_request for
    plain calls; the refresh's 202 is handed to azure-mgmt-core's ARMPolling, the poller the client uses
    for its own LROs)."""

    def __init__(self, base_url: str, subscription: str, token: tuple[str, int], exchanges: Exchanges) -> None:
        from azure.mgmt.resource.resources import ResourceManagementClient

        self.base_url = base_url.rstrip("/")
        self.client = ResourceManagementClient(subscription_id=subscription, base_url=base_url,
                                               **azure_core_options(token, exchanges))

    def put_group(self, names: "Names", body: dict) -> Any:
        return self.client.resources.begin_create_or_update_by_id(names.group_id, body, api_version=GENERIC_API_VERSION)

    def put_member(self, names: "Names", body: dict) -> Any:
        return self.client.resources.begin_create_or_update_by_id(names.member_id, body, api_version=GENERIC_API_VERSION)

    def delete_member(self, names: "Names") -> Any:
        return self.client.resources.begin_delete_by_id(names.member_id, api_version=GENERIC_API_VERSION)

    def delete_group(self, names: "Names") -> Any:
        return self.client.resources.begin_delete_by_id(names.group_id, api_version=GENERIC_API_VERSION)

    def refresh_hub_schema(self, names: "Names") -> Any:
        from azure.core.polling import LROPoller
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.polling.arm_polling import ARMPolling

        request = HttpRequest("POST", self.url(names.group_id + "/refreshHubSchema"))
        initial = self.client._client._pipeline.run(request, stream=False)
        if initial.http_response.status_code != 202:
            raise RuntimeError(f"refreshHubSchema answered {initial.http_response.status_code}")
        return LROPoller(self.client._client, initial, lambda response: None, ARMPolling(self.client._config.polling_interval))

    def hub_schemas(self, names: "Names") -> list:
        return self.get_json(names.group_id + "/hubSchemas")["value"]

    def trigger_sync(self, names: "Names") -> None:
        from azure.core.rest import HttpRequest

        self.client.send_request(HttpRequest("POST", self.url(names.group_id + "/triggerSync"))).raise_for_status()

    def logs(self, names: "Names") -> list:
        start, end = LOG_WINDOW
        return self.get_json(f"{names.group_id}/logs", f"&startTime={start}&endTime={end}&type=All")["value"]

    def url(self, resource_path: str, query: str = "") -> str:
        return f"{self.base_url}{urllib.parse.quote(resource_path)}?api-version={GENERIC_API_VERSION}{query}"

    def get_json(self, resource_path: str, query: str = "") -> dict:
        from azure.core.rest import HttpRequest

        response = self.client.send_request(HttpRequest("GET", self.url(resource_path, query)))
        response.raise_for_status()
        return response.json()


CLIENTS = {
    "sql-4.0.0": AzureCoreSql,
    "sql-3.0.1": AzureCoreSql,
    "sql-1.0.0": AzureCoreSql,
    "sql-0.29.1": MsrestSql,
    "sql-0.8.6": MsrestSql,
    "resource-generic": GenericResources,
}


# --------------------------------------------------------------------------------------------------
# The how-to


class Names:
    """Resource names of one client's run: its own subscription and servers, so runs in parallel share nothing."""

    def __init__(self, subscription: str, prefix: str) -> None:
        self.subscription = subscription
        self.rg = f"{prefix}-rg"
        self.server = f"{prefix}-hub"
        self.db = f"{prefix}-hubdb"
        self.group = f"{prefix}-group"
        self.member = f"{prefix}-member"
        self.member_server = f"{prefix}-member"
        self.member_db = f"{prefix}-memberdb"
        server_id = f"/subscriptions/{subscription}/resourceGroups/{self.rg}/providers/Microsoft.Sql/servers/{self.server}"
        self.sync_db_id = f"{server_id}/databases/{prefix}-syncdb"
        self.group_id = f"{server_id}/databases/{self.db}/syncGroups/{self.group}"
        self.member_id = f"{self.group_id}/syncMembers/{self.member}"


class HowTo:
    def __init__(self, client: Any, names: Names, checks: Checks, exchanges: Exchanges, args: argparse.Namespace,
                 token: str) -> None:
        self.client = client
        self.names = names
        self.checks = checks
        self.exchanges = exchanges
        self.args = args
        self.token = token
        self.lro_times: list[float] = []

    def sql(self, server: str, database: str, statement: str) -> dict:
        """SQL in an emulated database through the emulator's query endpoint (standing in for a SQL connection)."""
        request = urllib.request.Request(
            f"{self.args.base_url}/_emulator/databases/{server}/{database}/query",
            data=json.dumps({"sql": statement, "parameters": []}).encode("utf-8"),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
            method="POST",
        )
        context = ssl.create_default_context(cafile=self.args.ca_file)
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return json.loads(response.read())

    def lro(self, what: str, start: Callable[[], Any]) -> Any:
        """Starts an operation and waits on the client's own poller; checks how long it took and how often it polled."""
        c = self.checks
        mark = self.exchanges.mark()
        started = time.monotonic()
        poller = c.call(f"{what}: start", start)
        result = c.call(f"{what}: the client's poller finishes", poller.result)
        elapsed = time.monotonic() - started
        self.lro_times.append(elapsed)
        exchanges = self.exchanges.since(mark)
        polls = len(exchanges) - 1
        shown = "\n      ".join(exchanges[-8:])
        c.check(elapsed < self.args.lro_budget,
                f"{what}: done in {elapsed:.3f} s after {polls} poll(s) (budget {self.args.lro_budget:.0f} s)",
                f"the exchanges:\n      {shown}")
        if self.args.expect_delay is not None:
            delay = self.args.expect_delay
            c.check(delay <= elapsed <= delay + DELAY_SLACK_SECONDS and polls <= MAX_POLLS_WHEN_DELAYED,
                    f"{what}: with --operation-delay {delay} s it waited about that, without spinning",
                    f"{elapsed:.3f} s, {polls} poll(s):\n      {shown}")
        return result

    def run(self) -> None:
        c, n = self.checks, self.names
        group_body = {"properties": {"interval": -1, "conflictResolutionPolicy": "HubWin",
                                     "syncDatabaseId": n.sync_db_id, "hubDatabaseUserName": "hubUser",
                                     "hubDatabasePassword": "secret-hub-pw"}}
        group = rest_shape(self.lro("create sync group", lambda: self.client.put_group(n, group_body)))
        c.equal(group.get("id"), n.group_id, "created group: id")
        c.equal(group.get("properties", {}).get("conflictResolutionPolicy"), "HubWin", "created group: conflictResolutionPolicy")

        member_body = {"properties": {"databaseType": "AzureSqlDatabase",
                                      "serverName": f"{n.member_server}.database.windows.net",
                                      "databaseName": n.member_db, "userName": "myUser",
                                      "password": "secret-member-pw", "syncDirection": "Bidirectional"}}
        member = rest_shape(self.lro("create sync member", lambda: self.client.put_member(n, member_body)))
        c.equal(member.get("id"), n.member_id, "created member: id")
        c.equal(member.get("properties", {}).get("syncDirection"), "Bidirectional", "created member: syncDirection")

        c.call("create the Customers table in the hub, with rows", lambda: self.sql(
            n.server, n.db,
            "CREATE TABLE Customers (CustomerId INT PRIMARY KEY, Name NVARCHAR(100)); "
            "INSERT INTO Customers VALUES (1, 'Ada'), (2, 'Grace')"))
        self.lro("refresh hub schema", lambda: self.client.refresh_hub_schema(n))
        schemas = c.call("list hub schemas", lambda: self.client.hub_schemas(n))
        tables = [t.get("quotedName") for s in schemas for t in (s.get("tables") or [])]
        c.equal(tables, ["[dbo].[Customers]"], "hub schema: the refresh read the real Customers table")

        schema = {"tables": [{"quotedName": "[dbo].[Customers]", "columns": [
            {"quotedName": "[CustomerId]", "dataType": "int", "dataSize": "4"},
            {"quotedName": "[Name]", "dataType": "nvarchar", "dataSize": "100"}]}],
            "masterSyncMemberName": n.member}
        update_body = {"properties": {**group_body["properties"], "schema": schema}}
        del update_body["properties"]["hubDatabasePassword"]
        updated = rest_shape(self.lro("update sync group with the schema", lambda: self.client.put_group(n, update_body)))
        updated_tables = [t.get("quotedName") for t in (updated.get("properties", {}).get("schema") or {}).get("tables", [])]
        c.equal(updated_tables, ["[dbo].[Customers]"], "updated group: the schema's tables")

        member_update = {"properties": {**member_body["properties"], "password": "secret-member-pw-2"}}
        self.lro("update sync member", lambda: self.client.put_member(n, member_update))

        c.call("trigger sync", lambda: self.client.trigger_sync(n))
        logs = c.call("list sync logs", lambda: self.client.logs(n))
        statuses = {entry.get("operationStatus") for entry in logs}
        c.check("SyncSuccess" in statuses, f"the logs report the sync ({len(logs)} entries)",
                f"statuses: {sorted(map(str, statuses))}")
        arrived = c.call("read the member database after the sync", lambda: self.sql(
            n.member_server, n.member_db, "SELECT CustomerId, Name FROM Customers ORDER BY 1"))
        c.equal(arrived.get("rows"), [[1, "Ada"], [2, "Grace"]], "the sync copied the hub's rows to the member")

        # Clean up as users do; at 2015-05-01-preview (0.8.6) the group DELETE also carries Azure-AsyncOperation.
        self.lro("delete sync member", lambda: self.client.delete_member(n))
        self.lro("delete sync group", lambda: self.client.delete_group(n))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", required=True, choices=sorted(CLIENTS))
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--ca-file", required=True, help="the emulator's CA (PEM), given to the client as REQUESTS_CA_BUNDLE")
    parser.add_argument("--subscription", required=True)
    parser.add_argument("--prefix", required=True, help="prefix of this run's resource and server names")
    parser.add_argument("--token-url", help="the emulator's token endpoint; without it, a local unsigned JWT")
    parser.add_argument("--lro-budget", type=float, default=5.0, help="seconds any one long-running operation may take")
    parser.add_argument("--expect-delay", type=float, help="the emulator's --operation-delay, to check each wait against")
    args = parser.parse_args()
    args.base_url = args.base_url.rstrip("/")
    os.environ["REQUESTS_CA_BUNDLE"] = args.ca_file

    exchanges = Exchanges()
    checks = Checks(exchanges)
    label = f"client_walkthrough ({args.client}{', delay %g s' % args.expect_delay if args.expect_delay is not None else ''})"
    started = time.monotonic()
    try:
        token = checks.call("get a token", lambda: fetched_token(args.token_url, args.ca_file) if args.token_url else local_unsigned_jwt())
        client = CLIENTS[args.client](args.base_url, args.subscription, token, exchanges)
        howto = HowTo(client, Names(args.subscription, args.prefix), checks, exchanges, args, token[0])
        howto.run()
        print(f"{args.client}: how-to in {time.monotonic() - started:.2f} s, "
              f"longest operation {max(howto.lro_times):.3f} s", flush=True)
    except Abort as abort:
        print(f"stopped after a failed call: {abort}", file=sys.stderr)
    except Exception:  # noqa: BLE001 - a bug here is still a failure, with its trace
        checks.failed += 1
        print("not ok - unexpected error in client_walkthrough.py", flush=True)
        traceback.print_exc()
    print(f"{label}: {checks.passed} passed, {checks.failed} failed", flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
