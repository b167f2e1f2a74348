"""OAuth mode: people sign in with a real OpenID provider (tests/oidc.py runs `oidc-provider`
from npm); the server checks their JWT access tokens and maps them to the Stripe keys it holds.

Every server here is real (uvicorn on 127.0.0.1), every client a real MCP client over Streamable
HTTP, and Stripe is the sandbox through the real SDK. Refusals are proven by the sandbox's request
log for the key staying empty.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client

from stripe_power.config import Settings, load_settings
from stripe_power.errors import ConfigError
from stripe_power.http import create_http_app
from stripe_power.oauth.guard import OAuthGuard, guard_for
from stripe_power.server import create_server
from stripe_power.state import open_state
from stripe_power.tools import TOOLSET_NAMES

from .conftest import error_text, new_key, payload
from .oidc import PACKAGE, OpenIdProvider, claims, openid_provider, write_access_file
from .servers import free_port, serve_in_thread
from .test_external_client import EXTERNAL, SDK, TIMEOUT, node_or_skip
from .test_team import every_stored_text, paid_intent, refunds_sent

RULES = """
[keys]
payments = { env = "KEY_PAYMENTS" }
support = { file = "support.key" }

[[access]]
name = "payments team"
when = { claim = "groups", is = "payments" }
key = "payments"
toolsets = ["all"]
max_daily_refunds = "usd:5000"

[[access]]
name = "support"
when = { claim = "groups", is = ["support", "helpdesk"] }
key = "support"
toolsets = ["all"]
read_only = true
"""
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
PING = {  # an opening request: the MCP layer answers it (200) once the token is accepted
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}


@pytest.fixture(scope="module")
def idp() -> Iterator[OpenIdProvider]:
    with openid_provider() as provider:
        yield provider


class Team:
    """The keys the server holds (never sent by anyone) and where its access file is."""

    def __init__(self, tmp_path: Path) -> None:
        self.payments, self.support = new_key(), new_key()
        self.folder = tmp_path
        key_file = tmp_path / "support.key"
        key_file.write_text(self.support + "\n")
        key_file.chmod(0o600)
        self.env = {"KEY_PAYMENTS": self.payments}

    def settings(self, sandbox: Any, access_file: Path, **overrides: Any) -> Settings:
        return load_settings(
            self.env,
            api_base=sandbox.url,
            state_dir=str(self.folder / "state"),
            webhook_receiver=True,
            access_file=str(access_file),
            **overrides,
        )


@contextmanager
def oauth_instances(
    settings: Settings, ports: list[int], guards: list[OAuthGuard] | None = None
) -> Iterator[list[str]]:
    """One server per port, each its own app and state object (PostgreSQL when the settings say)."""
    with ExitStack() as stack:
        urls = []
        for port in ports:
            state = open_state(settings)
            guard = guard_for(settings, state)
            if guards is not None:
                guards.append(guard)
            app = create_http_app(
                create_server(settings, state=state),
                host="127.0.0.1",
                port=port,
                token=None,
                state=state,
                oauth=guard,
            )
            urls.append(stack.enter_context(serve_in_thread(app, port)))
        yield urls


@asynccontextmanager
async def signed_in(url: str, token: str) -> AsyncIterator[Client]:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
            yield client


def post_mcp(url: str, token: str | None = None, **headers: str) -> httpx2.Response:
    sent = {**MCP_HEADERS, **headers}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    return httpx2.post(f"{url}/mcp", headers=sent, json=PING)


def challenge(answer: httpx2.Response) -> dict[str, str]:
    """The WWW-Authenticate parameters of a Bearer challenge."""
    scheme, _, rest = answer.headers["www-authenticate"].partition(" ")
    assert scheme == "Bearer"
    found = {}
    for part in rest.split('", '):
        name, _, value = part.partition("=")
        found[name.strip()] = value.strip().strip('"')
    return found


@pytest.fixture
def team(tmp_path: Path) -> Team:
    return Team(tmp_path)


def _server(idp: OpenIdProvider, team: Team, sandbox: Any, **oauth: Any) -> tuple[Settings, int, str]:
    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    access_file = write_access_file(team.folder / "team.toml", idp.issuer, resource, RULES, **oauth)
    return team.settings(sandbox, access_file), port, resource


async def test_metadata_and_the_challenge_that_starts_sign_in(
    idp: OpenIdProvider, team: Team, sandbox: Any
) -> None:
    settings, port, resource = _server(idp, team, sandbox)
    with oauth_instances(settings, [port]) as (url,):
        documents = [httpx2.get(f"{url}{path}") for path in
                     ("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource")]  # fmt: skip
        missing = post_mcp(url)
        not_bearer = httpx2.post(
            f"{url}/mcp", headers={**MCP_HEADERS, "Authorization": "Basic YTpi"}, json=PING
        )
        twice = httpx2.post(
            f"{url}/mcp",
            headers=[*MCP_HEADERS.items(), ("Authorization", "Bearer a"), ("Authorization", "Bearer b")],
            json=PING,
        )
    for document in documents:
        assert document.status_code == 200
        assert document.json() == {
            "resource": resource,
            "authorization_servers": [idp.issuer],
            "scopes_supported": ["stripe"],
            "bearer_methods_supported": ["header"],
            "resource_name": "stripe-power (guarded Stripe tools)",
        }
    for answer in (missing, not_bearer):
        assert answer.status_code == 401
        # RFC 6750 §3.1: no error code when no token was sent; the metadata URL starts discovery.
        assert challenge(answer) == {
            "resource_metadata": f"http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp",
            "scope": "stripe",
        }
    assert twice.status_code == 400 and "one Authorization header" in twice.text
    assert sandbox.request_log(team.payments) == [] and sandbox.request_log(team.support) == []


def _forged(token: str, **header: Any) -> str:
    """The token with its header changed (so its signature no longer matches)."""
    head, body, signature = token.split(".")
    fields = {**json.loads(base64.urlsafe_b64decode(head + "==")), **header}
    encoded = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    return f"{encoded}.{body}.{signature}"


def _hs256(payload: dict[str, Any], secret: bytes, kid: str) -> str:
    """A JWT signed HMAC-SHA256 with `secret` (PyJWT rightly refuses to use a public key so)."""
    encode = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()  # noqa: E731
    head = encode(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": kid}).encode())
    body = encode(json.dumps(payload).encode())
    return f"{head}.{body}." + encode(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest())


async def test_tokens_that_are_refused(idp: OpenIdProvider, team: Team, sandbox: Any) -> None:
    settings, port, resource = _server(idp, team, sandbox)
    good = idp.token("alice", resource)
    jwks = httpx2.get(f"{idp.issuer}/jwks").json()
    public_pem = jwt.PyJWK(jwks["keys"][0]).key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    with openid_provider() as other:
        foreign = other.token("alice", resource)  # another provider, same resource and user
    cases = {
        "expired": (idp.token("alice", resource, client_id="expired-tokens"), "has expired"),
        "wrong audience": (idp.token("alice", "http://127.0.0.1:1/mcp"), "issued for another resource"),
        "wrong issuer": (foreign, f"issued by '{other.issuer}', not by {idp.issuer}"),
        "not a JWT": ("opaque-" + "x" * 40, "not a JWT"),
        "bad signature": (
            good[:-8] + ("AAAAAAAA" if not good.endswith("AAAAAAAA") else "BBBBBBBB"),
            "signature",
        ),
        # The issuer's public key used as an HMAC secret (algorithm confusion) and no signature at all.
        "HS256 with the public key": (
            _hs256(claims(good), public_pem, jwks["keys"][0]["kid"]),
            "algorithm 'HS256' is not accepted",
        ),
        "alg none": (_forged(good, alg="none"), "algorithm 'none' is not accepted"),
    }
    with oauth_instances(settings, [port]) as (url,):
        answers = {name: post_mcp(url, token) for name, (token, _) in cases.items()}
        accepted = post_mcp(url, good)
    assert accepted.status_code == 200, accepted.text
    for name, (token, reason) in cases.items():
        answer = answers[name]
        assert answer.status_code == 401, (name, answer.text)
        found = challenge(answer)
        assert found["error"] == "invalid_token", name
        assert reason in found["error_description"], (name, found)
        assert found["resource_metadata"].endswith("/.well-known/oauth-protected-resource/mcp")
        assert token not in answer.text
    assert sandbox.request_log(team.payments) == []


async def test_missing_scope_is_insufficient_scope(idp: OpenIdProvider, team: Team, sandbox: Any) -> None:
    settings, port, resource = _server(idp, team, sandbox)
    narrow = idp.token("alice", resource, scope="openid stripe:read")
    assert claims(narrow)["scope"] == "stripe:read"  # a real token, only without the scope required
    with oauth_instances(settings, [port]) as (url,):
        answer = post_mcp(url, narrow)
    assert answer.status_code == 403
    found = challenge(answer)
    assert found["error"] == "insufficient_scope" and found["scope"] == "stripe"
    assert "lacks the scope stripe" in found["error_description"]
    assert sandbox.request_log(team.payments) == []


async def test_a_person_no_rule_matches_gets_403_saying_why(
    idp: OpenIdProvider, team: Team, sandbox: Any
) -> None:
    settings, port, resource = _server(idp, team, sandbox)
    with oauth_instances(settings, [port]) as (url,):
        answer = post_mcp(url, idp.token("dave", resource))
    assert answer.status_code == 403
    assert answer.json() == {
        "error": "access_denied",
        "error_description": "No access rule in team.toml matches dave@example.com (sub dave; groups: "
        "marketing). Ask the team lead who runs this server to add a rule for you or your group.",
    }
    assert "www-authenticate" not in answer.headers  # a new token would not help
    lines = [json.loads(line) for line in (team.folder / "state" / "audit.jsonl").read_text().splitlines()]
    assert [(line["access"], line["person"]) for line in lines] == [("denied", "dave")]


async def test_read_only_person_lists_reads_and_cannot_write(
    idp: OpenIdProvider, team: Team, sandbox: Any
) -> None:
    settings, port, resource = _server(idp, team, sandbox)
    with oauth_instances(settings, [port]) as (url,):
        async with signed_in(url, idp.token("carol", resource)) as carol:
            listed = {tool.name for tool in (await carol.list_tools()).tools}
            made = error_text(await carol.call_tool("create_customer", {"email": "x@example.com"}))
            posted = error_text(
                await carol.call_tool(
                    "call_stripe_api", {"method": "POST", "path": "/v1/customers", "params": {}}
                )
            )
            read = payload(await carol.call_tool("list_customers", {}))
            info = payload(await carol.call_tool("get_account_info", {}))
        async with signed_in(url, idp.token("alice", resource)) as alice:
            everything = {tool.name for tool in (await alice.list_tools()).tools}
    assert "create_customer" not in listed and "create_refund" not in listed
    assert {"list_customers", "retrieve_customer", "call_stripe_api"} <= listed
    assert {"create_customer", "create_refund"} <= everything and listed < everything
    assert made.startswith(
        "create_customer is not available to carol@example.com: access rule 'support' (read-only)"
    )
    assert (
        "POST /v1/customers is a write and access rule 'support' gives carol@example.com read-only access"
        in posted
    )
    assert (
        read["data"] == [] and info["key"].startswith("sk_test_…") and info["key"].endswith(team.support[-4:])
    )
    # Carol's calls ran with the support key, and none of them wrote.
    sent = sandbox.request_log(team.support)
    assert sent and {r.method for r in sent} == {"GET"}
    assert sandbox.request_log(team.payments) == []
    lines = [json.loads(line) for line in (team.folder / "state" / "audit.jsonl").read_text().splitlines()]
    refused = [line for line in lines if line.get("outcome") == "refused"]
    assert {(line["tool_call"], line["person"], line["access_rule"]) for line in refused} == {
        ("create_customer", "carol", "support"),
        ("call_stripe_api", "carol", "support"),
    }


def test_key_files_must_be_private_and_keys_never_in_the_access_file(tmp_path: Path) -> None:
    team = Team(tmp_path)
    (tmp_path / "support.key").chmod(0o644)
    access_file = write_access_file(
        tmp_path / "team.toml", "https://login.example.com", "https://mcp.example.com/mcp", RULES
    )
    with pytest.raises(ConfigError, match=r"support.key is readable by others \(mode 0644\); run chmod 600"):
        team.settings(type("S", (), {"url": "http://127.0.0.1:1"})(), access_file)
    inline = RULES.replace('{ env = "KEY_PAYMENTS" }', f'"{team.payments}"')
    write_access_file(
        tmp_path / "team.toml", "https://login.example.com", "https://mcp.example.com/mcp", inline
    )
    with pytest.raises(ConfigError) as raised:
        load_settings(team.env, access_file=str(tmp_path / "team.toml"), webhook_receiver=True)
    assert "keys never go in this file" in str(raised.value) and team.payments not in str(raised.value)


async def test_two_people_one_key_two_instances_share_postgres(
    idp: OpenIdProvider, team: Team, sandbox: Any, postgres_url: str
) -> None:
    """Alice and Bob share the payments key but not their books: each has their own daily refund
    limit, confirmation tokens only the person asked can redeem, and sessions of their own,
    across two instances behind one resource URL, sharing PostgreSQL."""
    port, other = free_port(), free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    access_file = write_access_file(team.folder / "team.toml", idp.issuer, resource, RULES)
    settings = team.settings(sandbox, access_file, state_url=postgres_url, confirm_writes=True)
    first, second, bobs = [await paid_intent(sandbox, team.payments) for _ in range(3)]
    alice_token, bob_token = idp.token("alice", resource), idp.token("bob", resource)

    async def refund(url: str, token: str, intent: str, amount: int) -> Any:
        """A confirmed refund: the preview's token, then the call with it (one person, one instance)."""
        call = {"payment_intent": intent, "amount": amount}
        async with signed_in(url, token) as client:
            held = await client.call_tool("create_refund", call)
            if not held.is_error or "confirmation_token" not in error_text(held):
                return held
            confirmation = json.loads(error_text(held))["confirmation_token"]
            return await client.call_tool("create_refund", call | {"confirmation_token": confirmation})

    with oauth_instances(settings, [port, other]) as (one, two):
        payload(await refund(one, alice_token, first, 3000))
        over = error_text(
            await refund(two, alice_token, second, 2500)
        )  # her limit, counted on the other instance
        payload(await refund(two, bob_token, bobs, 5000))  # his own limit: Alice's refunds do not use it
        # A confirmation token is bound to the person who was asked.
        call = {"payment_intent": second, "amount": 1000}
        async with signed_in(one, alice_token) as alice:
            token = json.loads(error_text(await alice.call_tool("create_refund", call)))["confirmation_token"]
        async with signed_in(two, bob_token) as bob:
            stolen = error_text(await bob.call_tool("create_refund", call | {"confirmation_token": token}))
        async with signed_in(one, alice_token) as alice:  # (issue 24 keeps a token a refused try used)
            token = json.loads(error_text(await alice.call_tool("create_refund", call)))["confirmation_token"]
        async with signed_in(two, alice_token) as alice:
            done = payload(await alice.call_tool("create_refund", call | {"confirmation_token": token}))
        # Bob cannot use Alice's MCP session (the SDK binds it to the person who opened it).
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {alice_token}"}) as http:
            opened = await http.post(f"{one}/mcp", headers=MCP_HEADERS, json=PING)
        session = opened.headers["mcp-session-id"]
        hijack = post_mcp(one, bob_token, **{"Mcp-Session-Id": session})
    assert (
        "over the daily limit of $50.00 (max_daily_refunds of access rule 'payments team'; $20.00 left today)"
        in over
    )
    assert "confirmation_token" in stolen and done["amount"] == 1000
    assert hijack.status_code == 404
    assert [r.params["amount"] for r in refunds_sent(sandbox, team.payments)] == ["3000", "5000", "1000"]
    # The dashboard's "What the agent did" names who made each call (from the requests, PostgreSQL state).
    agent = f"{sandbox.dashboard_url}/{sandbox.sandbox.state.accounts[team.payments].id}/agent"
    page = httpx2.get(agent).text
    bobs_only = httpx2.get(agent, params={"person": "bob@example.com"}).text
    assert "by <a href" in page and "bob@example.com</a>" in page and "alice@example.com</a>" in page
    assert "bob@example.com</a>" in bobs_only and "alice@example.com</a>" not in bobs_only
    # The books name people; no Stripe key is stored anywhere in the database.
    stored = every_stored_text(postgres_url)
    assert team.payments not in stored and team.payments[8:] not in stored and team.support[8:] not in stored
    people = {(json.loads(line).get("tool_call"), json.loads(line).get("person"), json.loads(line).get("outcome"))
              for line in _audit_rows(postgres_url)}  # fmt: skip
    assert ("create_refund", "alice", "ok") in people and ("create_refund", "bob", "ok") in people
    assert ("create_refund", "bob", "error") in people  # the stolen token, refused


def _audit_rows(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return [
            json.dumps(row[0]) for row in conn.execute("SELECT entry FROM audit_log ORDER BY id").fetchall()
        ]


async def test_revoking_a_person_takes_effect_on_the_next_request(
    idp: OpenIdProvider, team: Team, sandbox: Any
) -> None:
    settings, port, resource = _server(idp, team, sandbox)
    token = idp.token("mallory", resource)
    with oauth_instances(settings, [port]) as (url,):
        before = post_mcp(url, token)
        access_file = team.folder / "team.toml"
        # What the README says to do: add the person's subject to [oauth] revoked; no restart.
        access_file.write_text(
            access_file.read_text().replace("[oauth]\n", '[oauth]\nrevoked = ["mallory"]\n', 1)
        )
        after = post_mcp(url, token)
        still = post_mcp(url, idp.token("alice", resource))
        access_file.write_text("[oauth]\nissuer = ")  # a broken edit refuses everyone until fixed
        broken = post_mcp(url, idp.token("alice", resource))
    assert before.status_code == 200
    assert after.status_code == 403
    assert after.json()["error_description"].startswith(
        "Access for mallory@example.com (sub mallory) was revoked"
    )
    assert still.status_code == 200
    assert broken.status_code == 503 and "access file has an error" in broken.text


async def test_a_rotated_signing_key_is_fetched_once_and_the_old_one_stops(team: Team, sandbox: Any) -> None:
    with openid_provider() as idp:
        settings, port, resource = _server(idp, team, sandbox, jwks_cooldown_seconds=0)
        guards: list[OAuthGuard] = []
        with oauth_instances(settings, [port], guards) as (url,):
            old = idp.token("alice", resource)
            answers = [post_mcp(url, old)]
            fetched_before = guards[0].verifier.jwks.fetches
            kid = idp.rotate()
            new = idp.token("alice", resource)
            answers += [post_mcp(url, new), post_mcp(url, new), post_mcp(url, old)]
            fetches = guards[0].verifier.jwks.fetches
    assert jwt.get_unverified_header(new)["kid"] == kid != jwt.get_unverified_header(old)["kid"]
    assert [a.status_code for a in answers] == [200, 200, 200, 401]
    assert fetched_before == 1 and fetches == 3  # the new kid: one fetch; the withdrawn kid: one more
    assert "does not publish" in challenge(answers[-1])["error_description"]


async def test_unknown_key_ids_do_not_flood_the_provider(
    idp: OpenIdProvider, team: Team, sandbox: Any
) -> None:
    settings, port, resource = _server(idp, team, sandbox)  # the default cooldown (10 s)
    good = idp.token("alice", resource)
    guards: list[OAuthGuard] = []
    with oauth_instances(settings, [port], guards) as (url,):
        accepted = post_mcp(url, good)
        statuses: list[int] = []

        async def send(http: httpx2.AsyncClient, token: str) -> None:
            answer = await http.post(
                f"{url}/mcp", headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"}, json=PING
            )
            statuses.append(answer.status_code)

        async with httpx2.AsyncClient() as http, anyio.create_task_group() as group:
            for n in range(20):
                group.start_soon(send, http, _forged(good, kid=f"unknown-{n}"))
    assert accepted.status_code == 200 and statuses == [401] * 20
    # Within the cooldown after the first fetch, 20 unknown kids caused no fetch at all.
    assert guards[0].verifier.jwks.fetches == 1


def run_oauth_client(url: str, user: str, calls: list[dict[str, Any]]) -> dict[str, Any]:
    """tests/external/oauth_client.mjs: the TypeScript SDK's OAuth flow, given only the URL."""
    node = node_or_skip(SDK, PACKAGE)
    completed = subprocess.run(
        [node, str(EXTERNAL / "oauth_client.mjs"), url, user, json.dumps(calls)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=EXTERNAL,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    outcome: dict[str, Any] = json.loads(completed.stdout)
    return outcome


async def test_typescript_sdk_signs_in_with_oauth_from_the_url_alone(
    idp: OpenIdProvider, team: Team, sandbox: Any
) -> None:
    settings, port, resource = _server(idp, team, sandbox)
    calls = [
        {"name": "create_customer", "arguments": {"email": "signed-in@example.com"}},
        {"name": "get_account_info", "arguments": {}},
    ]
    with oauth_instances(settings, [port]) as (url,):
        alice = await anyio.to_thread.run_sync(run_oauth_client, f"{url}/mcp", "alice", calls)
        carol = await anyio.to_thread.run_sync(run_oauth_client, f"{url}/mcp", "carol", calls[:1])
    # The SDK found the provider from the 401 and asked for a token for this server, with PKCE.
    assert alice["authorization"] == {
        "endpoint": f"{idp.issuer}/auth",
        "resource": resource,
        "scope": "stripe",
        "code_challenge_method": "S256",
        "client_id": "mcp-client",
        "response_type": "code",
    }
    made, info = (json.loads(result["content"][0]["text"]) for result in alice["results"])
    assert [c["id"] for c in sandbox.objects(team.payments, "customer")] == [made["id"]]
    assert info["key"].endswith(team.payments[-4:])
    assert "create_customer" in alice["tools"] and "create_customer" not in carol["tools"]
    assert carol["results"][0]["isError"] is True
    assert sandbox.objects(team.support, "customer") == []
    lines = [json.loads(line) for line in (team.folder / "state" / "audit.jsonl").read_text().splitlines()]
    assert {(line.get("tool_call"), line.get("person_name"), line.get("outcome")) for line in lines} >= {
        ("create_customer", "alice@example.com", "ok"),
        ("create_customer", "carol@example.com", "refused"),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("[oauth]", "[oath]"), "unknown setting 'oath'"),
        (
            ('key = "payments"', 'key = "payment"'),
            "key = 'payment' is not in [keys] (known: payments, support)",
        ),
        (('is = "payments"', "is = 3"), "when.is: must be a list of strings"),
        (('claim = "groups"', 'claim = "groups;drop"'), "when.claim must name a token claim"),
        (
            ('max_daily_refunds = "usd:5000"', 'max_daily_refunds = "usd:5k"'),
            "use a whole amount in minor units",
        ),
        (('toolsets = ["all"]\nmax', 'toolsets = ["invoice"]\nmax'), "unknown toolset(s) invoice"),
        (('name = "support"', 'name = "payments team"'), "two [[access]] rules share a name"),
        (("read_only = true", 'read_only = "yes"'), "read_only must be true or false"),
        (('{ env = "KEY_PAYMENTS" }', '{ env = "NOT_SET_ANYWHERE" }'), "NOT_SET_ANYWHERE is not set"),
    ],
)
def test_a_wrong_access_file_names_the_entry_and_the_fix(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    team = Team(tmp_path)
    good = write_access_file(
        tmp_path / "team.toml", "https://login.example.com", "https://mcp.example.com/mcp", RULES
    )
    load_settings(team.env, access_file=str(good), webhook_receiver=True)  # the file as written loads
    good.write_text(good.read_text().replace(*change, 1))
    with pytest.raises(ConfigError) as raised:
        load_settings(team.env, access_file=str(good), webhook_receiver=True, known_toolsets=TOOLSET_NAMES)
    assert message in str(raised.value) and "team.toml" in str(raised.value)


@pytest.mark.parametrize(
    ("oauth", "message"),
    [
        ({"issuer": "http://login.example.com"}, "plain http only on loopback; use https"),
        ({"resource": "https://mcp.example.com/mcp?x=1"}, "no query or fragment (RFC 8707)"),
        ({"scopes": "stripe"}, "scopes: must be a list of strings"),
    ],
)
def test_a_wrong_oauth_table_is_refused(tmp_path: Path, oauth: dict[str, Any], message: str) -> None:
    team = Team(tmp_path)
    settings = {"issuer": "https://login.example.com", "resource": "https://mcp.example.com/mcp"} | oauth
    path = write_access_file(
        tmp_path / "team.toml", settings.pop("issuer"), settings.pop("resource"), RULES, **settings
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(team.env, access_file=str(path), webhook_receiver=True)


def test_oauth_mode_refuses_what_would_mix_it_up(tmp_path: Path) -> None:
    team = Team(tmp_path)
    path = write_access_file(
        tmp_path / "team.toml", "https://login.example.com", "https://mcp.example.com/mcp", RULES
    )
    cases = [
        ({**team.env, "STRIPE_SECRET_KEY": new_key()}, {"webhook_receiver": True}, "unset STRIPE_SECRET_KEY"),
        (team.env, {"webhook_receiver": True, "client_keys": True}, "choose one"),
        (team.env, {}, "--transport http only"),
        (
            {**team.env, "STRIPE_WEBHOOK_SECRET": "whsec_x"},
            {"webhook_receiver": True},
            "unset STRIPE_WEBHOOK_SECRET",
        ),
    ]
    for env, options, message in cases:
        with pytest.raises(ConfigError, match=re.escape(message)):
            load_settings(env, access_file=str(path), **options)
