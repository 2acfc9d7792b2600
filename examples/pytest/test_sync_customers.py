"""What a user of the wheel writes: a Data Sync setup through the official SDK, and the rows checked in SQL.

Run it after `pip install datasync-emulator azure-mgmt-sql azure-identity`:

    pytest examples/pytest

The fixtures come from the wheel's pytest plugin: `sql_client` is a SqlManagementClient pointed at the
emulator, `query(server, database, sql, *params)` runs SQL in an emulated database, and each test starts
from an empty emulator.
"""

import base64
import json

import pytest
from azure.mgmt.sql import models
from datasync_emulator.pytest_plugin import EmulatorError

RESOURCE_GROUP = "sales"
HUB_SERVER, HUB_DATABASE = "sales-hub", "orders"
MEMBER_SERVER, MEMBER_DATABASE = "sales-eu", "orders-eu"
GROUP, MEMBER = "customers", "eu"


def create_group_and_member(sql_client, datasync_emulator, direction="Bidirectional"):
    hub_id = (
        f"/subscriptions/{datasync_emulator.subscription_id}/resourceGroups/{RESOURCE_GROUP}"
        f"/providers/Microsoft.Sql/servers/{HUB_SERVER}/databases/{HUB_DATABASE}"
    )
    group = sql_client.sync_groups.begin_create_or_update(
        RESOURCE_GROUP, HUB_SERVER, HUB_DATABASE, GROUP,
        models.SyncGroup(
            properties=models.SyncGroupProperties(
                interval=-1, conflict_resolution_policy="HubWin", sync_database_id=hub_id,
                hub_database_user_name="hub", hub_database_password="hub-password",
            )
        ),
    ).result()
    member = sql_client.sync_members.begin_create_or_update(
        RESOURCE_GROUP, HUB_SERVER, HUB_DATABASE, GROUP, MEMBER,
        models.SyncMember(
            properties=models.SyncMemberProperties(
                database_type="AzureSqlDatabase", server_name=f"{MEMBER_SERVER}.database.windows.net",
                database_name=MEMBER_DATABASE, user_name="member", password="member-password",
                sync_direction=direction,
            )
        ),
    ).result()
    return group, member


def save_schema(sql_client):
    sql_client.sync_groups.begin_refresh_hub_schema(RESOURCE_GROUP, HUB_SERVER, HUB_DATABASE, GROUP).result()
    hub_tables = [
        table.quoted_name
        for schema in sql_client.sync_groups.list_hub_schemas(RESOURCE_GROUP, HUB_SERVER, HUB_DATABASE, GROUP)
        for table in schema.tables
    ]
    assert hub_tables == ["[dbo].[Customers]"]
    return sql_client.sync_groups.begin_create_or_update(
        RESOURCE_GROUP, HUB_SERVER, HUB_DATABASE, GROUP,
        models.SyncGroup(
            properties=models.SyncGroupProperties(
                interval=-1, conflict_resolution_policy="HubWin", hub_database_user_name="hub",
                schema=models.SyncGroupSchema(
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
                ),
            )
        ),
    ).result()


def test_rows_reach_the_member(sql_client, datasync_emulator, query):
    query(HUB_SERVER, HUB_DATABASE, "CREATE TABLE Customers (CustomerId INT PRIMARY KEY, Name NVARCHAR(100))")
    query(HUB_SERVER, HUB_DATABASE, "INSERT INTO Customers VALUES (?, ?), (?, ?)", 1, "Ada", 2, "Grace")
    group, member = create_group_and_member(sql_client, datasync_emulator)
    assert (group.name, member.name) == (GROUP, MEMBER)

    saved = save_schema(sql_client)
    assert saved.properties.schema.master_sync_member_name == MEMBER
    sql_client.sync_groups.trigger_sync(RESOURCE_GROUP, HUB_SERVER, HUB_DATABASE, GROUP)

    assert query(MEMBER_SERVER, MEMBER_DATABASE, "SELECT CustomerId, Name FROM Customers ORDER BY 1") == [
        (1, "Ada"),
        (2, "Grace"),
    ]
    synced = sql_client.sync_members.get(RESOURCE_GROUP, HUB_SERVER, HUB_DATABASE, GROUP, MEMBER)
    assert synced.properties.sync_state == "SyncSucceeded"


def test_each_test_starts_empty(sql_client, query):
    """The previous test's group and tables are gone: the plugin resets the emulator before each test."""
    groups = list(sql_client.sync_groups.list_by_database(RESOURCE_GROUP, HUB_SERVER, HUB_DATABASE))
    assert groups == []
    with pytest.raises(EmulatorError, match="InvalidQuery"):
        query(HUB_SERVER, HUB_DATABASE, "SELECT * FROM Customers")


def test_member_changes_flow_back_to_the_hub(sql_client, datasync_emulator, query):
    query(HUB_SERVER, HUB_DATABASE, "CREATE TABLE Customers (CustomerId INT PRIMARY KEY, Name NVARCHAR(100))")
    create_group_and_member(sql_client, datasync_emulator, direction="OneWayMemberToHub")
    save_schema(sql_client)
    query(MEMBER_SERVER, MEMBER_DATABASE, "INSERT INTO Customers VALUES (?, ?)", 7, "Katherine")
    sql_client.sync_groups.trigger_sync(RESOURCE_GROUP, HUB_SERVER, HUB_DATABASE, GROUP)
    assert query(HUB_SERVER, HUB_DATABASE, "SELECT Name FROM Customers WHERE CustomerId = ?", 7) == [("Katherine",)]

    logs = sql_client.sync_groups.list_logs(
        RESOURCE_GROUP, HUB_SERVER, HUB_DATABASE, GROUP,
        start_time="2000-01-01T00:00:00Z", end_time="2099-12-31T00:00:00Z", type="All",
    )
    assert any(log.type == "Success" for log in logs)


def test_the_credential_signs_in_at_the_emulator(datasync_credential):
    """The plugin's credential is azure-identity's ClientSecretCredential, signed in at the emulator's own
    token endpoint, offline: the token is a JWT the emulator signed (RS256)."""
    token = datasync_credential.get_token("https://management.azure.com/.default").token
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert type(datasync_credential).__name__ == "ClientSecretCredential"
    assert header["alg"] == "RS256"
