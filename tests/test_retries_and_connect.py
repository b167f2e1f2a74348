"""Duplicate protection for agents that retry, and Connect's Stripe-Account header."""

from __future__ import annotations

from stripe_power.server import REPLAY_NOTE

from .conftest import Connect, error_text, payload
from .fakes import Answer, Recorded, RecordingStripe

CUSTOMER = {"id": "cus_1", "object": "customer", "email": "a@example.com"}


def replaying_customers(fake: RecordingStripe) -> None:
    """Answers like Stripe's idempotency cache: a key seen before gets the first result again,
    with `Idempotent-Replayed: true`."""
    seen: set[str] = set()

    def answer(request: Recorded) -> Answer:
        key = request.headers["Idempotency-Key"]
        replay = key in seen
        seen.add(key)
        return 200, CUSTOMER, {"Idempotent-Replayed": "true" if replay else "false"}

    fake.on("POST", "/v1/customers", answer)


async def test_identical_write_within_window_reuses_the_key(fake: RecordingStripe, connect: Connect) -> None:
    replaying_customers(fake)
    fake.on("GET", "/v1/customers/cus_1", {**CUSTOMER, "name": "Renamed since"})
    async with connect() as client:
        first_result = payload(await client.call_tool("create_customer", {"email": "a@example.com"}))
        retry_result = payload(await client.call_tool("create_customer", {"email": "a@example.com"}))
        payload(await client.call_tool("create_customer", {"email": "b@example.com"}))
    assert "replayed" not in first_result
    # The replay says so in words and shows the customer as it is now (re-read), not the stale answer.
    assert retry_result == first_result | {
        "name": "Renamed since",
        "replayed": True,
        "replay_note": REPLAY_NOTE,
    }
    assert [(r.method, r.path) for r in fake.requests] == [
        ("POST", "/v1/customers"), ("POST", "/v1/customers"), ("GET", "/v1/customers/cus_1"), ("POST", "/v1/customers")
    ]  # fmt: skip
    first, retry, different = (r.headers["Idempotency-Key"] for r in fake.requests if r.method == "POST")
    assert first == retry
    assert different != first


async def test_own_idempotency_key_or_zero_window_opts_out(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("POST", "/v1/customers", CUSTOMER)
    async with connect(replay_window_seconds=0) as client:
        for _ in range(2):
            payload(await client.call_tool("create_customer", {"email": "a@example.com"}))
    async with connect() as client:
        for key in ("k-1", "k-2"):
            payload(
                await client.call_tool("create_customer", {"email": "a@example.com", "idempotency_key": key})
            )
    keys = [r.headers["Idempotency-Key"] for r in fake.requests]
    assert len(set(keys)) == 4
    assert keys[2:] == ["k-1", "k-2"]


async def test_connect_adds_stripe_account_everywhere(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("GET", "/v1/customers/cus_1", CUSTOMER)
    async with connect(connect=True, stripe_account="acct_default1") as client:
        tools = (await client.list_tools()).tools
        assert all("stripe_account" in t.input_schema["properties"] for t in tools)
        payload(
            await client.call_tool(
                "retrieve_customer", {"customer": "cus_1", "stripe_account": "acct_other2"}
            )
        )
        payload(await client.call_tool("retrieve_customer", {"customer": "cus_1"}))
        bad = error_text(
            await client.call_tool("retrieve_customer", {"customer": "cus_1", "stripe_account": "cus_1"})
        )
    assert "`stripe_account`" in bad
    assert [r.headers.get("Stripe-Account") for r in fake.requests] == ["acct_other2", "acct_default1"]


async def test_direct_charge_with_destination_is_refused(fake: RecordingStripe, connect: Connect) -> None:
    async with connect(connect=True) as client:
        message = error_text(await client.call_tool(
            "call_stripe_api",
            {"method": "POST", "path": "/v1/payment_intents", "stripe_account": "acct_direct1",
             "params": {"amount": 1000, "currency": "usd", "transfer_data": {"destination": "acct_other2"}}},
        ))  # fmt: skip
    assert "connect-charge-type" in message and "direct charge" in message
    assert fake.requests == []


async def test_a_final_error_frees_the_key_and_a_replayed_error_says_so(
    fake: RecordingStripe, connect: Connect
) -> None:
    answers = iter([
        (400, {"error": {"type": "invalid_request_error", "code": "parameter_missing", "message": "Missing x"}},
         {"Idempotent-Replayed": "false"}),
        (200, CUSTOMER, {"Idempotent-Replayed": "false"}),
    ])  # fmt: skip
    fake.on("POST", "/v1/customers", lambda _request: next(answers))
    async with connect() as client:
        error_text(await client.call_tool("create_customer", {"email": "a@example.com"}))
        # the caller fixed what was wrong elsewhere and retries the identical call: it must really run
        payload(await client.call_tool("create_customer", {"email": "a@example.com"}))
    first, retry = (r.headers["Idempotency-Key"] for r in fake.requests)
    assert first != retry

    fake.requests.clear()
    stored = {"error": {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}}
    fake.on("POST", "/v1/customers", (lambda _r: (402, stored, {"Idempotent-Replayed": "true"})))
    async with connect() as client:
        message = error_text(await client.call_tool("create_customer", {"email": "b@example.com"}))
    assert "stored answer to an identical call" in message and "new idempotency_key" in message


RATE_LIMITED = {
    "error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests."}
}


async def test_rate_limited_writes_are_retried_with_the_same_key(
    fake: RecordingStripe, connect: Connect
) -> None:
    answers = iter([(429, RATE_LIMITED, {"Retry-After": "0"}), (200, CUSTOMER)])
    fake.on("POST", "/v1/customers", lambda _request: next(answers))
    async with connect() as client:
        assert payload(await client.call_tool("create_customer", {"email": "a@example.com"}))["id"] == "cus_1"
    first, retry = fake.requests
    assert first.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"]


async def test_rate_limit_that_persists_is_a_clear_error(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("POST", "/v1/customers", lambda _request: (429, RATE_LIMITED, {"Retry-After": "0"}))
    async with connect() as client:
        message = error_text(await client.call_tool("create_customer", {"email": "a@example.com"}))
    assert "code=rate_limit" in message and "Wait a moment and retry" in message
    assert len(fake.requests) == 3  # the first try and two retries (max_network_retries)


async def test_the_gateway_retries_what_stripe_says_to(fake: RecordingStripe, connect: Connect) -> None:
    """409 (a lock) is retried; Stripe-Should-Retry overrides the status either way."""
    lock = {"error": {"type": "invalid_request_error", "code": "lock_timeout", "message": "Locked."}}
    down = {"error": {"type": "api_error", "message": "Down."}}
    bad = {"error": {"type": "invalid_request_error", "message": "Nope."}}
    cases = [
        ((409, lock, {"Retry-After": "0"}), 2),
        ((503, down, {"Retry-After": "0", "Stripe-Should-Retry": "false"}), 1),
        ((400, bad, {"Retry-After": "0", "Stripe-Should-Retry": "true"}), 2),
    ]
    for first, expected in cases:
        fake.requests.clear()
        answers = iter([first])
        fake.on("POST", "/v1/customers", lambda _request, answers=answers: next(answers, (200, CUSTOMER)))
        async with connect(replay_window_seconds=0) as client:
            await client.call_tool("create_customer", {"email": "a@example.com"})
        assert len(fake.requests) == expected, first
        assert len({r.headers["Idempotency-Key"] for r in fake.requests}) == 1
