#!/usr/bin/env python3
"""Drives the emulator through the official Azure SDK for Python (azure-mgmt-sql).

It runs the REST how-to walkthrough ("Use REST API to sync data between multiple databases") through
`SqlManagementClient.sync_groups`, `.sync_members` and `.sync_agents`, with the SDK's own long-running
operation pollers, then every other Data Sync operation, and asserts on the models the SDK returns.

It prints one line per check (`ok - …` or `not ok - …`) and a last line
`sdk_walkthrough: N passed, M failed`; it exits 1 when anything failed.

TLS is verified against the emulator's own CA, given by path (`--ca-file`) or fetched once from
`<url>/_emulator/ca.pem` (`--fetch-ca`, the only call made without verification: the bootstrap of trust).

The credential is a hand-made unsigned JWT by default (`--credential local`), or azure-identity's
`ClientSecretCredential` / `EnvironmentCredential` signing in at the emulator's own token endpoint, with
the settings in AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_AUTHORITY_HOST.

Usage:
    sdk_walkthrough.py --base-url https://127.0.0.1:PORT --ca-file DIR/tls/ca.pem [--auth token-unsigned]
    sdk_walkthrough.py --base-url https://127.0.0.1:PORT --fetch-ca [--auth token-unsigned]
    sdk_walkthrough.py --base-url https://127.0.0.1:PORT --ca-file CA --auth token --credential client-secret
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import re
import ssl
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from typing import Any, Callable, Optional

from azure.core.credentials import AccessToken
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
)
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.sql import SqlManagementClient
from azure.mgmt.sql import models
from check_lines import CheckLines

SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ARM_AUDIENCE = "https://management.azure.com/"
ARM_SCOPE = "https://management.azure.com/.default"

RESOURCE_GROUP = "syncgroupcrud-65440"
SERVER = "syncgroupcrud-8475"
DATABASE = "syncgroupcrud-4328"
GROUP = "syncgroupcrud-3187"
MEMBER = "syncgroupcrud-4879"
AGENT = "syncagentcrud-3187"
PREVIEW_GROUP = "syncgroupcrud-preview-1"
PREVIEW_API_VERSION = "2025-02-01-preview"
SYNC_DATABASE_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/syncgroupcrud-3521"
    f"/providers/Microsoft.Sql/servers/{SERVER}/databases/{DATABASE}"
)
LOCATION = "westus2"

SERVER_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Sql/servers/{SERVER}"
GROUP_ID = f"{SERVER_ID}/databases/{DATABASE}/syncGroups/{GROUP}"
MEMBER_ID = f"{GROUP_ID}/syncMembers/{MEMBER}"
AGENT_ID = f"{SERVER_ID}/syncAgents/{AGENT}"

GROUP_TYPE = "Microsoft.Sql/servers/databases/syncGroups"
MEMBER_TYPE = "Microsoft.Sql/servers/databases/syncGroups/syncMembers"
AGENT_TYPE = "Microsoft.Sql/servers/syncAgents"

NEVER_SYNCED = datetime.datetime(1, 1, 1, tzinfo=datetime.timezone.utc)
WALKTHROUGH_BUDGET_SECONDS = 30.0
POLLER_BUDGET_SECONDS = 5.0


# --------------------------------------------------------------------------------------------------
# Credential: a TokenCredential that builds an unsigned JWT locally.


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def build_jwt(audience: str, expires_on: int) -> str:
    """An unsecured JWT (RFC 7519 §6: `alg` "none", empty signature) with the claims ARM reads."""
    now = int(time.time())
    header = {"alg": "none", "typ": "JWT"}
    payload = {
        "aud": audience,
        "iss": f"https://sts.windows.net/{TENANT}/",
        "iat": now,
        "nbf": now,
        "exp": expires_on,
        "tid": TENANT,
        "oid": "11111111-2222-3333-4444-555555555555",
        "sub": "11111111-2222-3333-4444-555555555555",
        "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        "name": "datasync-emulator sdk-check",
    }
    encode = lambda value: _b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))  # noqa: E731
    return f"{encode(header)}.{encode(payload)}."


class LocalJwtCredential:
    """Implements azure.core.credentials.TokenCredential with a locally built, unsigned JWT."""

    def __init__(self, audience: str = ARM_AUDIENCE, lifetime_seconds: int = 3600) -> None:
        self.audience = audience
        self.lifetime_seconds = lifetime_seconds
        self.requested_scopes: list[tuple[str, ...]] = []

    def get_token(
        self,
        *scopes: str,
        claims: Optional[str] = None,
        tenant_id: Optional[str] = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        self.requested_scopes.append(tuple(scopes))
        expires_on = int(time.time()) + self.lifetime_seconds
        return AccessToken(build_jwt(self.audience, expires_on), expires_on)


class RecordingCredential:
    """Wraps an azure-identity credential, keeping the scopes it was asked for, as LocalJwtCredential does."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requested_scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.requested_scopes.append(tuple(scopes))
        return self.inner.get_token(*scopes, **kwargs)


class FixedTokenCredential:
    """Hands out one token it was given."""

    def __init__(self, token: AccessToken) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self.token


def make_credential(kind: str) -> Any:
    """The walkthrough's credential: `local` (unsigned, hand-made) or one of azure-identity's."""
    if kind == "local":
        return LocalJwtCredential()
    from azure.identity import ClientSecretCredential, EnvironmentCredential

    if kind == "environment":
        return RecordingCredential(EnvironmentCredential())
    return RecordingCredential(ClientSecretCredential(
        os.environ["AZURE_TENANT_ID"], os.environ["AZURE_CLIENT_ID"], os.environ["AZURE_CLIENT_SECRET"],
        authority=os.environ["AZURE_AUTHORITY_HOST"],
    ))


# --------------------------------------------------------------------------------------------------
# Recording the HTTP exchanges, for evidence when something fails.


class Exchange:
    def __init__(self, method: str, url: str, status: int, headers: dict[str, str]) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.headers = headers
        self.at = time.monotonic()

    def __str__(self) -> str:
        interesting = (
            "location",
            "azure-asyncoperation",
            "retry-after",
            "retry-after-ms",
            "x-ms-retry-after-ms",
            "content-type",
            "content-length",
        )
        shown = ", ".join(f"{k}: {v}" for k, v in self.headers.items() if k.lower() in interesting)
        return f"{self.method} {self.url} -> {self.status} [{shown}]"


class Recorder:
    """A raw_response_hook keeping every request and response status and headers (pollers run in threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.exchanges: list[Exchange] = []

    def __call__(self, pipeline_response: Any) -> None:
        request = pipeline_response.http_request
        response = pipeline_response.http_response
        exchange = Exchange(request.method, request.url, response.status_code, dict(response.headers))
        with self._lock:
            self.exchanges.append(exchange)

    def mark(self) -> int:
        with self._lock:
            return len(self.exchanges)

    def since(self, mark: int) -> list[Exchange]:
        with self._lock:
            return list(self.exchanges[mark:])

    def tail(self, count: int = 8) -> list[Exchange]:
        with self._lock:
            return list(self.exchanges[-count:])


# --------------------------------------------------------------------------------------------------
# Checks.


class Abort(Exception):
    """An SDK call failed unexpectedly: the rest of the run would only cascade."""


class Checks(CheckLines):
    def __init__(self, recorder: Recorder) -> None:
        super().__init__()
        self.recorder = recorder

    def call(self, what: str, action: Callable[[], Any]) -> Any:
        """Runs an SDK call that must succeed; a failure is one failed check and ends the run."""
        mark = self.recorder.mark()
        try:
            result = action()
        except Exception as error:  # noqa: BLE001 - report anything the SDK raises
            self.failed_call(what, error)
            self.dump_exchanges(self.recorder.since(mark) or self.recorder.tail())
            raise Abort(what) from error
        self.check(True, what)
        return result

    def raises(self, what: str, action: Callable[[], Any], error_type: type, status: Optional[int] = None,
               code: Optional[str] = None) -> Optional[BaseException]:
        """Runs an SDK call that must raise `error_type` (with that HTTP status and ARM error code)."""
        mark = self.recorder.mark()
        try:
            action()
        except error_type as error:
            problems = []
            actual_status = getattr(error, "status_code", None)
            if status is not None and actual_status != status:
                problems.append(f"status {actual_status!r}, expected {status}")
            actual_code = getattr(getattr(error, "error", None), "code", None)
            if code is not None and actual_code != code:
                problems.append(f"error code {actual_code!r}, expected {code!r}")
            self.check(not problems, what, "; ".join(problems) + f"\n    {type(error).__name__}: {error}")
            return error
        except Exception as error:  # noqa: BLE001
            self.check(False, what, f"expected {error_type.__name__}, got {type(error).__name__}: {error}")
            self.dump_exchanges(self.recorder.since(mark))
            return error
        self.check(False, what, f"expected {error_type.__name__}, but the call succeeded")
        return None

    @staticmethod
    def dump_exchanges(exchanges: list[Exchange]) -> None:
        if not exchanges:
            return
        print("    HTTP exchanges of that step:")
        for exchange in exchanges[-12:]:
            print(f"      {exchange}")


def password_values(value: Any, path: str = "") -> list[str]:
    """Every non-empty value under a key that names a password, in a model's dict form."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "password" in str(key).lower() and item not in (None, ""):
                found.append(f"{where}={item!r}")
            found.extend(password_values(item, where))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(password_values(item, f"{path}[{index}]"))
    return found


class Walkthrough:
    def __init__(self, client: SqlManagementClient, checks: Checks, recorder: Recorder, base_url: str,
                 ca_file: Optional[str], credential: Any) -> None:
        self.client = client
        self.checks = checks
        self.recorder = recorder
        self.base_url = base_url.rstrip("/")
        self.ca_file = ca_file
        self.credential = credential
        self.models_seen = 0

    def sql(self, server: str, database: str, statement: str, parameters: Optional[list] = None) -> dict:
        """Runs SQL in an emulated database through the emulator's query endpoint (an emulator extension,
        standing in for a SQL connection to Azure SQL)."""
        request = urllib.request.Request(
            f"{self.base_url}/_emulator/databases/{server}/{database}/query",
            data=json.dumps({"sql": statement, "parameters": parameters or []}).encode("utf-8"),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.credential.get_token(ARM_SCOPE).token}",
            },
            method="POST",
        )
        context = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return json.loads(response.read())

    # Helpers ---------------------------------------------------------------------------------------

    def no_password(self, model: Any, what: str) -> None:
        self.models_seen += 1
        data = model.as_dict() if hasattr(model, "as_dict") else model
        leaked = password_values(data)
        properties = getattr(model, "properties", None)
        for attribute in ("hub_database_password", "password"):
            value = getattr(properties, attribute, None) if properties is not None else None
            if value:
                leaked.append(f"properties.{attribute}={value!r}")
        self.checks.check(not leaked, f"{what}: no password comes back", ", ".join(leaked))

    def poll(self, what: str, start: Callable[[], Any]) -> Any:
        """Starts a long-running operation through `begin_*` and waits on the SDK poller."""
        mark = self.recorder.mark()
        started = time.monotonic()
        poller = self.checks.call(f"{what}: begin", start)
        result = self.checks.call(f"{what}: poller.result()", poller.result)
        elapsed = time.monotonic() - started
        exchanges = self.recorder.since(mark)
        self.checks.check(poller.done(), f"{what}: poller.done()")
        self.checks.equal(poller.status(), "Succeeded", f"{what}: poller.status() is Succeeded")
        polls = exchanges[1:]
        foreign = [e for e in polls if not e.url.startswith(self.base_url + "/")]
        self.checks.check(
            not foreign,
            f"{what}: polls stay on {self.base_url}",
            "; ".join(str(e) for e in foreign),
        )
        ok = self.checks.check(
            elapsed < POLLER_BUDGET_SECONDS,
            f"{what}: poller finished in {elapsed:.3f} s after {len(polls)} poll(s)",
            f"took {elapsed:.1f} s (budget {POLLER_BUDGET_SECONDS:.0f} s): see the poll delays the emulator sent below",
        )
        if not ok:
            Checks.dump_exchanges(exchanges)
        return result

    # The REST how-to walkthrough -----------------------------------------------------------------------

    def walkthrough(self) -> None:
        c = self.checks
        group_params = models.SyncGroup(
            properties=models.SyncGroupProperties(
                interval=-1,
                conflict_resolution_policy="HubWin",
                sync_database_id=SYNC_DATABASE_ID,
                hub_database_user_name="hubUser",
                hub_database_password="secret-hub-pw",
            )
        )
        group = self.poll(
            "create sync group",
            lambda: self.client.sync_groups.begin_create_or_update(RESOURCE_GROUP, SERVER, DATABASE, GROUP, group_params),
        )
        c.equal(group.id, GROUP_ID, "created group: id")
        c.equal(group.name, GROUP, "created group: name")
        c.equal(group.type, GROUP_TYPE, "created group: type")
        c.equal(group.properties.interval, -1, "created group: interval")
        c.equal(group.properties.conflict_resolution_policy, "HubWin", "created group: conflictResolutionPolicy")
        c.equal(group.properties.sync_database_id, SYNC_DATABASE_ID, "created group: syncDatabaseId")
        # The final poll of a create shows what the live service shows there (no user name, for one);
        # the GETs further on check the stored state.
        self.no_password(group, "created group")

        member_params = models.SyncMember(
            properties=models.SyncMemberProperties(
                database_type="AzureSqlDatabase",
                server_name="syncgroupcrud-3379.database.windows.net",
                database_name="syncgroupcrud-7421",
                user_name="myUser",
                password="secret-member-pw",
                sync_direction="Bidirectional",
            )
        )
        member = self.poll(
            "create sync member",
            lambda: self.client.sync_members.begin_create_or_update(
                RESOURCE_GROUP, SERVER, DATABASE, GROUP, MEMBER, member_params
            ),
        )
        c.equal(member.id, MEMBER_ID, "created member: id")
        c.equal(member.name, MEMBER, "created member: name")
        c.equal(member.type, MEMBER_TYPE, "created member: type")
        c.equal(member.properties.database_type, "AzureSqlDatabase", "created member: databaseType")
        c.equal(member.properties.server_name, "syncgroupcrud-3379.database.windows.net", "created member: serverName")
        c.equal(member.properties.database_name, "syncgroupcrud-7421", "created member: databaseName")
        c.equal(member.properties.sync_direction, "Bidirectional", "created member: syncDirection")
        self.no_password(member, "created member")

        hub_rows = [[1, "Ada"], [2, "Grace"]]
        c.call(
            "create the Customers table in the hub database, with rows",
            lambda: self.sql(
                SERVER, DATABASE,
                "CREATE TABLE Customers (CustomerId INT PRIMARY KEY, Name NVARCHAR(100)); "
                "INSERT INTO Customers VALUES (1, 'Ada'), (2, 'Grace')",
            ),
        )

        refreshed = self.poll(
            "refresh hub schema",
            lambda: self.client.sync_groups.begin_refresh_hub_schema(RESOURCE_GROUP, SERVER, DATABASE, GROUP),
        )
        c.check(refreshed is None, "refresh hub schema: the poller's result is None", f"got {refreshed!r}")

        hub_schemas = c.call(
            "list hub schemas",
            lambda: list(self.client.sync_groups.list_hub_schemas(RESOURCE_GROUP, SERVER, DATABASE, GROUP)),
        )
        c.check(
            all(isinstance(s, models.SyncFullSchemaProperties) for s in hub_schemas),
            f"hub schemas: {len(hub_schemas)} SyncFullSchemaProperties",
        )
        hub_tables = [t.quoted_name for s in hub_schemas for t in (s.tables or [])]
        c.equal(hub_tables, ["[dbo].[Customers]"], "hub schema: the refresh read the real Customers table")

        schema = models.SyncGroupSchema(
            tables=[
                models.SyncGroupSchemaTable(
                    quoted_name="[dbo].[Customers]",
                    columns=[
                        models.SyncGroupSchemaTableColumn(quoted_name="[CustomerId]", data_type="int", data_size="4"),
                        models.SyncGroupSchemaTableColumn(quoted_name="[Name]", data_type="nvarchar", data_size="100"),
                    ],
                )
            ],
            master_sync_member_name=MEMBER,
        )
        # The how-to updates with PUT (create_or_update) and the whole body; PATCH comes later.
        update_params = models.SyncGroup(
            properties=models.SyncGroupProperties(
                interval=-1,
                conflict_resolution_policy="HubWin",
                sync_database_id=SYNC_DATABASE_ID,
                hub_database_user_name="hubUser",
                schema=schema,
            )
        )
        updated = self.poll(
            "update sync group with a schema",
            lambda: self.client.sync_groups.begin_create_or_update(
                RESOURCE_GROUP, SERVER, DATABASE, GROUP, update_params
            ),
        )
        c.equal(updated.id, GROUP_ID, "updated group: id")
        self.check_schema(updated, "updated group")
        self.no_password(updated, "updated group")

        member_update = models.SyncMember(
            properties=models.SyncMemberProperties(
                database_type="AzureSqlDatabase",
                server_name="syncgroupcrud-3379.database.windows.net",
                database_name="syncgroupcrud-7421",
                user_name="myUser",
                password="secret-member-pw-2",
                sync_direction="Bidirectional",
            )
        )
        updated_member = self.poll(
            "update sync member",
            lambda: self.client.sync_members.begin_create_or_update(
                RESOURCE_GROUP, SERVER, DATABASE, GROUP, MEMBER, member_update
            ),
        )
        c.equal(updated_member.id, MEMBER_ID, "updated member: id")
        self.no_password(updated_member, "updated member")

        c.call(
            "trigger sync",
            lambda: self.client.sync_groups.trigger_sync(RESOURCE_GROUP, SERVER, DATABASE, GROUP),
        )
        arrived = c.call(
            "read the member database after the sync",
            lambda: self.sql("syncgroupcrud-3379", "syncgroupcrud-7421", "SELECT CustomerId, Name FROM Customers ORDER BY 1"),
        )
        c.equal(arrived.get("rows") if isinstance(arrived, dict) else None, hub_rows, "the sync copied the hub's rows to the member")

    def check_schema(self, group: Any, what: str) -> None:
        c = self.checks
        schema = group.properties.schema if group.properties else None
        tables = (schema.tables or []) if schema else []
        c.equal(schema.master_sync_member_name if schema else None, MEMBER, f"{what}: schema.masterSyncMemberName")
        c.equal([t.quoted_name for t in tables], ["[dbo].[Customers]"], f"{what}: schema tables")
        columns = [(col.quoted_name, col.data_type, col.data_size) for col in (tables[0].columns or [])] if tables else []
        c.equal(
            columns,
            [("[CustomerId]", "int", "4"), ("[Name]", "nvarchar", "100")],
            f"{what}: schema columns",
        )

    # Everything else -------------------------------------------------------------------------------

    def the_rest(self) -> None:
        c = self.checks
        sg, sm, sa = self.client.sync_groups, self.client.sync_members, self.client.sync_agents

        group = c.call("get sync group", lambda: sg.get(RESOURCE_GROUP, SERVER, DATABASE, GROUP))
        c.equal(group.id, GROUP_ID, "got group: id")
        c.equal(group.name, GROUP, "got group: name")
        c.equal(group.type, GROUP_TYPE, "got group: type")
        c.equal(group.properties.sync_state, "Good", "got group: syncState after a successful sync")
        last_sync = c.call("got group: lastSyncTime deserializes", lambda: group.properties.last_sync_time)
        c.check(last_sync is not None and last_sync != NEVER_SYNCED, "got group: lastSyncTime was set by the sync", repr(last_sync))
        c.equal(group.properties.interval, -1, "got group: interval")
        c.equal(group.properties.hub_database_user_name, "hubUser", "got group: hubDatabaseUserName")
        self.check_schema(group, "got group")
        self.no_password(group, "got group")

        groups = c.call("list sync groups", lambda: list(sg.list_by_database(RESOURCE_GROUP, SERVER, DATABASE)))
        c.equal([g.id for g in groups], [GROUP_ID], "listed groups: ids")
        for g in groups:
            c.equal(g.properties.sync_state, "Good", f"listed group {g.name}: syncState")
            self.no_password(g, f"listed group {g.name}")

        member = c.call("get sync member", lambda: sm.get(RESOURCE_GROUP, SERVER, DATABASE, GROUP, MEMBER))
        c.equal(member.id, MEMBER_ID, "got member: id")
        c.equal(member.name, MEMBER, "got member: name")
        c.equal(member.type, MEMBER_TYPE, "got member: type")
        c.equal(member.properties.sync_state, "SyncSucceeded", "got member: syncState")
        c.equal(member.properties.sync_direction, "Bidirectional", "got member: syncDirection")
        c.equal(member.properties.user_name, "myUser", "got member: userName")
        c.equal(member.properties.server_name, "syncgroupcrud-3379.database.windows.net", "got member: serverName")
        self.no_password(member, "got member")

        members = c.call(
            "list sync members", lambda: list(sm.list_by_sync_group(RESOURCE_GROUP, SERVER, DATABASE, GROUP))
        )
        c.equal([m.id for m in members], [MEMBER_ID], "listed members: ids")
        for m in members:
            c.equal(m.properties.sync_state, "SyncSucceeded", f"listed member {m.name}: syncState")
            self.no_password(m, f"listed member {m.name}")

        hub_schemas = c.call(
            "list hub schemas (again)", lambda: list(sg.list_hub_schemas(RESOURCE_GROUP, SERVER, DATABASE, GROUP))
        )
        c.check(
            all(isinstance(s, models.SyncFullSchemaProperties) for s in hub_schemas),
            f"hub schemas (again): {len(hub_schemas)} SyncFullSchemaProperties",
        )

        logs = c.call(
            "list sync group logs",
            lambda: list(
                sg.list_logs(
                    RESOURCE_GROUP, SERVER, DATABASE, GROUP,
                    start_time="2017-01-01T00:00:00", end_time="2099-12-31T00:00:00", type="All",
                )
            ),
        )
        c.check(
            all(isinstance(entry, models.SyncGroupLogProperties) for entry in logs),
            f"logs: {len(logs)} SyncGroupLogProperties",
        )

        database_ids = c.call("list sync database ids", lambda: list(sg.list_sync_database_ids(LOCATION)))
        c.check(
            all(isinstance(d, models.SyncDatabaseIdProperties) and d.id for d in database_ids),
            f"sync database ids: {len(database_ids)} SyncDatabaseIdProperties with an id",
            repr([d.as_dict() for d in database_ids]),
        )

        self.poll(
            "refresh member schema",
            lambda: sm.begin_refresh_member_schema(RESOURCE_GROUP, SERVER, DATABASE, GROUP, MEMBER),
        )
        member_schemas = c.call(
            "list member schemas",
            lambda: list(sm.list_member_schemas(RESOURCE_GROUP, SERVER, DATABASE, GROUP, MEMBER)),
        )
        c.check(
            all(isinstance(s, models.SyncFullSchemaProperties) for s in member_schemas),
            f"member schemas: {len(member_schemas)} SyncFullSchemaProperties",
        )

        # Sync agent.
        agent = self.poll(
            "create sync agent",
            lambda: sa.begin_create_or_update(
                RESOURCE_GROUP, SERVER, AGENT,
                models.SyncAgent(properties=models.SyncAgentProperties(sync_database_id=SYNC_DATABASE_ID)),
            ),
        )
        c.equal(agent.id, AGENT_ID, "created agent: id")
        c.equal(agent.name, AGENT, "created agent: name")
        c.equal(agent.type, AGENT_TYPE, "created agent: type")
        c.equal(agent.properties.sync_database_id, SYNC_DATABASE_ID, "created agent: syncDatabaseId")
        self.no_password(agent, "created agent")

        agent = c.call("get sync agent", lambda: sa.get(RESOURCE_GROUP, SERVER, AGENT))
        c.equal(agent.id, AGENT_ID, "got agent: id")
        c.equal(agent.properties.state, "NeverConnected", "got agent: state")
        c.call("got agent: expiryTime deserializes", lambda: agent.properties.expiry_time)
        self.no_password(agent, "got agent")

        agents = c.call("list sync agents", lambda: list(sa.list_by_server(RESOURCE_GROUP, SERVER)))
        c.equal([a.id for a in agents], [AGENT_ID], "listed agents: ids")
        for a in agents:
            c.equal(a.properties.state, "NeverConnected", f"listed agent {a.name}: state")
            self.no_password(a, f"listed agent {a.name}")

        first = c.call("generate agent key", lambda: sa.generate_key(RESOURCE_GROUP, SERVER, AGENT))
        second = c.call("generate agent key again", lambda: sa.generate_key(RESOURCE_GROUP, SERVER, AGENT))
        first_parts = (first.sync_agent_key or "").split(":")
        second_parts = (second.sync_agent_key or "").split(":")
        guid = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
        c.check(
            len(first_parts) >= 2 and bool(guid.match(first_parts[0])),
            "agent key: starts with a GUID and a ':'",
            f"key {first.sync_agent_key!r}",
        )
        c.check(
            len(second_parts) >= 2 and first_parts[0] == second_parts[0],
            "agent keys: same GUID prefix",
            f"{first.sync_agent_key!r} vs {second.sync_agent_key!r}",
        )
        c.check(
            len(second_parts) >= 2 and first_parts[1:2] != second_parts[1:2] and bool(first_parts[1]),
            "agent keys: different secrets",
            f"{first.sync_agent_key!r} vs {second.sync_agent_key!r}",
        )
        linked = c.call(
            "list agent linked databases", lambda: list(sa.list_linked_databases(RESOURCE_GROUP, SERVER, AGENT))
        )
        c.check(
            all(isinstance(d, models.SyncAgentLinkedDatabase) for d in linked),
            f"linked databases: {len(linked)} SyncAgentLinkedDatabase",
        )
        for d in linked:
            self.no_password(d, f"linked database {d.name}")

        c.call("cancel sync", lambda: sg.cancel_sync(RESOURCE_GROUP, SERVER, DATABASE, GROUP))

        # PATCH (begin_update): the final poll shows what was patched; a GET shows the merged state.
        patched = self.poll(
            "patch sync group",
            lambda: sg.begin_update(
                RESOURCE_GROUP, SERVER, DATABASE, GROUP,
                models.SyncGroup(properties=models.SyncGroupProperties(interval=300)),
            ),
        )
        c.equal(patched.id, GROUP_ID, "patched group: id")
        c.equal(patched.properties.interval, 300, "patched group: interval")
        self.no_password(patched, "patched group")
        group = c.call("get patched sync group", lambda: sg.get(RESOURCE_GROUP, SERVER, DATABASE, GROUP))
        c.equal(group.properties.interval, 300, "got patched group: interval")
        c.equal(group.properties.conflict_resolution_policy, "HubWin", "got patched group: conflictResolutionPolicy kept")
        self.check_schema(group, "got patched group")
        self.no_password(group, "got patched group")

        patched_member = self.poll(
            "patch sync member",
            lambda: sm.begin_update(
                RESOURCE_GROUP, SERVER, DATABASE, GROUP, MEMBER,
                models.SyncMember(
                    properties=models.SyncMemberProperties(
                        sync_direction="OneWayMemberToHub", password="secret-member-pw-3"
                    )
                ),
            ),
        )
        c.equal(patched_member.id, MEMBER_ID, "patched member: id")
        c.equal(patched_member.properties.sync_direction, "OneWayMemberToHub", "patched member: syncDirection")
        self.no_password(patched_member, "patched member")
        member = c.call("get patched sync member", lambda: sm.get(RESOURCE_GROUP, SERVER, DATABASE, GROUP, MEMBER))
        c.equal(member.properties.sync_direction, "OneWayMemberToHub", "got patched member: syncDirection")
        c.equal(member.properties.user_name, "myUser", "got patched member: userName kept")
        c.equal(member.properties.sync_state, "Provisioned", "got patched member: syncState (reprovisioned)")
        self.no_password(member, "got patched member")

        # Deletes, each followed by a get that must be a 404.
        self.poll("delete sync member", lambda: sm.begin_delete(RESOURCE_GROUP, SERVER, DATABASE, GROUP, MEMBER))
        c.raises(
            "get deleted sync member raises ResourceNotFoundError",
            lambda: sm.get(RESOURCE_GROUP, SERVER, DATABASE, GROUP, MEMBER),
            ResourceNotFoundError, status=404,
        )
        self.poll("delete sync group", lambda: sg.begin_delete(RESOURCE_GROUP, SERVER, DATABASE, GROUP))
        c.raises(
            "get deleted sync group raises ResourceNotFoundError",
            lambda: sg.get(RESOURCE_GROUP, SERVER, DATABASE, GROUP),
            ResourceNotFoundError, status=404,
        )
        self.poll("delete sync agent", lambda: sa.begin_delete(RESOURCE_GROUP, SERVER, AGENT))
        c.raises(
            "get deleted sync agent raises ResourceNotFoundError",
            lambda: sa.get(RESOURCE_GROUP, SERVER, AGENT),
            ResourceNotFoundError, status=404,
        )

    # Azure-AsyncOperation pollers (api-version >= 2025-02-01-preview) ------------------------------

    def async_operation_pollers(self, preview: SqlManagementClient) -> None:
        """Group writes under 2025-02-01-preview also answer `Azure-AsyncOperation`, which ARMPolling prefers."""
        c = self.checks
        sg = preview.sync_groups
        params = models.SyncGroup(
            properties=models.SyncGroupProperties(
                interval=-1,
                conflict_resolution_policy="MemberWin",
                sync_database_id=SYNC_DATABASE_ID,
                hub_database_user_name="hubUser",
                hub_database_password="secret-hub-pw",
            )
        )
        mark = self.recorder.mark()
        created = self.poll(
            f"create sync group ({PREVIEW_API_VERSION})",
            lambda: sg.begin_create_or_update(RESOURCE_GROUP, SERVER, DATABASE, PREVIEW_GROUP, params),
        )
        exchanges = self.recorder.since(mark)
        first = exchanges[0] if exchanges else None
        async_url = (first.headers.get("Azure-AsyncOperation") or first.headers.get("azure-asyncoperation")) if first else None
        c.check(bool(async_url), f"create sync group ({PREVIEW_API_VERSION}): 202 carries Azure-AsyncOperation",
                str(first))
        c.check(
            bool(async_url) and any(e.url == async_url for e in exchanges[1:]),
            f"create sync group ({PREVIEW_API_VERSION}): the SDK polled the Azure-AsyncOperation URL",
            "\n    ".join(str(e) for e in exchanges),
        )
        c.equal(created.name, PREVIEW_GROUP, f"created group ({PREVIEW_API_VERSION}): name")
        c.equal(created.properties.conflict_resolution_policy, "MemberWin",
                f"created group ({PREVIEW_API_VERSION}): conflictResolutionPolicy")
        self.no_password(created, f"created group ({PREVIEW_API_VERSION})")

        patched = self.poll(
            f"update sync group ({PREVIEW_API_VERSION})",
            lambda: sg.begin_update(
                RESOURCE_GROUP, SERVER, DATABASE, PREVIEW_GROUP,
                models.SyncGroup(properties=models.SyncGroupProperties(conflict_resolution_policy="HubWin")),
            ),
        )
        c.equal(patched.properties.conflict_resolution_policy, "HubWin",
                f"updated group ({PREVIEW_API_VERSION}): conflictResolutionPolicy")
        self.no_password(patched, f"updated group ({PREVIEW_API_VERSION})")

        c.raises(
            "trigger sync of a group without schema or members: 400 SyncOperation_GenericFailure",
            lambda: sg.trigger_sync(RESOURCE_GROUP, SERVER, DATABASE, PREVIEW_GROUP),
            HttpResponseError, status=400, code="SyncOperation_GenericFailure",
        )

        self.poll(
            f"delete sync group ({PREVIEW_API_VERSION})",
            lambda: sg.begin_delete(RESOURCE_GROUP, SERVER, DATABASE, PREVIEW_GROUP),
        )
        c.raises(
            f"get deleted sync group ({PREVIEW_API_VERSION}) raises ResourceNotFoundError",
            lambda: sg.get(RESOURCE_GROUP, SERVER, DATABASE, PREVIEW_GROUP),
            ResourceNotFoundError, status=404,
        )


# --------------------------------------------------------------------------------------------------
# TLS and authentication probes.


def fetch_ca(base_url: str) -> str:
    """The trust bootstrap: the one request made without verifying, to fetch the emulator's CA."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(f"{base_url}/_emulator/ca.pem", context=context, timeout=10) as response:
        pem = response.read()
    handle, path = tempfile.mkstemp(prefix="datasync-emulator-ca-", suffix=".pem")
    with os.fdopen(handle, "wb") as file:
        file.write(pem)
    return path


class _PlainHttpBearerPolicy(SansIOHTTPPolicy):
    """Development only (--allow-http): sets the bearer header without azure-core's https check."""

    def __init__(self, credential: Any) -> None:
        super().__init__()
        self.credential = credential

    def on_request(self, request: Any) -> None:
        token = self.credential.get_token(ARM_SCOPE).token
        request.http_request.headers["Authorization"] = f"Bearer {token}"


def make_client(base_url: str, credential: Any, ca_file: Optional[str], recorder: Optional[Recorder],
                plain_http: bool = False, **kwargs: Any) -> SqlManagementClient:
    options: dict[str, Any] = dict(
        credential=credential,
        subscription_id=SUBSCRIPTION,
        base_url=base_url,
        credential_scopes=[ARM_SCOPE],
        connection_timeout=10,
        read_timeout=60,
        retry_total=0,
    )
    if ca_file:
        options["connection_verify"] = ca_file
    if recorder is not None:
        options["raw_response_hook"] = recorder
    if plain_http:
        options["authentication_policy"] = _PlainHttpBearerPolicy(credential)
    options.update(kwargs)
    return SqlManagementClient(**options)


def tls_and_auth_probes(args: argparse.Namespace, checks: Checks, recorder: Recorder, credential: Any) -> None:
    base_url = args.base_url
    checks.check(base_url.startswith("https://"), f"emulator URL is https ({base_url})")

    with open(args.ca_file, "rb") as file:
        pem = file.read()
    checks.check(b"-----BEGIN CERTIFICATE-----" in pem, f"CA file is a PEM certificate ({args.ca_file})")

    # The emulator's certificate must not be trusted by default: the SDK checks use the CA on purpose.
    try:
        urllib.request.urlopen(f"{base_url}/_emulator/ca.pem", context=ssl.create_default_context(), timeout=10)
        checks.check(False, "the default trust store rejects the emulator's certificate", "it was accepted")
    except urllib.error.URLError as error:
        checks.check(
            isinstance(error.reason, ssl.SSLCertVerificationError),
            "the default trust store rejects the emulator's certificate",
            repr(error.reason),
        )
    # Unless REQUESTS_CA_BUNDLE trusts the CA for every client in the process, as azure-identity's settings do.
    if not os.environ.get("REQUESTS_CA_BUNDLE"):
        untrusting = make_client(base_url, LocalJwtCredential(), None, None)
        checks.raises(
            "the SDK without connection_verify refuses the emulator (ServiceRequestError)",
            lambda: untrusting.sync_agents.get(RESOURCE_GROUP, SERVER, AGENT),
            ServiceRequestError,
        )
    # The CA verifies the certificate for the name the client used (hostname checking on).
    context = ssl.create_default_context(cafile=args.ca_file)
    try:
        with urllib.request.urlopen(f"{base_url}/_emulator/ca.pem", context=context, timeout=10) as response:
            served = response.read()
        checks.check(served.strip() == pem.strip(), "the CA served at /_emulator/ca.pem is the CA in use")
    except Exception as error:  # noqa: BLE001
        checks.check(False, "the CA verifies the emulator's certificate (urllib, hostname checked)", repr(error))

    if args.auth == "none":
        return

    # --auth token and token-unsigned: what ARM answers to missing, foreign, expired and wrong-audience tokens.
    probe_url = f"{base_url}/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Sql/servers/{SERVER}/syncAgents?api-version=2025-01-01"
    try:
        urllib.request.urlopen(probe_url, context=context, timeout=10)
        checks.check(False, "--auth token: a request without Authorization is 401", "it succeeded")
    except urllib.error.HTTPError as error:
        body = error.read().decode("utf-8", "replace")
        checks.check(
            error.code == 401 and "AuthenticationFailed" in body and error.headers.get("WWW-Authenticate"),
            "--auth token: a request without Authorization is 401 AuthenticationFailed with WWW-Authenticate",
            f"{error.code} {body} WWW-Authenticate={error.headers.get('WWW-Authenticate')!r}",
        )

    if args.auth == "token":
        # Signatures are checked: a hand-made token is not the emulator's, and a real one for another
        # audience is refused for its audience.
        checks.raises(
            "--auth token: an unsigned hand-made token is ClientAuthenticationError 401 InvalidAuthenticationToken",
            lambda: make_client(base_url, LocalJwtCredential(), args.ca_file, None).sync_agents.list_by_server(RESOURCE_GROUP, SERVER).next(),
            ClientAuthenticationError, status=401, code="InvalidAuthenticationToken",
        )
        signed_in = getattr(credential, "inner", credential)
        vault_token = FixedTokenCredential(signed_in.get_token("https://vault.azure.net/.default"))
        checks.raises(
            "--auth token: the emulator's own token for another audience is 401 InvalidAuthenticationTokenAudience",
            lambda: make_client(base_url, vault_token, args.ca_file, None).sync_agents.list_by_server(RESOURCE_GROUP, SERVER).next(),
            ClientAuthenticationError, status=401, code="InvalidAuthenticationTokenAudience",
        )
        return

    expired = LocalJwtCredential(lifetime_seconds=-600)
    checks.raises(
        "--auth token: an expired token is ClientAuthenticationError 401 ExpiredAuthenticationToken",
        lambda: make_client(base_url, expired, args.ca_file, None).sync_agents.list_by_server(RESOURCE_GROUP, SERVER).next(),
        ClientAuthenticationError, status=401, code="ExpiredAuthenticationToken",
    )
    wrong_audience = LocalJwtCredential(audience="https://vault.azure.net")
    checks.raises(
        "--auth token: a token for another audience is ClientAuthenticationError 401 InvalidAuthenticationTokenAudience",
        lambda: make_client(base_url, wrong_audience, args.ca_file, None).sync_agents.list_by_server(RESOURCE_GROUP, SERVER).next(),
        ClientAuthenticationError, status=401, code="InvalidAuthenticationTokenAudience",
    )


# --------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="the emulator's URL, from its readiness line")
    trust = parser.add_mutually_exclusive_group(required=True)
    trust.add_argument("--ca-file", help="path of the emulator's CA certificate (PEM)")
    trust.add_argument("--fetch-ca", action="store_true", help="fetch the CA from <url>/_emulator/ca.pem first")
    trust.add_argument("--allow-http", action="store_true",
                       help="development only: talk plain http (no TLS checks; the token is sent anyway)")
    parser.add_argument("--auth", choices=["none", "token", "token-unsigned"], default="none",
                        help="the emulator's --auth mode, to probe its rejections too")
    parser.add_argument("--credential", choices=["local", "client-secret", "environment"], default="local",
                        help="local: a hand-made unsigned JWT; client-secret or environment: azure-identity signing in")
    parser.add_argument("--label", default="", help="a prefix for the summary line")
    args = parser.parse_args()
    args.base_url = args.base_url.rstrip("/")

    recorder = Recorder()
    checks = Checks(recorder)
    label = f"sdk_walkthrough{f' ({args.label})' if args.label else ''}"
    fetched_ca = None
    try:
        if args.fetch_ca:
            fetched_ca = args.ca_file = checks.call(
                f"fetch the CA from {args.base_url}/_emulator/ca.pem", lambda: fetch_ca(args.base_url)
            )
        # --allow-http (development only): azure-core refuses to send a bearer token over http, so a
        # plain header policy stands in, and the TLS and authentication probes are skipped.
        credential = make_credential(args.credential)
        if not args.allow_http:
            tls_and_auth_probes(args, checks, recorder, credential)

        client = make_client(args.base_url, credential, args.ca_file, recorder, plain_http=args.allow_http)
        walkthrough = Walkthrough(client, checks, recorder, args.base_url, args.ca_file, credential)

        started = time.monotonic()
        walkthrough.walkthrough()
        elapsed = time.monotonic() - started
        print(f"walkthrough: {elapsed:.2f} s")
        checks.check(
            elapsed < WALKTHROUGH_BUDGET_SECONDS,
            f"walkthrough took {elapsed:.2f} s (< {WALKTHROUGH_BUDGET_SECONDS:.0f} s)",
        )

        walkthrough.the_rest()
        preview = make_client(args.base_url, credential, args.ca_file, recorder, plain_http=args.allow_http,
                              api_version=PREVIEW_API_VERSION)
        walkthrough.async_operation_pollers(preview)

        checks.check(
            bool(credential.requested_scopes) and all(s == (ARM_SCOPE,) for s in credential.requested_scopes),
            f"the credential was asked for {ARM_SCOPE} only",
            repr(sorted(set(credential.requested_scopes))),
        )
        checks.check(walkthrough.models_seen > 0, f"{walkthrough.models_seen} returned models checked for passwords")
    except Abort as abort:
        print(f"stopped after a failed SDK call: {abort}", file=sys.stderr)
    except Exception:  # noqa: BLE001 - a bug in this script, still a failure with a clear message
        checks.failed += 1
        print("not ok - unexpected error in sdk_walkthrough.py", flush=True)
        traceback.print_exc()
    finally:
        if fetched_ca:
            os.unlink(fetched_ca)

    print(f"{label}: {checks.passed} passed, {checks.failed} failed", flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
