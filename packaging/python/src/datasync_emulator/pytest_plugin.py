"""pytest fixtures for testing code against the Data Sync emulator (registered through `pytest11`).

- `datasync_emulator`: the running emulator (`.url`, `.ca_path`, `.query`, `.reset`). One process serves the
  whole session: `datasync-emulator --https --in-memory --port 0`, so it listens on a free loopback port
  over HTTPS with its own CA. Each test starts from an empty emulator: the fixture calls
  `POST /_emulator/reset` before the test, which forgets every resource, operation and log and drops the
  in-memory databases. (A fresh subscription per test would not do: emulated databases are named by server
  and database, not by subscription, so rows would leak from one test into the next.)
- `datasync_credential`: an azure-identity `ClientSecretCredential` that signs in at the emulator's own
  token endpoint (`<url>/adfs`), when the emulator has one; otherwise a credential that makes an unsigned
  token locally, which the emulator accepts without `--auth token`.
- `sql_client`: an `azure.mgmt.sql.SqlManagementClient` pointed at the emulator, trusting its CA.
- `query`: `query(server, database, sql, *params)` runs SQL in an emulated database and returns the rows
  (a list of tuples), or the number of changed rows for a statement that returns none.

To use an emulator you started yourself (a CI service, say), set DATASYNC_EMULATOR_URL to its address and
DATASYNC_EMULATOR_CA_FILE to its CA (`datasync-emulator env` prints both). Start it with `--in-memory`, so
that the reset before each test also empties its databases. Set DATASYNC_EMULATOR_BINARY to run another
binary than the bundled one.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

import pytest

from datasync_emulator import binary_path

SUBSCRIPTION_ID = "00000000-1111-2222-3333-444444444444"
TENANT_ID = "00000000-0000-0000-0000-00000000da7a"
ARM_SCOPE = "https://management.azure.com/.default"
READY_PREFIX = "datasync-emulator listening on "
START_TIMEOUT_SECONDS = 30.0


class EmulatorError(RuntimeError):
    """The emulator did not start, or a control call failed."""


@dataclass
class DataSyncEmulator:
    """A running emulator: its base URL (no trailing slash) and the CA certificate that signs its TLS."""

    url: str
    ca_path: str
    subscription_id: str = SUBSCRIPTION_ID
    tenant_id: str = TENANT_ID
    client_id: Optional[str] = None
    client_secret: Optional[str] = field(default=None, repr=False)

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_path)

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Calls the emulator; returns the decoded JSON answer (None for an empty one)."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, context=self._context(), timeout=60) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            raise EmulatorError(f"{method} {path}: {error.code} {error.read().decode('utf-8', 'replace')}") from None
        return json.loads(text) if text else None

    def reset(self) -> None:
        """Forgets every resource, operation and log, and drops the in-memory databases."""
        self.request("POST", "/_emulator/reset")

    def query(self, server: str, database: str, sql: str, *params: Any) -> Any:
        """Runs SQL in an emulated database: rows as tuples, or the count of changed rows."""
        body: dict[str, Any] = {"sql": sql}
        if params:
            body["parameters"] = list(params)
        answer = self.request("POST", f"/_emulator/databases/{_segment(server)}/{_segment(database)}/query", body)
        if "rows" in answer:
            return [tuple(row) for row in answer["rows"]]
        return answer.get("changes")


def _segment(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def _read_readiness_line(process: subprocess.Popen, timeout: float) -> str:
    """The first stdout line, read on a thread so that a silent process cannot hang the session."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0].strip() if lines else ""


def _fetch_ca(url: str, destination: str) -> None:
    """Downloads the CA of an emulator on loopback. The one unverified call: it is how trust starts, and the
    process at that port is one this session started (or one the user pointed at on this machine)."""
    host = urllib.parse.urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise EmulatorError(f"set DATASYNC_EMULATOR_CA_FILE: the CA of {url} is only fetched on loopback")
    unverified = ssl._create_unverified_context()  # noqa: S323 - see the docstring
    with urllib.request.urlopen(url + "/_emulator/ca.pem", context=unverified, timeout=30) as response:
        pem = response.read()
    if b"BEGIN CERTIFICATE" not in pem:
        raise EmulatorError(f"{url}/_emulator/ca.pem is not a PEM certificate")
    with open(destination, "wb") as file:
        file.write(pem)


def _serves_option(binary: str, option: str) -> bool:
    """Whether this build of the emulator has a `serve` option (older builds lack the sign-in flags)."""
    result = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True, timeout=30)
    return option in result.stdout


@pytest.fixture(scope="session")
def datasync_emulator_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataSyncEmulator]:
    """The session's emulator: one process, started on first use and stopped at the end of the session."""
    directory = tmp_path_factory.mktemp("datasync-emulator")
    ca_path = str(directory / "ca.pem")
    external = os.environ.get("DATASYNC_EMULATOR_URL")
    if external:
        url = external.rstrip("/")
        given_ca = os.environ.get("DATASYNC_EMULATOR_CA_FILE")
        if given_ca:
            ca_path = given_ca
        else:
            _fetch_ca(url, ca_path)
        yield DataSyncEmulator(url=url, ca_path=ca_path)
        return

    binary = str(binary_path())
    arguments = [binary, "--https", "--in-memory", "--host", "127.0.0.1", "--port", "0", "--log-level", "warning"]
    client_id = client_secret = None
    if _serves_option(binary, "--client"):
        client_id, client_secret = "datasync-pytest", secrets.token_urlsafe(24)
        arguments += ["--client", f"{client_id}:{client_secret}"]
    environment = {name: value for name, value in os.environ.items() if not name.startswith("DATASYNC_EMULATOR_")}
    log = open(directory / "emulator.log", "wb")
    process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=log, env=environment, text=True)
    try:
        line = _read_readiness_line(process, START_TIMEOUT_SECONDS)
        if not line.startswith(READY_PREFIX):
            process.kill()
            log.flush()
            raise EmulatorError(
                f"{binary} did not print its readiness line (got {line!r}); its log:\n"
                + (directory / "emulator.log").read_text(errors="replace")[-2000:]
            )
        url = line[len(READY_PREFIX):]
        _fetch_ca(url, ca_path)
        yield DataSyncEmulator(url=url, ca_path=ca_path, client_id=client_id, client_secret=client_secret)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def datasync_emulator(datasync_emulator_session: DataSyncEmulator) -> DataSyncEmulator:
    """The session's emulator, reset before this test, so that each test starts from nothing."""
    datasync_emulator_session.reset()
    return datasync_emulator_session


class UnsignedTokenCredential:
    """A `TokenCredential` that makes an unsigned JWT for the ARM audience, for emulators without sign-in."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id

    def get_token(self, *scopes: str, **_: Any):
        from azure.core.credentials import AccessToken

        now = int(time.time())
        claims = {"aud": "https://management.azure.com/", "tid": self.tenant_id, "iat": now, "nbf": now, "exp": now + 3600}
        encode = lambda value: base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()  # noqa: E731
        return AccessToken(f"{encode({'alg': 'none', 'typ': 'JWT'})}.{encode(claims)}.", now + 3600)


@pytest.fixture
def datasync_credential(datasync_emulator: DataSyncEmulator):
    """A credential for the emulator: a real ClientSecretCredential against its token endpoint when it has one."""
    if datasync_emulator.client_id:
        from azure.identity import ClientSecretCredential

        return ClientSecretCredential(
            tenant_id=datasync_emulator.tenant_id,
            client_id=datasync_emulator.client_id,
            client_secret=datasync_emulator.client_secret,
            authority=datasync_emulator.url + "/adfs",
            connection_verify=datasync_emulator.ca_path,
            disable_instance_discovery=True,
        )
    return UnsignedTokenCredential(datasync_emulator.tenant_id)


@pytest.fixture
def sql_client(datasync_emulator: DataSyncEmulator, datasync_credential):
    """An `azure.mgmt.sql.SqlManagementClient` for the emulator's subscription, over HTTPS with its CA."""
    from azure.mgmt.sql import SqlManagementClient

    client = SqlManagementClient(
        datasync_credential,
        datasync_emulator.subscription_id,
        base_url=datasync_emulator.url + "/",
        credential_scopes=[ARM_SCOPE],
        connection_verify=datasync_emulator.ca_path,
    )
    yield client
    client.close()


@pytest.fixture
def query(datasync_emulator: DataSyncEmulator):
    """`query(server, database, sql, *params)`: SQL in an emulated database, as a function."""
    return datasync_emulator.query
