"""One reading of each HTTP request, sessions owned by their key or person, and the limits.

Every test runs `create_http_app` under uvicorn on 127.0.0.1, in each mode where the HTTP guard
reads a credential that differs per client: `--client-keys` (each client's Stripe key is its
bearer token) and OAuth (`--access-file`: people sign in with the real OpenID provider of
tests/oidc.py and the server holds the keys). Clients are named people ("alice", "bob", ...):
`Served.bearer(name)` is what they send, `Served.stripe_key(name)` what their calls reach Stripe
with. Requests go over real sockets: `http.client` where a request must carry exactly the bytes
chosen (two `Authorization` lines, a body that never finishes), the MCP SDK's client over
`httpx2` elsewhere. Stripe is the recording fake, which keeps every request that reaches it, so
"nothing reached Stripe" is read from its log, and a positive control shows the same call does
reach it.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from stripe_power.config import load_settings
from stripe_power.http import create_http_app
from stripe_power.http_guard import SINGLE_VALUED, HttpLimits, RequestGuard, open_sessions
from stripe_power.oauth.guard import guard_for
from stripe_power.server import create_server
from stripe_power.state import open_state

from .conftest import new_key
from .fakes import RecordingStripe
from .oidc import OpenIdProvider, openid_provider, write_access_file
from .servers import free_port, serve_in_thread
from .test_oauth import RULES

LEGACY = "2025-11-25"
ACCEPT = "application/json, text/event-stream"
INTENT = {
    "id": "pi_fake1",
    "object": "payment_intent",
    "amount": 5000,
    "currency": "usd",
    "status": "succeeded",
}


MODES = ["client-keys", "oauth"]
# OAuth mode: test_oauth's access rules. The provider's people alice, bob and mallory are in the
# payments group, carol in support (read-only); each group reaches Stripe with its own key.
GROUP_KEY = {"alice": "payments", "bob": "payments", "mallory": "payments", "carol": "support"}


@pytest.fixture(scope="module")
def idp() -> Iterator[OpenIdProvider]:
    with openid_provider() as provider:
        yield provider


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Served:
    url: str
    guard: RequestGuard
    server: Any
    sign_in: Callable[[str], str]  # a new bearer token for a named client (OAuth) or its key
    stripe_key: Callable[[str], str]  # the Stripe key that client's calls reach Stripe with
    audit: Path = field(default_factory=Path)

    def __post_init__(self) -> None:
        self.bearer = cache(self.sign_in)  # a named client's token: the same one on every call

    @property
    def sessions(self) -> int:
        return len(open_sessions(self.server.session_manager))

    def people_in_audit(self) -> set[str | None]:
        """The people named by the audit lines of tool calls (None: a line naming nobody)."""
        lines = (
            [json.loads(line) for line in self.audit.read_text().splitlines()] if self.audit.exists() else []
        )
        return {line.get("person") for line in lines if "tool_call" in line}


Started = tuple[Any, Any, Callable[[str], str], Callable[[str], str]]  # app, server, sign_in, stripe_key


def client_keys_app(fake: RecordingStripe, port: int, state_dir: str, limits: HttpLimits) -> Started:
    """--client-keys: each client's bearer token is its own Stripe key."""
    settings = load_settings(
        {}, api_base=fake.url, state_dir=state_dir, client_keys=True, webhook_receiver=True, toolsets="all"
    )
    server = create_server(settings)
    app = create_http_app(server, host="127.0.0.1", port=port, token=None, client_keys=True, limits=limits)

    @cache
    def key_of(name: str) -> str:
        return new_key()

    return app, server, key_of, key_of


def oauth_app(
    fake: RecordingStripe, port: int, state_dir: str, limits: HttpLimits, idp: OpenIdProvider, folder: Path
) -> Started:
    """--access-file: people sign in with `idp`; the server holds a key per group."""
    resource = f"http://127.0.0.1:{port}/mcp"
    keys = {"payments": new_key(), "support": new_key()}
    (folder / "support.key").write_text(keys["support"])
    (folder / "support.key").chmod(0o600)
    access_file = write_access_file(folder / "team.toml", idp.issuer, resource, RULES)
    settings = load_settings(
        {"KEY_PAYMENTS": keys["payments"]},
        api_base=fake.url,
        state_dir=state_dir,
        webhook_receiver=True,
        access_file=str(access_file),
    )
    state = open_state(settings)
    server = create_server(settings, state=state)
    app = create_http_app(
        server, host="127.0.0.1", port=port, token=None, state=state, oauth=guard_for(settings, state),
        limits=limits,
    )  # fmt: skip

    def sign_in(name: str) -> str:
        return idp.token(name, resource)

    def stripe_key(name: str) -> str:
        return keys[GROUP_KEY[name]]

    return app, server, sign_in, stripe_key


@pytest.fixture
def team_server(
    fake: RecordingStripe, tmp_path: Path, mode: str, request: pytest.FixtureRequest
) -> Callable[..., Any]:
    """`with team_server(**limits) as served`: a server in this test's mode."""

    @contextmanager
    def start(**limits: Any) -> Iterator[Served]:
        port, state_dir = free_port(), str(tmp_path / "state")
        if mode == "client-keys":
            started = client_keys_app(fake, port, state_dir, HttpLimits(**limits))
        else:
            idp = request.getfixturevalue("idp")
            started = oauth_app(fake, port, state_dir, HttpLimits(**limits), idp, tmp_path)
        app, server, sign_in, stripe_key = started
        assert isinstance(app, RequestGuard)
        with serve_in_thread(app, port) as url:
            yield Served(url, app, server, sign_in, stripe_key, Path(state_dir) / "audit.jsonl")

    return start


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    def rpc(self) -> Any:
        """The JSON-RPC message of a JSON or SSE answer."""
        if self.headers.get("content-type", "").startswith("text/event-stream"):
            data = [line[5:].strip() for line in self.body.splitlines() if line.startswith("data:")]
            return json.loads(data[-1])
        return json.loads(self.body)


def send(
    url: str, method: str, headers: list[tuple[str, str]], body: bytes = b"", path: str = "/mcp"
) -> Answer:
    """One request with exactly these header lines (repeats kept, nothing added but Host)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        names = {name.lower() for name, _ in headers}
        conn.putrequest(method, path, skip_host="host" in names, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        if body and not names & {"content-length", "transfer-encoding"}:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        response = conn.getresponse()
        text = response.read().decode()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
    finally:
        conn.close()


def rpc_body(method: str, params: dict[str, Any] | None = None, ident: int | None = 1) -> bytes:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    if ident is not None:
        message["id"] = ident
    return json.dumps(message).encode()


def mcp_headers(key: str, session: str | None = None) -> list[tuple[str, str]]:
    headers = [
        ("Authorization", f"Bearer {key}"), ("Accept", ACCEPT), ("Content-Type", "application/json"),
        ("MCP-Protocol-Version", LEGACY),
    ]  # fmt: skip
    return headers + ([("Mcp-Session-Id", session)] if session else [])


def open_session(url: str, key: str) -> str:
    """Initialize a handshake-era session as `key`; its id."""
    init = {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    answer = send(url, "POST", mcp_headers(key)[:3], rpc_body("initialize", init))
    assert answer.status == 200, answer
    session = answer.headers["mcp-session-id"]
    done = send(url, "POST", mcp_headers(key, session), rpc_body("notifications/initialized", ident=None))
    assert done.status == 202, done
    return session


def call_tool(url: str, key: str, session: str, name: str, arguments: dict[str, Any]) -> Answer:
    return send(
        url, "POST", mcp_headers(key, session), rpc_body("tools/call", {"name": name, "arguments": arguments})
    )


PAY = {"amount": 5000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}


# -- 1. one reading of each header ----------------------------------------------------------


def duplicate_cases() -> Iterator[Any]:
    """Each single-valued header twice: same spelling, another letter case, the same value."""
    for header in SINGLE_VALUED:
        for style in ("same-case", "other-case", "same-value"):
            yield pytest.param(header, style, id=f"{header}-{style}")


def _value(header: str, key: str, session: str, port: int) -> str:
    return {
        "authorization": f"Bearer {key}",
        "host": f"127.0.0.1:{port}",
        "origin": f"http://127.0.0.1:{port}",
        "mcp-session-id": session,
        "mcp-protocol-version": LEGACY,
        "content-type": "application/json",
        "last-event-id": "1",
        "stripe-signature": "t=1,v1=00",
    }.get(header, "")


# Framing headers that the HTTP parser (h11, under uvicorn) refuses itself when repeated with
# different values; identical Content-Length lines it may merge, as RFC 9110 allows.
PARSER_OWNED = ("host", "content-length", "transfer-encoding")


@pytest.mark.parametrize(("header", "style"), list(duplicate_cases()))
async def test_the_guard_refuses_every_repeated_single_valued_header(header: str, style: str) -> None:
    """At the ASGI layer, whatever the HTTP server in front of it merges or passes on."""
    reached: list[Any] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope)

    async def verify(token: str | None) -> Any:
        raise AssertionError("the credential was read")

    guard = RequestGuard(inner, verify, HttpLimits(), lambda: None)  # type: ignore[arg-type,return-value]
    value = _value(header, new_key(), "s", 8000) or "1"
    second = header.upper() if style == "other-case" else header
    first = value if style == "same-value" else value + "0"
    headers = [(b"accept", b"*/*"), (header.encode(), first.encode()), (second.encode(), value.encode())]
    sent: list[Any] = []

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send_(message: Any) -> None:
        sent.append(message)

    for path in ("/mcp", "/webhooks/stripe", "/healthz"):
        scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
        await guard(scope, receive, send_)
    assert reached == []
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [400] * 3
    bodies = [json.loads(m["body"]) for m in sent if m["type"] == "http.response.body"]
    assert all(b["error"] == "duplicate_header" and header in b["message"].lower() for b in bodies), bodies


@pytest.mark.parametrize(("header", "style"), list(duplicate_cases()))
def test_a_repeated_single_valued_header_is_refused_before_anything_reads_it(
    fake: RecordingStripe, team_server: Any, header: str, style: str
) -> None:
    """Over real HTTP, in each mode, on a tool call that would confirm a payment: 400, nothing
    sent to Stripe."""
    fake.on("POST", "/v1/payment_intents", INTENT)
    with team_server() as served:
        key = served.bearer("alice")
        port = urlsplit(served.url).port or 0
        session = open_session(served.url, key)
        body = rpc_body("tools/call", {"name": "create_payment_intent", "arguments": PAY})
        base = [*mcp_headers(key, session), ("Host", f"127.0.0.1:{port}"), ("Content-Length", str(len(body)))]
        value = _value(header, key, session, port) or str(len(body))
        if header == "transfer-encoding":
            value = "chunked"
        second = header.upper() if style == "other-case" else header
        # The parser's own headers differ (one identical Content-Length twice is one length).
        first = value if style == "same-value" and header not in PARSER_OWNED else value + "0"
        lines = [(n, v) for n, v in base if n.lower() != header] + [(header, first), (second, value)]
        before = len(fake.requests)
        try:
            answer: Answer | None = send(served.url, "POST", lines, body)
        except ConnectionResetError:
            # The HTTP parser, not the app, refuses two lengths; it may close before its 400 is read.
            assert header in PARSER_OWNED
            answer = None
        reached = fake.requests[before:]
        # Control: the same call with each header once reaches Stripe.
        control = call_tool(served.url, key, session, "create_payment_intent", PAY)
    assert reached == []  # nothing reached Stripe
    assert control.status == 200 and control.rpc()["result"].get("isError") is not True, control
    assert [(r.path, r.headers.get("Authorization")) for r in fake.requests[before:]] == [
        ("/v1/payment_intents", f"Bearer {served.stripe_key('alice')}")
    ]
    if answer is None:
        return
    assert answer.status == 400, answer
    if header not in PARSER_OWNED:
        refusal = json.loads(answer.body)
        assert refusal["error"] == "duplicate_header"
        assert header in refusal["message"].lower() and "once" in refusal["message"]
    assert key not in answer.body


LIVE_FIRST = [
    pytest.param(lambda test: ["sk_live_" + "L" * 24, test], id="live-key-first"),
    pytest.param(lambda test: [test, "sk_live_" + "L" * 24], id="live-key-last"),
    pytest.param(lambda test: ["pk_test_" + "P" * 24, test], id="publishable-first"),
    pytest.param(lambda test: ["rk_live_" + "R" * 24, test], id="restricted-live-first"),
]


async def two_bearers_then_one(
    fake: RecordingStripe, url: str, own: str, both: list[str]
) -> tuple[list[Any], Any]:
    """Through the MCP SDK's own client, on a session `own` opened legitimately: a payment
    sent with `Authorization: Bearer <each of both>` (must fail), then with `own` alone.
    What reached Stripe during the first, and the second's result."""
    armed = False

    async def tamper(request: httpx2.Request) -> None:
        if armed:
            rest = [(k, v) for k, v in request.headers.raw if k.lower() != b"authorization"]
            request.headers = httpx2.Headers(
                [*((b"Authorization", f"Bearer {k}".encode()) for k in both), *rest]
            )

    async with httpx2.AsyncClient(
        headers={"Authorization": f"Bearer {own}"}, event_hooks={"request": [tamper]}, timeout=30
    ) as http:
        async with Client(streamable_http_client(f"{url}/mcp", http_client=http), mode="legacy") as client:
            armed = True
            with pytest.raises((MCPError, httpx2.HTTPStatusError)):
                await client.call_tool("create_payment_intent", PAY)
            refused = list(fake.requests)
            armed = False
            return refused, await client.call_tool("create_payment_intent", PAY)


@pytest.mark.parametrize("mode", ["client-keys"])
@pytest.mark.parametrize("keys", LIVE_FIRST)
async def test_a_live_key_beside_a_test_key_never_reaches_stripe(
    fake: RecordingStripe, team_server: Any, keys: Any
) -> None:
    """The attack of issue 24: two Authorization headers, a live (or publishable) key and a test
    key; before, authentication read one and the tools the other."""
    fake.on("POST", "/v1/payment_intents", INTENT)
    with team_server() as served:
        test = served.bearer("alice")
        refused, done = await two_bearers_then_one(fake, served.url, test, keys(test))
    assert refused == []
    assert not done.is_error, done
    assert [r.headers.get("Authorization") for r in fake.requests] == [f"Bearer {test}"]


@pytest.fixture(scope="module")
def foreign_idp() -> Iterator[OpenIdProvider]:
    """Another OpenID provider, with the same people: its tokens are well formed, signed, for
    the same resource and subject, and from an issuer the server does not trust."""
    with openid_provider() as provider:
        yield provider


TWO_TOKENS = [
    pytest.param(lambda own, other, foreign: [own, foreign], id="valid-first-foreign-second"),
    pytest.param(lambda own, other, foreign: [foreign, own], id="foreign-first-valid-second"),
    pytest.param(lambda own, other, foreign: [own, other], id="own-first-other-person-second"),
    pytest.param(lambda own, other, foreign: [other, own], id="other-person-first-own-second"),
    pytest.param(lambda own, other, foreign: [own, own], id="own-token-twice"),
]


@pytest.mark.parametrize("mode", ["oauth"])
@pytest.mark.parametrize("tokens", TWO_TOKENS)
async def test_two_access_tokens_are_refused_before_either_is_read(
    fake: RecordingStripe, team_server: Any, foreign_idp: OpenIdProvider, tokens: Any
) -> None:
    """OAuth mode, the same attack: Alice's valid token beside a token from an issuer the server
    does not trust, or beside Carol's (another person, another access rule and Stripe key).
    400 before any token is read; then Alice's token alone pays, with her rule's key."""
    fake.on("POST", "/v1/payment_intents", INTENT)
    with team_server() as served:
        own, other = served.bearer("alice"), served.bearer("carol")
        foreign = foreign_idp.token("alice", f"{served.url}/mcp")
        refused, done = await two_bearers_then_one(fake, served.url, own, tokens(own, other, foreign))
        people = served.people_in_audit()
    assert refused == []
    assert not done.is_error, done
    assert [r.headers.get("Authorization") for r in fake.requests] == [f"Bearer {served.stripe_key('alice')}"]
    assert people == {"alice"}


@pytest.mark.parametrize(
    "authorization",
    ["Bearer {k}, Bearer {k}", "Bearer {k} extra", "bearer\t{k}", "Basic {k}", "Bearer", "{k}"],
)
def test_a_malformed_authorization_is_401_and_sends_nothing(
    fake: RecordingStripe, team_server: Any, mode: str, authorization: str
) -> None:
    with team_server() as served:
        key = served.bearer("alice")
        session = open_session(served.url, key)
        lines = [(n, v) for n, v in mcp_headers(key, session) if n != "Authorization"]
        body = rpc_body("tools/call", {"name": "create_payment_intent", "arguments": PAY})
        answer = send(served.url, "POST", [("Authorization", authorization.format(k=key)), *lines], body)
    assert answer.status == 401 and answer.headers["www-authenticate"].startswith("Bearer ")
    if mode == "oauth":  # the challenge that starts sign-in (MCP authorization spec)
        assert (
            f'resource_metadata="{served.url}/.well-known/oauth-protected-resource/mcp"'
            in (answer.headers["www-authenticate"])
        )
    assert key not in answer.body
    assert fake.requests == []


# -- 2. a session belongs to the key (or person) that opened it -----------------------------

SESSION_USES: dict[str, tuple[str, bytes]] = {
    "tools/call": ("POST", rpc_body("tools/call", {"name": "create_payment_intent", "arguments": PAY})),
    "logging/setLevel": ("POST", rpc_body("logging/setLevel", {"level": "debug"})),
    "GET stream": ("GET", b""),
    "DELETE": ("DELETE", b""),
}


@pytest.mark.parametrize("use", sorted(SESSION_USES))
def test_another_key_holding_the_session_id_cannot_use_it(
    fake: RecordingStripe, team_server: Any, mode: str, use: str
) -> None:
    """In OAuth mode Mallory is in Alice's group: the same access rule and Stripe key, another
    person. The session is Alice's all the same."""
    fake.on("POST", "/v1/payment_intents", INTENT)
    method, body = SESSION_USES[use]
    with team_server() as served:
        alice, mallory = served.bearer("alice"), served.bearer("mallory")
        session = open_session(served.url, alice)
        headers = mcp_headers(mallory, session)
        if method == "GET":
            headers = [(n, "text/event-stream" if n == "Accept" else v) for n, v in headers]
        stolen = send(served.url, method, headers, body)
        still_open = served.sessions
        # Alice's session is untouched: her call runs, at her level, on her account.
        mine = call_tool(served.url, alice, session, "create_payment_intent", PAY)
        people = served.people_in_audit()
    assert stolen.status == 404, stolen  # as for a session that does not exist
    assert "Session not found" in stolen.body
    assert still_open == 1
    assert mine.status == 200 and mine.rpc()["result"].get("isError") is not True, mine
    assert [r.headers.get("Authorization") for r in fake.requests] == [f"Bearer {served.stripe_key('alice')}"]
    assert people == ({"alice"} if mode == "oauth" else {None})


@pytest.mark.parametrize("mode", ["oauth"])
def test_a_session_belongs_to_the_person_not_to_one_token(fake: RecordingStripe, team_server: Any) -> None:
    """A person's new access token (a client refreshes it every few minutes) is the same
    principal: it keeps using the session, and counts toward the same per-client session cap."""
    fake.on("POST", "/v1/payment_intents", INTENT)
    with team_server(max_sessions_per_client=2) as served:
        first, second, third = (served.sign_in("alice") for _ in range(3))
        assert len({first, second, third}) == 3
        opened = [open_session(served.url, first), open_session(served.url, second)]
        init = {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
        over = send(served.url, "POST", mcp_headers(third)[:3], rpc_body("initialize", init))
        used = call_tool(served.url, third, opened[0], "create_payment_intent", PAY)
    assert over.status == 429 and "--max-sessions-per-client" in json.loads(over.body)["message"]
    assert used.status == 200 and used.rpc()["result"].get("isError") is not True, used
    assert [r.headers.get("Authorization") for r in fake.requests] == [f"Bearer {served.stripe_key('alice')}"]


def test_the_tools_run_with_the_session_owners_key_not_a_header_claim(
    fake: RecordingStripe, team_server: Any
) -> None:
    """Two clients, two sessions: each call reaches Stripe with the key of its own request (in
    OAuth mode, of its person's access rule)."""
    fake.on("GET", "/v1/customers", {"object": "list", "data": [], "has_more": False, "url": "/v1/customers"})
    people = ["alice", "carol"]
    with team_server() as served:
        sessions = [open_session(served.url, served.bearer(name)) for name in people]
        for name, session in zip(people * 2, sessions * 2, strict=True):
            answer = call_tool(served.url, served.bearer(name), session, "list_customers", {})
            assert answer.status == 200 and answer.rpc()["result"].get("isError") is not True, answer
        keys = [served.stripe_key(name) for name in people * 2]
    assert len(set(keys)) == 2
    assert [r.headers.get("Authorization") for r in fake.requests] == [f"Bearer {k}" for k in keys]


# -- 3. limits ------------------------------------------------------------------------------


def test_idle_sessions_are_reclaimed(team_server: Any) -> None:
    with team_server(session_idle_timeout=0.5) as served:
        key = served.bearer("alice")
        opened = [open_session(served.url, key) for _ in range(5)]
        counted = served.sessions
        deadline = time.monotonic() + 20
        while served.sessions and time.monotonic() < deadline:
            time.sleep(0.05)
        left = served.sessions
        after = [call_tool(served.url, key, s, "get_account_info", {}).status for s in opened]
        fresh = open_session(served.url, key)  # the server still opens new ones
    assert counted == 5
    assert left == 0
    assert after == [404] * 5
    assert fresh not in opened


def test_sessions_per_client_are_capped(team_server: Any) -> None:
    """Per key, or in OAuth mode per person (Bob shares Alice's access rule and Stripe key)."""
    with team_server(max_sessions_per_client=2) as served:
        alice, bob = served.bearer("alice"), served.bearer("bob")
        first = [open_session(served.url, alice) for _ in range(2)]
        init = {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
        third = send(served.url, "POST", mcp_headers(alice)[:3], rpc_body("initialize", init))
        bobs = open_session(served.url, bob)  # another client is not held back by Alice's sessions
        ended = send(served.url, "DELETE", mcp_headers(alice, first[0]))
        again = open_session(served.url, alice)
        count = served.sessions
    assert third.status == 429 and third.headers["retry-after"] == "1"
    assert "--max-sessions-per-client" in json.loads(third.body)["message"]
    assert bobs and again and ended.status == 200
    assert count == 3


def test_requests_in_flight_per_session_are_capped(team_server: Any) -> None:
    """The session's GET stream holds its one slot: a POST on the session waits its turn (429)
    until the stream closes. Ordering comes from the guard's own count, not from sleeps."""
    with team_server(max_requests_per_session=1) as served:
        key = served.bearer("alice")
        session = open_session(served.url, key)
        parts = urlsplit(served.url)
        stream = socket.create_connection((parts.hostname, parts.port or 0), timeout=30)
        try:
            lines = [f"{n}: {v}" for n, v in mcp_headers(key, session) if n != "Accept"]
            request = f"GET /mcp HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n"
            stream.sendall((request + "\r\n".join(lines) + "\r\n\r\n").encode())
            deadline = time.monotonic() + 10
            while served.guard.busy[("session", session)] < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            busy = call_tool(served.url, key, session, "get_account_info", {})
        finally:
            stream.close()
        deadline = time.monotonic() + 10
        while served.guard.busy[("session", session)] and time.monotonic() < deadline:
            time.sleep(0.02)
        free = call_tool(served.url, key, session, "get_account_info", {})
    assert busy.status == 429 and "--max-requests-per-session" in json.loads(busy.body)["message"]
    assert free.status == 200


def metadata_call(keys: int) -> bytes:
    metadata = {f"k{i}": "v" for i in range(keys)}
    arguments = {"email": "a@example.com", "metadata": metadata}
    return rpc_body("tools/call", {"name": "create_customer", "arguments": arguments})


def test_200000_metadata_keys_are_refused_unread_while_others_are_served(
    fake: RecordingStripe, team_server: Any
) -> None:
    """The body is declared, its first kilobyte sent, and the answer (413) arrives while the
    rest is still unsent: the server refused from the header, reading and parsing nothing.
    Meanwhile another client's /healthz is answered. Then the same body without a length
    (chunked): refused once the bytes read pass the limit."""
    body = metadata_call(200_000)
    assert len(body) > 1024 * 1024
    with team_server() as served:
        key = served.bearer("alice")
        session = open_session(served.url, key)
        parts = urlsplit(served.url)
        head = "\r\n".join(
            ["POST /mcp HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {len(body)}"]
            + [f"{n}: {v}" for n, v in mcp_headers(key, session)]
        )
        big = socket.create_connection((parts.hostname, parts.port or 0), timeout=30)
        try:
            big.sendall(head.encode() + b"\r\n\r\n" + body[:1024])
            answer = read_answer(big)
            health = httpx2.get(f"{served.url}/healthz")  # while the big request is still open
        finally:
            big.close()
        chunked = send(
            served.url, "POST", [*mcp_headers(key, session), ("Transfer-Encoding", "chunked")],
            b"".join(f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in _chunks(body)) + b"0\r\n\r\n",
        )  # fmt: skip
        small = call_tool(served.url, key, session, "create_customer", {"email": "a@example.com"})
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert "--max-request-bytes" in answer
    assert health.status_code == 200
    assert chunked.status == 413 and "--max-request-bytes" in chunked.body
    assert small.status == 200  # a normal call on the same session still works
    assert [r.path for r in fake.requests] == ["/v1/customers"]


def read_answer(sock: socket.socket) -> str:
    """One HTTP answer (head and Content-Length body) off a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
    )
    while len(rest) < length:
        rest += sock.recv(65536)
    return (head + b"\r\n\r\n" + rest).decode()


def _chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _raw_call(tool: str, arguments_json: str) -> bytes:
    return (
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"'
        + tool
        + '","arguments":'
        + arguments_json
        + "}}"
    ).encode()


def _deep(depth: int, opener: str, closer: str) -> str:
    return opener * depth + '"x"' + closer * depth


DEEP_OR_HUGE = [
    *(pytest.param("call_stripe_api", '{"method":"POST","path":"/v1/customers","params":{"metadata":' + _deep(d, '{"a":', "}") + "}}", id=f"metadata-{d}-deep") for d in (30, 150, 500, 5000)),
    *(pytest.param("call_stripe_api", '{"method":"GET","path":"/v1/customers","params":{"expand":' + _deep(d, "[", "]") + "}}", id=f"expand-{d}-deep") for d in (30, 150, 500, 5000)),
    *(pytest.param("create_customer", '{"metadata":' + _deep(d, '{"a":', "}") + "}", id=f"typed-metadata-{d}-deep") for d in (150, 5000)),
    *(pytest.param("call_stripe_api", '{"method":"POST","path":"/v1/customers","params":{"balance":' + n + "}}", id=f"integer-{len(n)}-chars") for n in ("9" * 20, "9" * 400, "9" * 4000, "9" * 5000, "1e309")),
    *(pytest.param("create_refund", '{"payment_intent":"pi_1","amount":' + n + "}", id=f"amount-{len(n)}-chars") for n in ("9" * 400, "9" * 5000, "-" + "9" * 30)),
]  # fmt: skip


@pytest.mark.parametrize("mode", ["client-keys"])  # parsing and tools: the same in every mode
@pytest.mark.parametrize(("tool", "arguments"), DEEP_OR_HUGE)
def test_deep_or_huge_json_is_answered_never_a_5xx_and_sends_nothing(
    fake: RecordingStripe, team_server: Any, tool: str, arguments: str
) -> None:
    """Over HTTP: the JSON parser refuses what it cannot read (400), the tools refuse the rest
    by name; nothing reaches Stripe."""
    with team_server() as served:
        key = served.bearer("alice")
        session = open_session(served.url, key)
        answer = send(served.url, "POST", mcp_headers(key, session), _raw_call(tool, arguments))
        health = httpx2.get(f"{served.url}/healthz")
    assert answer.status < 500, answer
    message = answer.rpc()
    if answer.status == 200:
        result = message["result"]
        text = result["content"][0]["text"]
        assert result["isError"] is True and "`" in text, text  # refused by name, not a crash
        assert not re.fullmatch(r"Error executing tool \w+:?\s*", text), text
    else:
        assert answer.status == 400 and message["error"]["code"] == -32700, message
    assert fake.requests == [] and health.status_code == 200


def test_limit_flags_and_variables() -> None:
    from stripe_power.cli import build_parser, http_limits
    from stripe_power.errors import ConfigError

    args = build_parser().parse_args(["serve", "--session-idle-timeout", "2.5", "--max-sessions", "7"])
    limits = http_limits(args, {"STRIPE_POWER_MAX_REQUEST_BYTES": "2048", "STRIPE_POWER_MAX_SESSIONS": "9"})
    assert limits == HttpLimits(session_idle_timeout=2.5, max_sessions=7, max_request_bytes=2048)
    assert http_limits(build_parser().parse_args(["serve"]), {}) == HttpLimits()
    for bad in ("0", "-1", "many", "inf", "nan"):
        with pytest.raises(ConfigError, match=r"--max-requests-per-session .*positive number"):
            http_limits(build_parser().parse_args(["serve", "--max-requests-per-session", bad]), {})


PRM = "/.well-known/oauth-protected-resource"  # OAuth mode's Protected Resource Metadata


@pytest.mark.parametrize(
    "path",
    ["/mcp", "/mcp/", "//mcp", "/%6dcp", "/./mcp", "/x/../mcp", "/MCP", "/healthz/", "/nothing",
     f"{PRM}/mcp/", f"/{PRM}/mcp", f"{PRM}/x/../mcp", f"{PRM}/", f"{PRM}x"],
)  # fmt: skip
def test_every_path_but_the_public_ones_needs_the_credential(team_server: Any, mode: str, path: str) -> None:
    """Fail-closed: the guard lets through exact public paths only, not whatever a router
    might read as /mcp (nor, in OAuth mode, as the metadata). In OAuth mode the metadata is
    public, and the 401 is the challenge that points at it."""
    init = {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    with team_server() as served:
        answer = send(served.url, "POST", mcp_headers("")[1:3], rpc_body("initialize", init), path=path)
        health = send(served.url, "GET", [], path="/healthz")
        metadata = [send(served.url, "GET", [], path=p) for p in (PRM, f"{PRM}/mcp")]
        opened = served.sessions
    assert answer.status == 401, answer
    assert health.status == 200 and opened == 0
    if mode == "oauth":
        assert answer.headers["www-authenticate"] == (
            f'Bearer resource_metadata="{served.url}{PRM}/mcp", scope="stripe"'
        )
        assert [m.status for m in metadata] == [200, 200]
        assert {json.loads(m.body)["resource"] for m in metadata} == {f"{served.url}/mcp"}
    else:
        assert [m.status for m in metadata] == [401, 401]
