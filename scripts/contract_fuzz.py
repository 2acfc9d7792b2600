#!/usr/bin/env python3
"""Contract fuzzing of datasync-emulator against the official Azure Swagger files, with schemathesis 4.x.

One file, two roles:

* ``python contract_fuzz.py run ...`` (called by ``contract-fuzz.sh``) is the orchestrator. It seeds the
  emulator with a sync group, two members and an agent, runs ``st run`` once per Swagger file, sends a few
  deterministic probes, then prints every finding (deduplicated, with a curl line) and the closing line
  ``contract-fuzz: N passed, M failed``.
* Imported by ``st`` through ``SCHEMATHESIS_HOOKS=contract_fuzz`` it is the hooks module: it steers
  generated cases towards meaningful requests (valid GUID subscription, the spec's api-version, the seeded
  resource names) part of the time, adds ARM-specific checks, and classifies every failure as a listed
  deviation (dropped through ``filter_failure``) or a finding (kept). Each failure is also appended to a
  JSON-lines log that the orchestrator reads.

Units of the closing line: one unit per (Swagger file, operation), i.e. 48 API operations, plus one per
deterministic probe. A unit fails when it produced at least one finding that is not a listed deviation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------------------------------
# Deliberate deviations: behaviour the live service shows and the emulator copies on purpose.
# A failure matching one of these is dropped (it neither fails a unit nor the run) and only counted.
# --------------------------------------------------------------------------------------------------
DEVIATIONS: dict[str, str] = {
    "lro-202-body": "202 answers carry a JSON body {operation,startTime}: the live service sends it, the spec declares no 202 body.",
    "member-skipInitSync": "sync members carry properties.skipInitSync: the live service returns it, the spec does not declare it.",
    "invalid-subscription-400": "a non-GUID subscription id gets 400 InvalidSubscriptionId, as ARM answers before the RP is reached.",
    "method-not-allowed-405": "a method a path lacks gets 405 MethodNotAllowed (with Allow), as ARM answers; no spec lists 405.",
    "unsupported-media-type-415": "a non-JSON Content-Type gets 415 UnsupportedMediaType, as ARM answers; no spec lists 415.",
    "request-too-large-413": "a body over 4 MiB gets 413 RequestContentTooLarge, ARM's request size limit; no spec lists 413.",
    "preview-default-no-schema": "2015-05-01-preview declares `default` without a schema: its errors are checked against the ARM envelope only.",
    "final-poll-conflict-logging": "a sync group write's final poll carries enableConflictLogging and conflictLoggingRetentionInDays at every api-version, as the live service's did at 2015-05-01-preview (2018) and 2019-06-01-preview (2020); GETs show them only where the spec declares them.",
    "empty-body-no-content-type": "answers with an empty body (200/204 of DELETE, triggerSync, cancelSync, refresh polls) carry no Content-Type; `produces` describes bodies, RFC 9110 needs no media type without content.",
}

# ARM error statuses accepted under `default` without further ado (plus the deviations above).
STANDARD_ERROR_STATUSES = {400, 404, 409}
DEVIATION_BY_STATUS = {405: "method-not-allowed-405", 413: "request-too-large-413", 415: "unsupported-media-type-415"}

# The seeded resources: the names of the REST how-to (fixtures/howto/README.md).
SUB = "00000000-1111-2222-3333-444444444444"
RG = "syncgroupcrud-65440"
SERVER = "syncgroupcrud-8475"
DB = "syncgroupcrud-4328"
GROUP = "syncgroupcrud-3187"
MEMBER = "syncgroupcrud-4879"
MEMBER_ONPREM = "syncmember-onprem"
AGENT = "syncagent-fuzz"
SYNC_DB_ID = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/syncgroupcrud-3521"
    "/providers/Microsoft.Sql/servers/syncgroupcrud-8475/databases/syncgroupcrud-4328"
)
LOCATION = "westus2"
SEED_API_VERSION = "2025-01-01"

SERVER_PATH = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Sql/servers/{SERVER}"
DB_PATH = f"{SERVER_PATH}/databases/{DB}"
GROUP_PATH = f"{DB_PATH}/syncGroups/{GROUP}"
MEMBER_PATH = f"{GROUP_PATH}/syncMembers/{MEMBER}"
MEMBER_ONPREM_PATH = f"{GROUP_PATH}/syncMembers/{MEMBER_ONPREM}"
AGENT_PATH = f"{SERVER_PATH}/syncAgents/{AGENT}"

SEEDED_PATH_PARAMETERS = {
    "subscriptionId": SUB,
    "resourceGroupName": RG,
    "serverName": SERVER,
    "databaseName": DB,
    "syncGroupName": GROUP,
    "syncMemberName": MEMBER,
    "syncAgentName": AGENT,
    "locationName": LOCATION,
}

RESOURCE_TYPES = {
    "syncGroups": "Microsoft.Sql/servers/databases/syncGroups",
    "syncMembers": "Microsoft.Sql/servers/databases/syncGroups/syncMembers",
    "syncAgents": "Microsoft.Sql/servers/syncAgents",
}

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures" / "howto"


# --------------------------------------------------------------------------------------------------
# Small helpers shared by both roles
# --------------------------------------------------------------------------------------------------
def _bucket(*parts: Any) -> int:
    """A stable number derived from `parts`, so a case is steered the same way on replay (see `_pct`)."""
    digest = hashlib.sha256(repr(parts).encode("utf-8", "replace")).digest()
    return digest[0] * 256 + digest[1]


def _pct(value: int, salt: int) -> int:
    """A percentage (0..99) from a `_bucket` value; different salts give independent-looking draws."""
    return ((value >> (salt % 8)) + salt * 37) % 100


def _shorten(text: str, limit: int = 600) -> str:
    text = text if isinstance(text, str) else repr(text)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def _json_or_none(data: bytes | str | None) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None


class SpecIndex:
    """The raw Swagger file with `$ref`s resolved by hand (relative files included), per operation."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self._docs: dict[Path, Any] = {}
        self.raw = self._load(self.path)
        self.api_version = self.raw["info"]["version"]
        self.operations: dict[tuple[str, str], dict[str, Any]] = {}
        for template, item in self.raw["paths"].items():
            for method, op in item.items():
                if method == "parameters":
                    continue
                self.operations[(method.lower(), template)] = op

    def _load(self, path: Path) -> Any:
        if path not in self._docs:
            self._docs[path] = json.loads(path.read_text())
        return self._docs[path]

    def resolve(self, node: Any, base: Path | None = None, depth: int = 0) -> Any:
        """`node` with every `$ref` replaced by its target (recursion stops at depth 40)."""
        base = base or self.path
        if depth > 40:
            return {}
        if isinstance(node, dict):
            if "$ref" in node:
                ref = node["$ref"]
                file_part, _, pointer = ref.partition("#")
                target_file = (base.parent / file_part).resolve() if file_part else base
                target = self._load(target_file)
                for token in [t for t in pointer.split("/") if t]:
                    target = target[token.replace("~1", "/").replace("~0", "~")]
                return self.resolve(target, target_file, depth + 1)
            return {k: self.resolve(v, base, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v, base, depth + 1) for v in node]
        return node

    def response_schema(self, method: str, template: str, status: int) -> tuple[bool, Any]:
        """(status documented explicitly?, resolved schema or None)."""
        op = self.operations.get((method.lower(), template))
        if op is None:
            return False, None
        responses = op.get("responses", {})
        if str(status) in responses:
            return True, self.resolve(responses[str(status)].get("schema")) if responses[str(status)].get("schema") else None
        default = responses.get("default")
        return False, self.resolve(default.get("schema")) if default and default.get("schema") else None

    def explicit_statuses(self, method: str, template: str) -> list[int]:
        op = self.operations.get((method.lower(), template), {})
        return sorted(int(code) for code in op.get("responses", {}) if code.isdigit())

    def operation_id(self, method: str, template: str) -> str:
        return self.operations.get((method.lower(), template), {}).get("operationId", f"{method.upper()} {template}")

    def is_lro(self, method: str, template: str) -> bool:
        return bool(self.operations.get((method.lower(), template), {}).get("x-ms-long-running-operation"))


def declared_properties(schema: Any) -> tuple[set[str], bool, dict[str, Any]]:
    """(declared property names, whether extra properties are allowed, name -> property schema)."""
    names: set[str] = set()
    props: dict[str, Any] = {}
    open_ended = False
    if not isinstance(schema, dict):
        return names, True, props
    for name, sub in (schema.get("properties") or {}).items():
        names.add(name)
        props[name] = sub
    extra = schema.get("additionalProperties")
    if extra is True or isinstance(extra, dict):
        open_ended = True
    for part in schema.get("allOf") or []:
        n, o, p = declared_properties(part)
        names |= n
        open_ended = open_ended or o
        props.update(p)
    if schema.get("type") == "object" and not schema.get("properties") and not schema.get("allOf") and extra is None:
        open_ended = True  # a free-form object such as ErrorAdditionalInfo.info
    return names, open_ended, props


def undeclared_in_final_poll_deviation(path: str) -> str | None:
    """The deviation that explains an undeclared property of a final poll body, if one does."""
    if path.endswith(".properties.skipInitSync"):
        return "member-skipInitSync"
    if path in ("$.properties.enableConflictLogging", "$.properties.conflictLoggingRetentionInDays"):
        return "final-poll-conflict-logging"
    return None


def undeclared_paths(value: Any, schema: Any, path: str = "$") -> list[str]:
    """JSON paths in `value` whose property names `schema` does not declare."""
    found: list[str] = []
    if not isinstance(schema, dict):
        return found
    if isinstance(value, dict):
        names, open_ended, props = declared_properties(schema)
        for key, sub in value.items():
            if key in names:
                found += undeclared_paths(sub, props[key], f"{path}.{key}")
            elif not open_ended:
                found.append(f"{path}.{key}")
    elif isinstance(value, list):
        items = schema.get("items")
        for index, sub in enumerate(value):
            found += undeclared_paths(sub, items, f"{path}[{index}]")
    return found


def write_only_paths(value: Any, schema: Any, path: str = "$") -> list[str]:
    """JSON paths in `value` of properties the spec marks as never read back: `x-ms-secret: true`, or an
    `x-ms-mutability` without "read" (hubDatabasePassword, a member's password)."""
    found: list[str] = []
    if not isinstance(schema, dict):
        return found
    if isinstance(value, dict):
        _, _, props = declared_properties(schema)
        for key, sub in value.items():
            if key not in props:
                continue
            prop = props[key] if isinstance(props[key], dict) else {}
            mutability = prop.get("x-ms-mutability")
            if prop.get("x-ms-secret") is True or (isinstance(mutability, list) and "read" not in mutability):
                found.append(f"{path}.{key}")
            else:
                found += write_only_paths(sub, prop, f"{path}.{key}")
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            found += write_only_paths(sub, schema.get("items"), f"{path}[{index}]")
    return found


def curl_line(method: str, url: str, headers: dict[str, str] | None, body: bytes | str | None) -> str:
    parts = ["curl", "-sS", "-i", "-X", method]
    for name, value in (headers or {}).items():
        if name.lower() in {"content-type"}:
            parts += ["-H", f"{name}: {value}"]
    if body:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        if len(text) > 2000:
            text = text[:2000] + "..."
        parts += ["--data-raw", text]
    parts.append(url)
    return " ".join(_shell_quote(p) for p in parts)


def _shell_quote(text: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./:=@,+-]+", text):
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"


# --------------------------------------------------------------------------------------------------
# Seeding the emulator (used by the orchestrator, and by the hooks after a seeded resource is deleted)
# --------------------------------------------------------------------------------------------------
def _http(method: str, url: str, body: Any = None, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    import urllib.request

    data = None
    headers = {}
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:  # type: ignore[attr-defined]
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def _wait_lro(status: int, headers: dict[str, str], polls: int = 100) -> tuple[int, dict[str, str], bytes]:
    result: tuple[int, dict[str, str], bytes] = (status, headers, b"")
    location = headers.get("location")
    while result[0] == 202 and location and polls > 0:
        time.sleep(0.02)
        result = _http("GET", location)
        location = result[1].get("location", location)
        polls -= 1
    return result


def seed(base_url: str) -> tuple[list[str], list[str]]:
    """Creates (or re-creates) the seeded agent, group, members, schemas and logs.

    Returns (problems with the essential resources, notes about optional steps that did not work; those
    only mean fewer operations reach a 200, e.g. on an emulator build without `/_emulator/databases`)."""
    problems: list[str] = []
    notes: list[str] = []
    v = f"?api-version={SEED_API_VERSION}"

    def step(method: str, path: str, body: Any = None, essential: bool = False) -> None:
        status, headers, content = _http(method, base_url + path + v, body)
        if status == 202:
            status, headers, content = _wait_lro(status, headers)
        if status >= 300:
            (problems if essential else notes).append(f"seed {method} {path}: {status} {content[:300]!r}")

    def sql(server: str, database: str, statement: str) -> None:
        status, _, content = _http("POST", f"{base_url}/_emulator/databases/{server}/{database}/query", {"sql": statement, "dialect": "sqlite"})
        if status >= 300:
            notes.append(f"seed SQL in {server}/{database}: {status} {content[:200]!r}")

    def fixture(name: str) -> Any:
        return json.loads((FIXTURES / name).read_text())

    table = "CREATE TABLE IF NOT EXISTS Customers (CustomerId INT NOT NULL PRIMARY KEY, Name NVARCHAR(100))"
    sql(SERVER, DB, table)
    sql("syncgroupcrud-3379", "syncgroupcrud-7421", table)
    step("PUT", AGENT_PATH, {"properties": {"syncDatabaseId": SYNC_DB_ID}}, essential=True)
    step("PUT", GROUP_PATH, fixture("create-sync-group.json"), essential=True)
    step("PUT", MEMBER_PATH, fixture("create-sync-member.json"), essential=True)
    step(
        "PUT",
        MEMBER_ONPREM_PATH,
        {
            "properties": {
                "databaseType": "SqlServerDatabase",
                "syncAgentId": AGENT_PATH,
                "sqlServerDatabaseId": "11111111-2222-3333-4444-555555555555",
                "serverName": "onprem-sql",
                "databaseName": "onprem-db",
                "userName": "onpremUser",
                "password": "onprem-Passw0rd",
                "syncDirection": "OneWayMemberToHub",
            }
        },
        essential=True,
    )
    step("POST", GROUP_PATH + "/refreshHubSchema")
    step("POST", MEMBER_PATH + "/refreshSchema")
    step("PATCH", GROUP_PATH, fixture("update-sync-group.json"))
    step("POST", GROUP_PATH + "/triggerSync")
    return problems, notes


# --------------------------------------------------------------------------------------------------
# Hooks role: loaded by `st run` through SCHEMATHESIS_HOOKS
# --------------------------------------------------------------------------------------------------
def _register_hooks() -> None:  # noqa: C901 - one closure per hook, kept together on purpose
    import schemathesis

    spec = SpecIndex(Path(os.environ["CF_SPEC"]))
    base_url = os.environ["CF_BASE_URL"].rstrip("/")
    log_path = Path(os.environ["CF_LOG"])
    spec_label = os.environ.get("CF_SPEC_LABEL", spec.path.name)
    is_preview = spec.api_version.endswith("-preview")

    def log(entry: dict[str, Any]) -> None:
        with log_path.open("a") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")

    class Finding(AssertionError):
        """A failure raised by one of the custom checks below; `key` is its deduplication signature."""

        def __init__(self, key: str, message: str, deviation: str | None = None) -> None:
            super().__init__(message)
            self.key = key
            self.deviation = deviation

    def request_facts(case: Any, response: Any) -> dict[str, Any]:
        request = response.request
        body = request.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        headers = {k: v for k, v in dict(request.headers).items() if k.lower() == "content-type"}
        return {
            "method": request.method,
            "url": request.url,
            "headers": headers,
            "body": body,
            "status": response.status_code,
            "response_headers": {k: v[0] if isinstance(v, list) else v for k, v in response.headers.items()},
            "response_body": response.text if hasattr(response, "text") else "",
        }

    def op_id(case: Any) -> str:
        return spec.operation_id(case.operation.method, case.operation.path)

    def path_of(response: Any) -> str:
        return urllib.parse.unquote(urllib.parse.urlsplit(response.request.url).path)

    # ---------------------------------------------------------------- steering generated cases
    @schemathesis.hook
    def map_case(context: Any, case: Any) -> Any:
        data = case.meta.phase.data if case.meta is not None else None
        targeted = getattr(data, "parameter", None)
        scenario = str(getattr(data, "scenario", "") or "")
        seed_value = _bucket(case.operation.label, case.path_parameters, case.query, scenario, str(case.body)[:200])
        if case.path_parameters:
            if "subscriptionId" in case.path_parameters and targeted != "subscriptionId" and _pct(seed_value, 1) < 85:
                case.path_parameters["subscriptionId"] = SUB
            if _pct(seed_value, 2) < 55:
                for name, value in SEEDED_PATH_PARAMETERS.items():
                    if name in case.path_parameters and name != targeted and name != "subscriptionId":
                        case.path_parameters[name] = value
                # Sometimes aim at the second (on-premises, agent-linked) member.
                if "syncMemberName" in case.path_parameters and targeted != "syncMemberName" and _pct(seed_value, 3) < 30:
                    case.path_parameters["syncMemberName"] = MEMBER_ONPREM
        if isinstance(case.query, dict):
            if targeted != "api-version" and "api-version" in case.query:
                case.query["api-version"] = spec.api_version
            if case.operation.path.endswith("/logs") and _pct(seed_value, 4) < 60:
                for name, value in (("startTime", "2000-01-01T00:00:00Z"), ("endTime", "2100-01-01T00:00:00Z")):
                    if targeted != name and name in case.query:
                        case.query[name] = value
        return case

    # Deleting a seeded resource would starve the rest of the run of 200 answers: seed it back.
    # Every answer's status is also logged, so the report can show which statuses each operation reached.
    @schemathesis.hook
    def after_call(context: Any, case: Any, response: Any) -> None:
        error_code = None
        if response.status_code >= 400:
            body = _json_or_none(response.content)
            error_code = ((body or {}).get("error") or {}).get("code") if isinstance(body, dict) else None
        mode = getattr(getattr(case.meta, "generation", None), "mode", None)
        log({"kind": "status", "spec": spec_label, "operation": op_id(case), "method": response.request.method,
             "status": response.status_code, "error_code": error_code, "mode": str(mode),
             "url": response.request.url, "body": _shorten(response.request.body.decode("utf-8", "replace") if isinstance(response.request.body, bytes) else (response.request.body or ""), 300),
             "response": _shorten(response.text, 300) if response.status_code >= 400 else None})
        if response.request.method != "DELETE" or response.status_code not in (200, 202):
            return
        path = path_of(response).rstrip("/").lower()
        if path in {GROUP_PATH.lower(), MEMBER_PATH.lower(), MEMBER_ONPREM_PATH.lower(), AGENT_PATH.lower()}:
            if response.status_code == 202:
                _wait_lro(202, {k: v[0] for k, v in response.headers.items()})
            seed(base_url)

    # ---------------------------------------------------------------- classification of every failure
    def classify(failure: Any, case: Any, response: Any) -> tuple[str, str, str | None]:
        """(check, key, deviation id or None)."""
        finding = getattr(failure, "exception", None)
        if isinstance(finding, Finding):
            check = re.sub(r"^Custom check failed: `(.*)`$", r"\1", getattr(failure, "title", "custom"))
            return check, finding.key, finding.deviation
        title = getattr(failure, "title", type(failure).__name__)
        message = getattr(failure, "message", str(failure))
        status = response.status_code
        if type(failure).__name__ == "MissingContentType" and not response.content:
            return "content_type_conformance", "missing content type on empty body", "empty-body-no-content-type"
        if type(failure).__name__ == "JsonSchemaError":
            # schema path + keyword make a stable signature
            schema_path = "/".join(str(p) for p in getattr(failure, "schema_path", [])[-3:])
            instance_path = re.sub(r"\d+", "N", "/".join(str(p) for p in getattr(failure, "instance_path", [])))
            return "response_schema_conformance", f"{status} {instance_path} {schema_path}", None
        return title, f"{status} {re.sub(r'[0-9a-f-]{36}|[0-9]+', '#', message.splitlines()[0] if message else '')[:120]}", None

    @schemathesis.hook
    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        check, key, deviation = classify(failure, case, response)
        facts = request_facts(case, response)
        log(
            {
                "kind": "deviation" if deviation else "finding",
                "deviation": deviation,
                "spec": spec_label,
                "api_version": spec.api_version,
                "operation": op_id(case),
                "check": check,
                "key": key,
                "title": getattr(failure, "title", type(failure).__name__),
                "message": _shorten(getattr(failure, "message", str(failure)), 1500),
                **facts,
            }
        )
        return deviation is None

    # ---------------------------------------------------------------- custom checks
    def raise_first(problems: list[Finding]) -> None:
        real = [p for p in problems if p.deviation is None]
        for problem in problems:
            if problem.deviation is not None:
                # deviations that share a response with a real finding are still counted
                log({"kind": "deviation", "deviation": problem.deviation, "spec": spec_label, "operation": None,
                     "check": "custom", "key": problem.key})
        if real:
            raise real[0]

    def envelope_problems(content_type: str, content: bytes) -> list[str]:
        """What keeps an answer from being JSON `{"error":{"code","message"}}` and nothing else."""
        body = _json_or_none(content)
        problems = []
        if not content_type.lower().startswith("application/json"):
            problems.append(f"Content-Type is {content_type!r}, not application/json")
        if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
            problems.append("body is not an object with an `error` object")
        else:
            error = body["error"]
            if not isinstance(error.get("code"), str) or not error.get("code"):
                problems.append("error.code is missing or empty")
            if not isinstance(error.get("message"), str):
                problems.append("error.message is missing")
            if set(body) - {"error"}:
                problems.append(f"extra top-level keys {sorted(set(body) - {'error'})}")
            extra = set(error) - {"code", "message", "target", "details", "additionalInfo"}
            if extra:
                problems.append(f"undeclared keys in error: {sorted(extra)}")
        return problems

    @schemathesis.check
    def arm_error_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
        """Every 4xx/5xx answer is the ARM error envelope."""
        if response.status_code < 400 or response.request.method == "HEAD":
            return None
        problems = envelope_problems((response.headers.get("content-type") or [""])[0], response.content)
        if problems:
            raise Finding(f"{response.status_code} envelope: {problems[0]}", "ARM error envelope violated: " + "; ".join(problems))
        return None

    @schemathesis.check
    def documented_status(ctx: Any, response: Any, case: Any) -> bool | None:
        """2xx must be listed explicitly; errors go through `default` but only as statuses ARM uses."""
        status = response.status_code
        method, template = case.operation.method, case.operation.path
        explicit = spec.explicit_statuses(method, template)
        if case.meta is not None and str(getattr(case.meta.phase.data, "scenario", "")) == "unspecified_http_method":
            return None  # an undeclared method: the `unsupported_method` check owns it
        if 200 <= status < 300:
            if status not in explicit:
                raise Finding(f"undocumented {status}", f"Success status {status} is not documented (documented: {explicit})")
            return None
        if status < 200 or 300 <= status < 400:
            raise Finding(f"unexpected {status}", f"Status {status} is neither a documented success nor an error")
        if status >= 500:
            return None  # not_a_server_error owns it
        if status in STANDARD_ERROR_STATUSES:
            body = _json_or_none(response.content) or {}
            code = (body.get("error") or {}).get("code") if isinstance(body, dict) else None
            if status == 400 and code == "InvalidSubscriptionId":
                raise Finding("400 InvalidSubscriptionId", "non-GUID subscription id", deviation="invalid-subscription-400")
            return None
        if status in DEVIATION_BY_STATUS:
            raise Finding(f"{status} deviation", f"Status {status}", deviation=DEVIATION_BY_STATUS[status])
        raise Finding(f"unexpected {status}", f"Error status {status} is not one ARM uses for this API")

    @schemathesis.check
    def undeclared_method_405(ctx: Any, response: Any, case: Any) -> bool | None:
        """A method the spec does not declare for an existing path gets 405 with an Allow header that lists
        exactly the declared methods (stricter than `unsupported_method`, which lets a 404 pass)."""
        if case.meta is None or str(getattr(case.meta.phase.data, "scenario", "")) != "unspecified_http_method":
            return None
        method = response.request.method
        declared = {m.upper() for m in spec.raw["paths"].get(case.operation.path, {}) if m != "parameters"}
        if response.status_code != 405:
            raise Finding(f"{method} -> {response.status_code}", f"Undeclared method {method} on a declared path answered {response.status_code}, not 405 MethodNotAllowed (declared: {sorted(declared)})")
        allow = {m.strip().upper() for m in ",".join(response.headers.get("allow") or []).split(",") if m.strip()}
        if allow - {"HEAD", "OPTIONS"} != declared:
            raise Finding(f"Allow {sorted(allow)}", f"405 Allow {sorted(allow)} differs from the declared methods {sorted(declared)}")
        raise Finding("405", "405 for an undeclared method", deviation="method-not-allowed-405")

    @schemathesis.check
    def preview_error_schema(ctx: Any, response: Any, case: Any) -> bool | None:
        """Notes that 2015-05-01-preview errors have no schema (the envelope check is what applies)."""
        if is_preview and response.status_code >= 400:
            raise Finding("preview default", "default has no schema", deviation="preview-default-no-schema")
        return None

    @schemathesis.check
    def no_undeclared_response_properties(ctx: Any, response: Any, case: Any) -> bool | None:
        """Success bodies carry only properties the spec declares for this api-version."""
        if not (200 <= response.status_code < 300):
            return None
        _, schema = spec.response_schema(case.operation.method, case.operation.path, response.status_code)
        body = _json_or_none(response.content)
        if schema is None or body is None:
            return None
        problems = []
        for path in undeclared_paths(body, schema):
            generic = re.sub(r"\[\d+\]", "[]", path)
            deviation = "member-skipInitSync" if generic.endswith(".properties.skipInitSync") else None
            problems.append(Finding(f"undeclared {generic}", f"Response property {path} is not declared in the spec", deviation))
        for path in write_only_paths(body, schema):
            generic = re.sub(r"\[\d+\]", "[]", path)
            problems.append(Finding(f"write-only {generic} returned", f"Response returns {path}, which the spec marks x-ms-secret / not readable"))
        raise_first(problems)
        return None

    def resource_identity_problems(body: Any, request_path: str, template: str, where: str) -> list[Finding]:
        problems: list[Finding] = []
        if not isinstance(body, dict):
            return problems
        request_path = request_path.rstrip("/")
        last_literal = [s for s in template.split("/") if s and not s.startswith("{")][-1]
        if template.endswith("}") and "id" in body:
            # a single resource: id, name and type follow the request path
            if str(body.get("id", "")).lower() != request_path.lower():
                problems.append(Finding(f"{where} id mismatch", f"{where}: id {body.get('id')!r} != request path {request_path!r}"))
            if str(body.get("name", "")).lower() != request_path.split("/")[-1].lower():
                problems.append(Finding(f"{where} name mismatch", f"{where}: name {body.get('name')!r} != {request_path.split('/')[-1]!r}"))
            collection = template.split("/")[-2]
            expected_type = RESOURCE_TYPES.get(collection)
            if expected_type and body.get("type") != expected_type:
                problems.append(Finding(f"{where} type mismatch", f"{where}: type {body.get('type')!r} != {expected_type!r}"))
        elif isinstance(body.get("value"), list) and last_literal not in {"syncDatabaseIds", "hubSchemas", "schemas", "logs"}:
            for item in body["value"]:
                item_id = item.get("id") if isinstance(item, dict) else None
                if not isinstance(item_id, str) or not item_id.lower().startswith(request_path.lower() + "/"):
                    problems.append(Finding(f"{where} list item id outside collection", f"{where}: list item id {item_id!r} is not under {request_path!r}"))
                    break
        return problems

    @schemathesis.check
    def arm_resource_identity(ctx: Any, response: Any, case: Any) -> bool | None:
        """A resource's id/name/type match the request path; list items live under the collection."""
        if response.status_code not in (200, 201):
            return None
        raise_first(resource_identity_problems(_json_or_none(response.content), path_of(response), case.operation.path, "response"))
        return None

    @schemathesis.check
    def lro_conformance(ctx: Any, response: Any, case: Any) -> bool | None:
        """A 202 names a poll URL on this host; polling ends in a documented success whose body conforms."""
        if response.status_code != 202:
            return None
        method, template = case.operation.method, case.operation.path
        if not spec.is_lro(method, template):
            raise Finding("202 on non-LRO", "202 from an operation the spec does not mark x-ms-long-running-operation")
        headers = {k: v[0] for k, v in response.headers.items()}
        poll = headers.get("azure-asyncoperation") or headers.get("location")
        if not poll:
            raise Finding("202 without poll URL", "202 without Location or Azure-AsyncOperation")
        if not poll.startswith(base_url + "/"):
            raise Finding("poll URL elsewhere", f"poll URL {poll!r} is not on {base_url}")
        problems: list[Finding] = []
        body = _json_or_none(response.content)
        if response.content:
            if isinstance(body, dict) and set(body) == {"operation", "startTime"}:
                problems.append(Finding("202 body", "202 body", deviation="lro-202-body"))
            else:
                problems.append(Finding("202 body shape", f"202 body is neither empty nor {{operation,startTime}}: {_shorten(response.text, 200)}"))
        location = headers.get("location")
        final: tuple[int, dict[str, str], bytes] = (202, headers, b"")
        polls = 0
        while final[0] == 202 and location and polls < 60:
            time.sleep(0.02)
            final = _http("GET", location)
            location = final[1].get("location", location)
            polls += 1
        status, final_headers, content = final
        if status == 202:
            problems.append(Finding("LRO never finished", f"Location poll still 202 after {polls} polls"))
        elif 400 <= status < 500:
            # A failed operation: ARM answers its poll with the error, as the live service does for a group
            # whose schema cannot be applied.
            for problem in envelope_problems(final_headers.get("content-type", ""), content):
                problems.append(Finding(f"LRO failed {status} envelope", f"the failed operation's poll is not the ARM error envelope: {problem}"))
        elif status >= 400:
            problems.append(Finding(f"LRO final {status}", f"Location poll ended in {status}: {_shorten(content.decode('utf-8', 'replace'), 300)}"))
        else:
            explicit = spec.explicit_statuses(method, template)
            if status not in explicit:
                problems.append(Finding(f"LRO final {status} undocumented", f"final poll status {status} not among {explicit}"))
            documented, schema = spec.response_schema(method, template, status)
            final_body = _json_or_none(content)
            if content and final_body is None:
                problems.append(Finding("LRO final not JSON", f"final poll body is not JSON: {_shorten(content.decode('utf-8', 'replace'), 200)}"))
            if schema is not None and final_body is not None:
                import jsonschema_rs

                validator = jsonschema_rs.Draft4Validator(schema, validate_formats=True)
                for error in list(validator.iter_errors(final_body))[:1]:
                    instance_path = "/".join(str(p) for p in error.instance_path)
                    problems.append(Finding(f"LRO final schema {re.sub(r'[0-9]+', 'N', instance_path)}", f"final poll body violates the {status} schema at /{instance_path}: {error.message}"))
                for path in undeclared_paths(final_body, schema):
                    generic = re.sub(r"\[\d+\]", "[]", path)
                    deviation = undeclared_in_final_poll_deviation(generic)
                    problems.append(Finding(f"LRO final undeclared {generic}", f"final poll body property {path} is not declared", deviation))
                for path in write_only_paths(final_body, schema):
                    problems.append(Finding(f"LRO final write-only {path} returned", f"final poll returns {path}, which the spec marks x-ms-secret / not readable"))
                problems += resource_identity_problems(final_body, path_of(response), template, "final poll")
            elif schema is None and final_body is not None and method.lower() in ("put", "patch"):
                problems.append(Finding("LRO final body without schema", "final poll has a body where the spec has none"))
        raise_first(problems)
        return None


if __name__ != "__main__" and os.environ.get("CF_SPEC"):
    _register_hooks()


# --------------------------------------------------------------------------------------------------
# Orchestrator role
# --------------------------------------------------------------------------------------------------
SPEC_FILES = [
    ("2025-01-01/SyncGroups", "Microsoft.Sql/stable/2025-01-01/SyncGroups.json"),
    ("2025-01-01/SyncMembers", "Microsoft.Sql/stable/2025-01-01/SyncMembers.json"),
    ("2025-01-01/SyncAgents", "Microsoft.Sql/stable/2025-01-01/SyncAgents.json"),
    ("2015-05-01-preview/syncGroups", "Microsoft.Sql/preview/2015-05-01-preview/syncGroups.json"),
    ("2015-05-01-preview/syncMembers", "Microsoft.Sql/preview/2015-05-01-preview/syncMembers.json"),
    ("2015-05-01-preview/syncAgents", "Microsoft.Sql/preview/2015-05-01-preview/syncAgents.json"),
]
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "unsupported_method",
    "allow_header_conformance",
    "arm_error_envelope",
    "documented_status",
    "preview_error_schema",
    "no_undeclared_response_properties",
    "arm_resource_identity",
    "lro_conformance",
    "undeclared_method_405",
]
# Left out on purpose: positive_data_acceptance / negative_data_rejection (ARM validates names, ids and
# api-version far beyond what the Swagger types say, so "schema-valid" garbage is rightly refused with 400),
# missing_required_header (no required headers), ignored_auth / object_level_authorization (the emulator
# has no auth by design), use_after_free / ensure_resource_availability (the specs declare no links).


@dataclass
class Unit:
    name: str
    failed: bool = False


PASSES = {
    # Schema-valid requests (examples, coverage boundaries, fuzzing), bounded by --max-examples.
    "positive": ["--phases", "examples,coverage,fuzzing", "--mode", "positive"],
    # Schema-invalid requests: coverage probes (missing or mistyped parameters, undeclared methods, wrong
    # media types) and negative fuzzing. Hypothesis can stall for minutes drawing negative path parameters,
    # so this pass also runs under a time budget.
    "negative": ["--phases", "coverage,fuzzing", "--mode", "negative"],
}


def run_st(base_url: str, spec_dir: Path, label: str, rel: str, pass_name: str, args: argparse.Namespace, work: Path, log: Path) -> tuple[int, Path]:
    """Runs one `st run` pass over one Swagger file; returns (exit code, JUnit path). 124 = cut off."""
    spec_path = spec_dir / "specification" / "sql" / "resource-manager" / rel
    env = dict(os.environ)
    env.update(
        {
            "SCHEMATHESIS_HOOKS": "contract_fuzz",
            "PYTHONPATH": str(HERE) + os.pathsep + env.get("PYTHONPATH", ""),
            "CF_SPEC": str(spec_path),
            "CF_SPEC_LABEL": label,
            "CF_BASE_URL": base_url,
            "CF_LOG": str(log),
        }
    )
    safe = f"{label.replace('/', '_')}-{pass_name}"
    junit = work / f"junit-{safe}.xml"
    examples = args.max_examples if pass_name == "positive" else args.max_negative_examples
    command = [
        args.st,
        "run",
        str(spec_path),
        "--url", base_url,
        "--checks", ",".join(CHECKS),
        "--max-examples", str(examples),
        *PASSES[pass_name],
        "--seed", str(args.seed),
        "--generation-database", "none",
        "--continue-on-failure",
        "--no-shrink",
        "--workers", "1",
        "--request-timeout", "10",
        "--suppress-health-check", "all",
        "--warnings", "off",
        "--no-color",
        "--report", "junit",
        "--report-junit-path", str(junit),
    ]
    budget = args.max_time_per_pass
    started = time.monotonic()
    with (work / f"st-{safe}.log").open("w") as out:
        process = subprocess.Popen(command, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
        timed_out = False
        try:
            code = process.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            timed_out = True
        except BaseException:  # SIGTERM (SystemExit) or Ctrl-C: take `st` down with us
            process.kill()
            process.wait()
            raise
        if timed_out:
            # Ctrl-C lets st stop generating and still write its report; kill it if that is not enough.
            process.send_signal(2)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            code = 124
            out.write(f"\ncontract-fuzz: cut off after {budget}s\n")
    note = " (cut off at the time budget; the failures it logged still count)" if code == 124 else ""
    print(f"  {label} {pass_name}: st exit {code} in {time.monotonic() - started:.0f}s{note}", flush=True)
    return code, junit


def junit_units(path: Path, label: str) -> tuple[list[str], list[str]]:
    """(tested operation labels, operations with errors that are not check failures)."""
    import xml.etree.ElementTree as ET

    if not path.exists():
        return [], [f"{label}: no JUnit report"]
    tested, errors = [], []
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        return [], [f"{label}: unreadable JUnit report ({error})"]
    for testcase in root.iter("testcase"):
        tested.append(testcase.get("name", ""))
        for error in testcase.findall("error"):
            errors.append(f"{label} {testcase.get('name')}: {(error.get('message') or error.text or '')[:300]}")
    return tested, errors


def probes(base_url: str, spec_dir: Path) -> list[tuple[str, list[str]]]:
    """Deterministic requests: the listed deviations are well-formed, and every resource kind's happy path
    conforms, for both api-versions. Returns (probe name, problems)."""
    import jsonschema_rs

    results: list[tuple[str, list[str]]] = []
    versions = {
        "2025-01-01": ("Microsoft.Sql/stable/2025-01-01", "SyncGroups.json", "SyncMembers.json", "SyncAgents.json"),
        "2015-05-01-preview": ("Microsoft.Sql/preview/2015-05-01-preview", "syncGroups.json", "syncMembers.json", "syncAgents.json"),
    }

    def envelope(status: int, headers: dict[str, str], content: bytes, expected_status: int, expected_code: str | None) -> list[str]:
        problems = []
        if status != expected_status:
            problems.append(f"status {status}, expected {expected_status}")
        body = _json_or_none(content)
        if not headers.get("content-type", "").startswith("application/json"):
            problems.append(f"Content-Type {headers.get('content-type')!r}")
        if not (isinstance(body, dict) and isinstance(body.get("error"), dict) and body["error"].get("code") and "message" in body["error"]):
            problems.append(f"not an ARM error envelope: {content[:200]!r}")
        elif expected_code and body["error"]["code"] != expected_code:
            problems.append(f"error.code {body['error']['code']!r}, expected {expected_code!r}")
        return problems

    for version, (folder, groups_file, members_file, agents_file) in versions.items():
        root = spec_dir / "specification" / "sql" / "resource-manager" / folder
        q = f"?api-version={version}"
        group_path = f"{DB_PATH}/syncGroups/probe-group-{version}"
        # 413: a body over 4 MiB
        big = json.dumps({"properties": {"hubDatabaseUserName": "x" * (4 * 1024 * 1024 + 16)}}).encode()
        status, headers, content = _http("PUT", base_url + group_path + q, big, timeout=30)
        results.append((f"probe {version} 413 body over 4 MiB", envelope(status, headers, content, 413, "RequestContentTooLarge")))
        # 415: a non-JSON content type
        import urllib.request

        request = urllib.request.Request(base_url + group_path + q, data=b"interval=5", method="PUT", headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                status, headers, content = r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
        except urllib.error.HTTPError as error:  # type: ignore[attr-defined]
            status, headers, content = error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
        results.append((f"probe {version} 415 form body", envelope(status, headers, content, 415, "UnsupportedMediaType")))
        # 405: a method the path lacks (PATCH on a sync agent)
        status, headers, content = _http("PATCH", base_url + AGENT_PATH + q, {"properties": {}})
        problems = envelope(status, headers, content, 405, "MethodNotAllowed")
        if status == 405 and "allow" not in headers:
            problems.append("405 without Allow")
        results.append((f"probe {version} 405 PATCH agent", problems))
        # 400 InvalidSubscriptionId
        status, headers, content = _http("GET", base_url + f"/subscriptions/not-a-guid/resourceGroups/{RG}/providers/Microsoft.Sql/servers/{SERVER}/syncAgents" + q)
        results.append((f"probe {version} 400 non-GUID subscription", envelope(status, headers, content, 400, "InvalidSubscriptionId")))
        # Happy paths: create -> poll -> GET, validated against the spec's 200/201 schemas.
        spec_g = SpecIndex(root / groups_file)
        spec_m = SpecIndex(root / members_file)
        spec_a = SpecIndex(root / agents_file)
        template_g = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Sql/servers/{serverName}/databases/{databaseName}/syncGroups/{syncGroupName}"
        template_m = template_g + "/syncMembers/{syncMemberName}"
        template_a = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Sql/servers/{serverName}/syncAgents/{syncAgentName}"
        for kind, index, template, path, body in (
            ("group", spec_g, template_g, GROUP_PATH, json.loads((FIXTURES / "update-sync-group.json").read_text())),
            ("member", spec_m, template_m, MEMBER_ONPREM_PATH, None),
            ("agent", spec_a, template_a, AGENT_PATH, {"properties": {"syncDatabaseId": SYNC_DB_ID}}),
        ):
            problems = []
            for method, payload in (("GET", None), ("PUT", body)):
                if method == "PUT" and payload is None:
                    continue
                status, headers, content = _http(method, base_url + path + q, payload)
                if status == 202:
                    status, headers, content = _wait_lro(status, headers)
                documented, schema = index.response_schema(method, template, status)
                if status not in (200, 201) or not documented:
                    problems.append(f"{method} {status} {content[:200]!r}")
                    continue
                parsed = _json_or_none(content)
                if schema is not None:
                    for error in jsonschema_rs.Draft4Validator(schema, validate_formats=True).iter_errors(parsed):
                        problems.append(f"{method}: schema violation at /{'/'.join(map(str, error.instance_path))}: {error.message}")
                    for extra in undeclared_paths(parsed, schema):
                        # The PUT's answer here is its final poll; a GET has only skipInitSync to explain.
                        explained = undeclared_in_final_poll_deviation(extra) if method == "PUT" else None
                        if explained is None and not extra.endswith(".properties.skipInitSync"):
                            problems.append(f"{method}: undeclared property {extra}")
                    for secret in write_only_paths(parsed, schema):
                        problems.append(f"{method}: returns write-only property {secret}")
            results.append((f"probe {version} {kind} happy path", problems))
        # Paging: 102 agents on one server list as 100 + 2 through nextLink, each page conforming.
        page_server = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Sql/servers/pages-{version}"
        problems = []
        for number in range(102):
            status, headers, content = _http("PUT", f"{base_url}{page_server}/syncAgents/agent-{number:03d}{q}", {"properties": {"syncDatabaseId": SYNC_DB_ID}})
            if status == 202:
                status, headers, content = _wait_lro(status, headers)
            if status >= 300:
                problems.append(f"PUT agent-{number:03d}: {status} {content[:200]!r}")
                break
        template_list = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Sql/servers/{serverName}/syncAgents"
        _, list_schema = spec_a.response_schema("get", template_list, 200)
        url: str | None = f"{base_url}{page_server}/syncAgents{q}"
        names: list[str] = []
        pages = 0
        while url and pages < 5 and not problems:
            if not url.startswith(base_url + "/"):
                problems.append(f"nextLink {url!r} is not on {base_url}")
                break
            status, headers, content = _http("GET", url)
            pages += 1
            page = _json_or_none(content)
            if status != 200 or not isinstance(page, dict):
                problems.append(f"page {pages}: {status} {content[:200]!r}")
                break
            for error in jsonschema_rs.Draft4Validator(list_schema, validate_formats=True).iter_errors(page):
                problems.append(f"page {pages}: schema violation at /{'/'.join(map(str, error.instance_path))}: {error.message}")
            names += [item.get("name") for item in page.get("value", [])]
            url = page.get("nextLink")
        if not problems and (len(names) != 102 or len(set(names)) != 102 or pages != 2):
            problems.append(f"paging returned {len(names)} names ({len(set(names))} distinct) in {pages} pages, expected 102 in 2")
        results.append((f"probe {version} paging through nextLink", problems))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--base-url", required=True)
    run.add_argument("--spec-dir", required=True, type=Path)
    run.add_argument("--work-dir", required=True, type=Path)
    run.add_argument("--st", default="st")
    run.add_argument("--max-examples", type=int, default=25, help="per operation, positive pass")
    run.add_argument("--max-negative-examples", type=int, default=15, help="per operation, negative pass")
    run.add_argument("--max-time-per-pass", type=int, default=30, help="seconds; a pass is cut off after this")
    run.add_argument("--seed", type=int, default=20250101)
    run.add_argument("--only", default="", help="comma-separated labels, e.g. 2025-01-01/SyncGroups")
    run.add_argument("--emulator-pid", type=int, default=0, help="checked at the end: a crash is a failure")
    args = parser.parse_args()
    started = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    work: Path = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    log = work / "failures.jsonl"
    log.write_text("")
    base_url = args.base_url.rstrip("/")

    problems, notes = seed(base_url)
    for note in notes:
        print(f"contract-fuzz: note: {note}")
    if problems:
        print("contract-fuzz: seeding the emulator failed:\n  " + "\n  ".join(problems))
        print("contract-fuzz: 0 passed, 1 failed")
        return 1

    units: dict[str, Unit] = {}
    infra_errors: list[str] = []
    selected = [s for s in SPEC_FILES if not args.only or s[0] in args.only.split(",")]
    print(f"contract-fuzz: {len(selected)} Swagger files, {args.max_examples} examples per operation", flush=True)
    for label, rel in selected:
        index = SpecIndex(args.spec_dir / "specification" / "sql" / "resource-manager" / rel)
        for op in index.operations.values():
            units[f"{label} {op['operationId']}"] = Unit(f"{label} {op['operationId']}")
        for pass_name in PASSES:
            code, junit = run_st(base_url, args.spec_dir, label, rel, pass_name, args, work, log)
            if code == 124:
                continue
            _, errors = junit_units(junit, f"{label} {pass_name}")
            infra_errors += errors
            if code not in (0, 1):
                infra_errors.append(f"{label} {pass_name}: st exited {code} (see {work}/st-{label.replace('/', '_')}-{pass_name}.log)")

    # ---- findings from the hooks' log
    findings: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    deviation_hits: dict[str, int] = {}
    statuses: dict[str, dict[int, int]] = {}
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        if entry["kind"] == "status":
            statuses.setdefault(f"{entry['spec']} {entry['operation']}", {}).setdefault(entry["status"], 0)
            statuses[f"{entry['spec']} {entry['operation']}"][entry["status"]] += 1
            continue
        if entry["kind"] == "deviation":
            deviation_hits[entry["deviation"]] = deviation_hits.get(entry["deviation"], 0) + 1
            continue
        key = (entry["spec"], entry["operation"], entry["check"], entry["key"])
        previous = findings.get(key)
        # the example kept is the smallest request, preferring one with the valid subscription
        size = (SUB not in entry.get("url", ""), len(entry.get("url", "")) + len(entry.get("body") or ""))
        if previous is None or size < previous["_size"]:
            entry["_size"] = size
            entry["_count"] = (previous or {}).get("_count", 0) + 1
            findings[key] = entry
        else:
            previous["_count"] += 1
    for entry in findings.values():
        unit = units.setdefault(f"{entry['spec']} {entry['operation']}", Unit(f"{entry['spec']} {entry['operation']}"))
        unit.failed = True

    # ---- deterministic probes
    for name, problems in probes(base_url, args.spec_dir):
        units[name] = Unit(name, failed=bool(problems))
        for problem in problems:
            findings[("probe", name, "probe", problem)] = {
                "spec": "probe", "operation": name, "check": "probe", "key": problem, "message": problem, "_count": 1,
            }

    # ---- report
    table = [f"{name}: " + ", ".join(f"{code}x{count}" for code, count in sorted(statuses[name].items())) for name in sorted(statuses)]
    (work / "statuses.txt").write_text("\n".join(table) + "\n")
    answers = sum(sum(v.values()) for v in statuses.values())
    reached = sum(1 for v in statuses.values() if any(200 <= c < 300 for c in v))
    print(f"\nFuzzing sent {answers} requests; {reached}/{len(statuses)} operations reached a 2xx (per-operation statuses: statuses.txt).")
    unreached = sorted(n for n, u in units.items() if not n.startswith("probe") and not any(200 <= c < 300 for c in statuses.get(n, {})))
    if unreached:
        print("  No 2xx, so their success schemas went unchecked: " + ", ".join(unreached))
    print("Deviations seen (listed in contract_fuzz.py DEVIATIONS, not failures): "
          + (", ".join(f"{k} x{v}" for k, v in sorted(deviation_hits.items())) or "none"))
    if infra_errors:
        print("\nErrors while running schemathesis (these fail the run):")
        for error in infra_errors:
            print(f"  - {error}")
    # one entry per root cause (check + signature), listing every operation it showed up in
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for entry in findings.values():
        groups.setdefault((entry["check"], entry["key"]), []).append(entry)
    print(f"\nFindings: {len(groups)} distinct ({len(findings)} operation-level)")
    for number, ((check, key), entries) in enumerate(sorted(groups.items()), 1):
        entries.sort(key=lambda e: e.get("_size", (True, 0)))
        example = entries[0]
        by_spec: dict[str, list[str]] = {}
        for e in entries:
            by_spec.setdefault(e["spec"], []).append(e["operation"] or "")
        seen = sum(e.get("_count", 1) for e in entries)
        print(f"\n[{number}] {check}: {key}  (seen {seen}x in {len(entries)} operation(s))")
        for label, operations in sorted(by_spec.items()):
            print(f"    where:    {label}: " + ", ".join(sorted(operations)))
        print("    why:      " + _shorten(example.get("message", ""), 700).replace("\n", "\n              "))
        if "method" in example:
            body = example.get("body")
            print(f"    request:  {example['method']} {example['url']}" + (f"\n              body: {_shorten(body, 400)}" if body else ""))
            print(f"    response: {example['status']} {_shorten(example.get('response_body') or '', 500)}")
            print("    repro:    " + curl_line(example["method"], example["url"], example.get("headers"), body))
    if args.emulator_pid:
        try:
            os.kill(args.emulator_pid, 0)
        except OSError:
            infra_errors.append("the emulator process is gone: it crashed during the run")
            print("\nThe emulator process died during the run (see emulator.log).")
    print(f"\ncontract-fuzz: finished in {time.monotonic() - started:.0f}s")
    passed = sum(1 for u in units.values() if not u.failed)
    failed = sum(1 for u in units.values() if u.failed) + (1 if infra_errors else 0)
    print()
    # Units: one per (Swagger file, operation) plus one per probe; +1 failed unit when schemathesis errored.
    print(f"contract-fuzz: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # the closing line must be there whatever happened
        import traceback

        traceback.print_exc()
        print(f"contract-fuzz: internal error: {error}")
        print("contract-fuzz: 0 passed, 1 failed")
        sys.exit(2)
