#!/usr/bin/env python3
"""azure-identity's credentials signing in at the emulator, unmodified, with only their documented settings.

- ClientSecretCredential (sync) with `authority=<emulator>/adfs`: MSAL skips instance discovery for an
  authority whose first path segment is `adfs`, so nothing reaches the public login host.
- EnvironmentCredential and DefaultAzureCredential from AZURE_AUTHORITY_HOST, AZURE_TENANT_ID,
  AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (the first of DefaultAzureCredential's chain).
- The async ClientSecretCredential with the plain emulator URL as authority: it posts straight to
  `{host}/{tenant}/oauth2/v2.0/token`, trusting SSL_CERT_FILE.

Each token must be an RS256 JWT for the management audience, expiring in about an hour, and ARM must accept
it under --auth token; a token for another audience must be refused with ARM's 401 code.

Environment: DATASYNC_URL, DATASYNC_CA, DATASYNC_TENANT_ID, DATASYNC_CLIENT_ID, DATASYNC_CLIENT_SECRET.
The last line is `azure_identity_check: N passed, M failed`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request
from typing import Any, Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from check_lines import CheckLines  # noqa: E402 - scripts/check_lines.py, beside this folder

ARM_SCOPE = "https://management.azure.com/.default"
SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"
AGENTS = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-identity/providers/Microsoft.Sql/servers/srv-identity/syncAgents?api-version=2025-01-01"

checks = CheckLines()
check = checks.check


def attempt(what: str, action: Callable[[], Any]) -> Any:
    """Runs `action`; an exception is one failed check and `None`."""
    try:
        return action()
    except Exception as error:  # noqa: BLE001 - report whatever the credential raises
        check(False, what, f"{type(error).__name__}: {error}")
        return None


def claims(token: str) -> tuple[dict, dict]:
    def part(segment: str) -> dict:
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))

    header, payload, _ = token.split(".")
    return part(header), part(payload)


def arm_get(url: str, ca: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(url + AGENTS, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=ca), timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def check_token(label: str, access_token: Any, url: str, ca: str) -> None:
    if access_token is None:
        return
    check(True, f"{label}: get_token({ARM_SCOPE}) signed in at the emulator")
    header, payload = claims(access_token.token)
    check(header.get("alg") == "RS256" and bool(header.get("kid")), f"{label}: the token is an RS256 JWT with a kid", repr(header))
    check(payload.get("aud", "").rstrip("/") == "https://management.azure.com", f"{label}: aud is the management endpoint",
          repr(payload.get("aud")))
    lifetime = access_token.expires_on - time.time()
    check(3000 < lifetime <= 3600, f"{label}: expires_on is about an hour ahead", f"{lifetime:.0f} s")
    status, body = arm_get(url, ca, access_token.token)
    check(status == 200, f"{label}: ARM accepts the token under --auth token", f"{status} {body}")


def main() -> int:
    url = os.environ["DATASYNC_URL"].rstrip("/")
    ca = os.environ["DATASYNC_CA"]
    tenant = os.environ["DATASYNC_TENANT_ID"]
    client_id = os.environ["DATASYNC_CLIENT_ID"]
    secret = os.environ["DATASYNC_CLIENT_SECRET"]
    # What a user sets (README, Connect your client); the async transport reads SSL_CERT_FILE.
    os.environ.update(
        REQUESTS_CA_BUNDLE=ca, SSL_CERT_FILE=ca, AZURE_AUTHORITY_HOST=f"{url}/adfs",
        AZURE_TENANT_ID=tenant, AZURE_CLIENT_ID=client_id, AZURE_CLIENT_SECRET=secret,
    )
    from azure.identity import ClientSecretCredential, DefaultAzureCredential, EnvironmentCredential
    from azure.identity.aio import ClientSecretCredential as AsyncClientSecretCredential

    started = time.monotonic()
    sync_credential = ClientSecretCredential(tenant, client_id, secret, authority=f"{url}/adfs")
    check_token("ClientSecretCredential (authority .../adfs)", attempt(
        "ClientSecretCredential (authority .../adfs): get_token", lambda: sync_credential.get_token(ARM_SCOPE)), url, ca)
    check_token("EnvironmentCredential", attempt(
        "EnvironmentCredential: get_token", lambda: EnvironmentCredential().get_token(ARM_SCOPE)), url, ca)
    check_token("DefaultAzureCredential", attempt(
        "DefaultAzureCredential: get_token", lambda: DefaultAzureCredential().get_token(ARM_SCOPE)), url, ca)

    async def async_token() -> Any:
        async with AsyncClientSecretCredential(tenant, client_id, secret, authority=url) as credential:
            return await credential.get_token(ARM_SCOPE)

    check_token("aio ClientSecretCredential (authority = emulator URL)", attempt(
        "aio ClientSecretCredential: get_token", lambda: asyncio.run(async_token())), url, ca)

    vault = attempt("a token for another audience", lambda: sync_credential.get_token("https://vault.azure.net/.default"))
    if vault is not None:
        status, body = arm_get(url, ca, vault.token)
        check(status == 401 and body.get("error", {}).get("code") == "InvalidAuthenticationTokenAudience",
              "a token for https://vault.azure.net is refused: 401 InvalidAuthenticationTokenAudience", f"{status} {body}")

    wrong = ClientSecretCredential(tenant, client_id, secret + "-wrong", authority=f"{url}/adfs")
    if os.environ.get("DATASYNC_CLIENTS_RESTRICTED") == "1":
        try:
            wrong.get_token(ARM_SCOPE)
            check(False, "a wrong client secret is refused (--client)", "a token was issued")
        except Exception as error:  # noqa: BLE001 - azure-identity raises ClientAuthenticationError
            check("invalid_client" in str(error) or "AADSTS7000215" in str(error),
                  "a wrong client secret is refused with invalid_client (--client)", str(error)[:300])

    print(f"sign-in checks: {time.monotonic() - started:.2f} s")
    print(f"azure_identity_check: {checks.passed} passed, {checks.failed} failed", flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
