#!/usr/bin/env python3
"""The dashboard's browser test: a real page in Debian's headless Chromium, driven through the DOM.

It builds a sync group with two members and data through the ARM API and the query endpoint of a running
emulator, loads /_emulator/ui, checks that the states and row counts shown match what the API and the
databases say, clicks "Trigger sync" and waits for the convergence marker to turn to "converged", without
a page reload. It saves screenshots (the group page is artifacts/dashboard.png) and ends with the line
`ui_check: N passed, M failed`; the exit status is non-zero on any failure.

scripts/ui-check.sh starts the emulator and runs this with --base-url.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

API_VERSION = "2025-01-01"
SUBSCRIPTION = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
RESOURCE_GROUP = "retail-demo"
HUB_SERVER, HUB_DATABASE = "contoso-hub", "sales"
GROUP = "orders-sync"
MEMBERS = [
    # name, server, database, direction
    ("branch-east", "contoso-east", "sales-east", "Bidirectional"),
    ("branch-west", "contoso-west", "sales-west", "OneWayHubToMember"),
]
MEMBER_PASSWORD = "Pa55w0rd-not-to-be-shown"
SERVER_PATH = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Sql/servers/{HUB_SERVER}"
)
DATABASE_PATH = f"{SERVER_PATH}/databases/{HUB_DATABASE}"
GROUP_PATH = f"{DATABASE_PATH}/syncGroups/{GROUP}"
TABLES = {"Customers": ["CustomerId", "Name", "City"], "Orders": ["OrderId", "CustomerId", "Amount"]}
WAIT_SECONDS = 20


class Counts:
    """The check's tally, printed TAP-style as it goes."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, condition, name, detail=""):
        if condition:
            self.passed += 1
            print(f"ok - {name}")
        else:
            self.failed += 1
            print(f"not ok - {name}" + (f": {detail}" if detail else ""))
        return condition


class Emulator:
    """A tiny client of the emulator's ARM and control APIs."""

    def __init__(self, base_url):
        self.base = base_url.rstrip("/")

    def call(self, method, path, body=None, arm=True):
        url = self.base + path
        if arm:
            url += ("&" if "?" in path else "?") + f"api-version={API_VERSION}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def finish(self, method, path, body=None):
        """Sends a write and polls its Location until the operation is done; returns the final status."""
        status, headers, text = self.call(method, path, body)
        location = headers.get("Location")
        for _ in range(100):
            if status != 202 or not location:
                break
            time.sleep(0.02)
            status, headers, text = self.call("GET", location.replace(self.base, "", 1), arm=False)
        return status, text

    def get(self, path):
        status, _, text = self.call("GET", path)
        return json.loads(text) if status == 200 else {}

    def sql(self, server, database, statement):
        status, _, text = self.call(
            "POST", f"/_emulator/databases/{server}/{database}/query", {"sql": statement}, arm=False
        )
        if status != 200:
            raise RuntimeError(f"SQL on {server}/{database} failed ({status}): {text}")
        return json.loads(text)

    def count(self, server, database, table):
        return self.sql(server, database, f"SELECT COUNT(*) FROM {table}")["rows"][0][0]


def build_group(api, counts):
    """A hub with customers and orders, a member with rows of its own (one of them conflicting), an empty one."""
    status, text = api.finish(
        "PUT",
        GROUP_PATH,
        {
            "properties": {
                "interval": 300,
                "conflictResolutionPolicy": "HubWin",
                "enableConflictLogging": True,
                "conflictLoggingRetentionInDays": 30,
                "syncDatabaseId": DATABASE_PATH,
                "hubDatabaseUserName": "hubadmin",
                "hubDatabasePassword": MEMBER_PASSWORD,
            }
        },
    )
    counts.check(status == 201, "the sync group is created", f"{status} {text}")
    customers = "CREATE TABLE Customers (CustomerId INTEGER PRIMARY KEY, Name NVARCHAR(100), City NVARCHAR(60))"
    orders = (
        "CREATE TABLE Orders (OrderId INTEGER PRIMARY KEY, "
        "CustomerId INTEGER REFERENCES Customers(CustomerId), Amount DECIMAL(10,2))"
    )
    api.sql(HUB_SERVER, HUB_DATABASE, customers)
    api.sql(HUB_SERVER, HUB_DATABASE, orders)
    api.sql(
        HUB_SERVER,
        HUB_DATABASE,
        "INSERT INTO Customers VALUES (1, 'Contoso', 'Seattle'), (2, 'Fabrikam', 'Oslo'), (3, 'Northwind', 'Lyon')",
    )
    api.sql(
        HUB_SERVER,
        HUB_DATABASE,
        "INSERT INTO Orders VALUES (10, 1, 120.50), (11, 2, 80.00), (12, 3, 42.10), (13, 1, 19.99), (14, 2, 250.00)",
    )
    east_server, east_database = MEMBERS[0][1], MEMBERS[0][2]
    api.sql(east_server, east_database, customers)
    api.sql(east_server, east_database, orders)
    api.sql(east_server, east_database, "INSERT INTO Customers VALUES (1, 'Contoso Ltd', 'Redmond'), (4, 'Tailspin', 'Austin')")
    api.sql(east_server, east_database, "INSERT INTO Orders VALUES (20, 4, 75.25), (21, 4, 12.00)")
    for name, server, database, direction in MEMBERS:
        status, text = api.finish(
            "PUT",
            f"{GROUP_PATH}/syncMembers/{name}",
            {
                "properties": {
                    "databaseType": "AzureSqlDatabase",
                    "serverName": f"{server}.database.windows.net",
                    "databaseName": database,
                    "userName": "syncuser",
                    "password": MEMBER_PASSWORD,
                    "syncDirection": direction,
                }
            },
        )
        counts.check(status == 201, f"member {name} is created", f"{status} {text}")
    status, text = api.finish("POST", f"{GROUP_PATH}/refreshHubSchema")
    counts.check(status == 200, "the hub schema is refreshed", f"{status} {text}")
    schema = {
        "tables": [
            {"quotedName": f"[dbo].[{table}]", "columns": [{"quotedName": f"[{column}]"} for column in columns]}
            for table, columns in TABLES.items()
        ],
        "masterSyncMemberName": MEMBERS[0][0],
    }
    status, text = api.finish("PATCH", GROUP_PATH, {"properties": {"schema": schema}})
    counts.check(status == 200, "the group is updated with its schema", f"{status} {text}")


def make_browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--window-size=1280,900",
        "--force-device-scale-factor=1",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=options)


def wait_for(predicate, seconds=WAIT_SECONDS):
    """Polls `predicate` every 200 ms until it is truthy or `seconds` pass; returns its last value."""
    deadline = time.monotonic() + seconds
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(0.2)
        value = predicate()
    return value


def attribute(browser, selector, name):
    elements = browser.find_elements(By.CSS_SELECTOR, selector)
    return elements[0].get_attribute(name) if elements else None


def screenshot(browser, path):
    """A full-page screenshot: the window grows to the page's height first."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(int(height), 900), 4000))
    time.sleep(0.3)
    browser.save_screenshot(path)
    browser.set_window_size(1280, 900)


def check_overview(browser, api, counts, artifacts):
    browser.get(api.base + "/_emulator/ui")
    counts.check("Overview" in browser.title, "the dashboard loads", browser.title)
    group = api.get(GROUP_PATH)["properties"]
    card = f'li.group[data-group="{GROUP}"]'
    shown = attribute(browser, f"{card} h3 .badge", "data-state")
    counts.check(shown == group["syncState"], "the tree shows the group's state as the API does", f"{shown} vs {group['syncState']}")
    interval = browser.find_elements(By.CSS_SELECTOR, f'{card} [data-field="interval"]')
    counts.check(bool(interval) and interval[0].text == "Every 5 min", "the tree shows the interval")
    policy = browser.find_elements(By.CSS_SELECTOR, f'{card} [data-field="conflictResolutionPolicy"]')
    counts.check(bool(policy) and policy[0].text == group["conflictResolutionPolicy"], "the tree shows the conflict policy")
    for name, _, _, direction in MEMBERS:
        member = api.get(f"{GROUP_PATH}/syncMembers/{name}")["properties"]
        selector = f'{card} li[data-member="{name}"]'
        state = attribute(browser, f"{selector} .badge", "data-state")
        counts.check(state == member["syncState"], f"the tree shows member {name}'s state as the API does", f"{state} vs {member['syncState']}")
        shown_direction = attribute(browser, f"{selector} .direction", "data-direction")
        counts.check(shown_direction == direction, f"the tree shows member {name}'s direction", str(shown_direction))
    requests_text = browser.find_element(By.ID, "live-requests").text
    counts.check("SyncMembers_CreateOrUpdate" in requests_text, "the request list shows the ARM requests by operation")
    counts.check(MEMBER_PASSWORD not in browser.page_source, "no password appears on the page")
    _, _, inspector = api.call("GET", "/_emulator/requests?limit=200", arm=False)
    counts.check(
        MEMBER_PASSWORD not in inspector and '"password":"REDACTED"' in inspector,
        "the request inspector redacts the member passwords",
    )
    screenshot(browser, os.path.join(artifacts, "dashboard-overview.png"))
    browser.find_element(By.CSS_SELECTOR, f"{card} h3 a").click()
    wait_for(lambda: browser.find_elements(By.ID, "convergence"))


def shown_rows(browser, table, database):
    value = attribute(browser, f'tr[data-table="{table}"] td[data-database="{database}"]', "data-rows")
    return int(value) if value is not None else None


def check_counts(browser, api, counts, when):
    for table in TABLES:
        expected = api.count(HUB_SERVER, HUB_DATABASE, table)
        shown = shown_rows(browser, table, "hub")
        counts.check(shown == expected, f"{when}: the hub's {table} row count matches the database", f"{shown} vs {expected}")
        for name, server, database, _ in MEMBERS:
            expected = api.count(server, database, table)
            shown = shown_rows(browser, table, name)
            counts.check(shown == expected, f"{when}: {name}'s {table} row count matches the database", f"{shown} vs {expected}")


def check_member_states(browser, api, counts, when):
    for name, _, _, _ in MEMBERS:
        expected = api.get(f"{GROUP_PATH}/syncMembers/{name}")["properties"]["syncState"]
        shown = wait_for(
            lambda: attribute(browser, f'tr[data-member="{name}"] [data-field="syncState"] .badge', "data-state") == expected
        )
        counts.check(shown, f"{when}: member {name}'s state is shown as the API reports it ({expected})")


def check_group_page(browser, api, counts, artifacts):
    counts.check(browser.find_elements(By.TAG_NAME, "h1")[0].text.endswith(GROUP), "the group page has the group as its heading")
    marker = attribute(browser, "#convergence", "data-convergence")
    counts.check(marker == "differs", "before a sync the marker says the data differs", str(marker))
    check_counts(browser, api, counts, "before sync")
    check_member_states(browser, api, counts, "before sync")
    unlabelled = browser.execute_script(
        "return [...document.querySelectorAll('input:not([type=hidden]), select')]"
        ".filter(e => !document.querySelector(`label[for=\"${e.id}\"]`)).length"
    )
    counts.check(unlabelled == 0, "every form control has a label", f"{unlabelled} without")
    headings = browser.execute_script("return [...document.querySelectorAll('h1, h2')].map(h => h.tagName)")
    counts.check(headings.count("H1") == 1 and headings.count("H2") >= 5, "the page has one h1 and a heading per section", str(headings))

    browser.execute_script("window.__sameDocument = true")
    button = [b for b in browser.find_elements(By.CSS_SELECTOR, "form[data-action] button") if b.text == "Trigger sync"]
    counts.check(len(button) == 1, "the page has a Trigger sync button")
    if button:
        button[0].click()
    converged = wait_for(lambda: attribute(browser, "#convergence", "data-convergence") == "converged")
    counts.check(converged, "after Trigger sync the marker turns to converged", str(attribute(browser, "#convergence", "data-convergence")))
    counts.check(browser.execute_script("return window.__sameDocument === true"), "the page updated without a reload")
    status = wait_for(lambda: browser.find_element(By.ID, "action-status").text)
    counts.check("Sync finished" in status, "the action reports its outcome", status)
    group = api.get(GROUP_PATH)["properties"]
    counts.check(group["lastSyncTime"] != "0001-01-01T00:00:00Z", "the API reports a last sync time", group["lastSyncTime"])
    shown_time = wait_for(lambda: attribute(browser, '#live-summary [data-field="lastSyncTime"] time', "datetime") == group["lastSyncTime"])
    counts.check(shown_time, "the last sync time shown is the API's", str(attribute(browser, '#live-summary [data-field="lastSyncTime"] time', "datetime")))
    shown_state = attribute(browser, '#live-summary [data-field="syncState"] .badge', "data-state")
    counts.check(shown_state == group["syncState"], "the group state shown is the API's", f"{shown_state} vs {group['syncState']}")
    check_counts(browser, api, counts, "after sync")
    check_member_states(browser, api, counts, "after sync")
    conflicts = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#live-conflicts li"))
    counts.check(bool(conflicts) and "Customers" in conflicts[0].text, "the conflict on customer 1 is listed")

    Select(browser.find_element(By.ID, "log-type")).select_by_value("Success")
    browser.find_element(By.CSS_SELECTOR, "form.filter button").click()
    filtered = wait_for(lambda: "logType=Success" in browser.current_url and browser.find_elements(By.CSS_SELECTOR, "#live-logs tbody tr"))
    types = {row.get_attribute("data-state") for row in browser.find_elements(By.CSS_SELECTOR, "#live-logs tbody .badge")}
    counts.check(bool(filtered) and types == {"Success"}, "the log filter shows only the chosen type", str(types))
    browser.get(browser.current_url.split("?")[0])
    wait_for(lambda: attribute(browser, "#convergence", "data-convergence") == "converged")
    screenshot(browser, os.path.join(artifacts, "dashboard.png"))
    counts.check(os.path.getsize(os.path.join(artifacts, "dashboard.png")) > 10_000, "the screenshot is saved to artifacts/dashboard.png")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="the running emulator, such as http://127.0.0.1:10880")
    parser.add_argument("--artifacts", default="artifacts", help="where screenshots go")
    arguments = parser.parse_args()
    os.makedirs(arguments.artifacts, exist_ok=True)
    counts = Counts()
    api = Emulator(arguments.base_url)
    browser = None
    try:
        build_group(api, counts)
        browser = make_browser()
        check_overview(browser, api, counts, arguments.artifacts)
        check_group_page(browser, api, counts, arguments.artifacts)
    except (WebDriverException, RuntimeError, OSError, KeyError, ValueError) as error:
        counts.check(False, "the check runs to its end", f"{type(error).__name__}: {error}")
    finally:
        if browser is not None:
            browser.quit()
    print(f"ui_check: {counts.passed} passed, {counts.failed} failed")
    return 0 if counts.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
