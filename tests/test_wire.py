"""One canonical request (issue 24, items 2, 3, 4, 12, 13): the Gateway encodes the parameters once
into the pairs the stripe SDK sends, and every check reads that one form. Two spellings of one wire
request are one request to every check; a spelling whose wire text Stripe would refuse is refused
before anything is sent. Refusals are proven by the fake Stripe's empty request log.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stripe._encode import _api_encode

from stripe_power import spec
from stripe_power.audit import audit_line, redact_text
from stripe_power.errors import InputError
from stripe_power.guardrails import find_card_number, violation
from stripe_power.kinds import kind_of
from stripe_power.wire import MAX_DEPTH, MAX_VALUES, canonical

from .conftest import Connect, error_text, payload
from .fakes import RecordingStripe
from .test_guardrail_coverage import CONNECT_CASES, PMT_CASES, concrete, minimal, put

UNKNOWN = "/v1/not_in_the_index"  # an operation the spec index lacks: no reshaping by the spec


def sdk_pairs(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the stripe SDK puts on the wire for `params` (its own encoder, then urlencode's str())."""
    return [
        (key, value if isinstance(value, str) else str(value)) for key, value in _api_encode(dict(params))
    ]


# --- the encoding is the SDK's -------------------------------------------------------------------
NAMES = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(lambda n: n != "metadata")
SCALARS = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.floats(allow_nan=False, allow_infinity=False),
)
# Inside objects booleans and null may appear (the SDK writes true/false and leaves null out);
# inside lists only what the SDK writes the same way the Gateway does.
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3),
        st.dictionaries(NAMES, st.one_of(inner, st.booleans(), st.none()), min_size=1, max_size=3),
    ),
    max_leaves=12,
)


@given(st.dictionaries(NAMES, st.one_of(VALUES, st.booleans(), st.none()), max_size=5))
def test_the_pairs_are_the_sdks_pairs(params: dict[str, Any]) -> None:
    assert list(canonical("POST", UNKNOWN, params).pairs) == sdk_pairs(params)


async def test_what_is_sent_is_byte_for_byte_what_the_sdk_encodes(
    fake: RecordingStripe, connect: Connect
) -> None:
    """Through the MCP tool and the real SDK over HTTP: the fake receives exactly the SDK's pairs for
    the raw params, which are the pairs every check read."""
    fake.on("POST", UNKNOWN, {"id": "x_1", "object": "thing"})
    sent = [
        {"a": 1.5, "b": True, "c": None, "d": [{"e": 2, "f": False}, {"g": "h"}], "i": ["j", 3]},
        {"big": 10**16, "float": 4.5e20, "text": "naïve & =?[]", "nested": {"x": {"y": {"z": 0}}}},
    ]
    async with connect() as client:
        for params in sent:
            payload(
                await client.call_tool(
                    "call_stripe_api", {"method": "POST", "path": UNKNOWN, "params": params}
                )
            )
    assert [r.form for r in fake.requests] == [sdk_pairs(p) for p in sent]
    assert [r.form for r in fake.requests] == [list(canonical("POST", UNKNOWN, p).pairs) for p in sent]


def test_a_list_and_an_object_with_numeric_keys_are_one_request() -> None:
    items = [{"id": "si_1", "price": "price_2"}, {"price": "price_3", "quantity": 2}]
    as_list = canonical("POST", "/v1/subscriptions/sub_1", {"items": items})
    as_object = canonical("POST", "/v1/subscriptions/sub_1", {"items": {"1": items[1], "0": items[0]}})
    assert as_list.pairs == as_object.pairs
    assert as_list.params == as_object.params and isinstance(as_object.params["items"], list)
    assert as_object.params["items"][1]["quantity"] == 2  # typed as Stripe reads it
    # metadata is a hash: numeric keys stay keys
    assert canonical("POST", "/v1/customers", {"metadata": {"0": "a"}}).params["metadata"] == {"0": "a"}


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"items": {"1": {"price": "price_1"}}}, "params.items"),  # no element 0
        ({"items": {"00": {"price": "price_1"}}}, "params.items"),  # not a position Stripe reads
        ({"expand": ["customer", None]}, "params.expand.1"),
        ({"metadata": {"": "x"}}, "params.metadata"),
        ({"metadata": {"a[b]": "x"}}, "params.metadata.a[b]"),
        ({"items": [{"price": "price_1", "x": object()}]}, "params.items.0.x"),
        ({"metadata": {"n": 10**5000}}, "params.metadata.n"),  # more digits than Python writes as text
    ],
)
def test_what_stripe_cannot_mean_is_refused_naming_the_parameter(params: dict[str, Any], param: str) -> None:
    with pytest.raises(InputError) as refused:
        canonical("POST", "/v1/subscriptions/sub_1", params)
    assert f"Invalid `{param}`" in str(refused.value)


# --- money-deciding parameters in every spelling -------------------------------------------------
NEW = {"customer": "cus_1", "items": [{"price": "price_1"}]}
SUB = {**NEW, "payment_behavior": "allow_incomplete"}
TRIAL = {**SUB, "trial_period_days": 7}
# (path, other params, the parameter, a value that moves money now, a value that does not; None: absent)
MONEY_PARAMS = [
    ("/v1/subscriptions", SUB, "trial_period_days", 0, 7),
    ("/v1/subscriptions", SUB, "trial_end", "now", 4102444800),
    ("/v1/subscriptions", TRIAL, "backdate_start_date", 1700000000, None),
    ("/v1/subscriptions", NEW, "payment_behavior", "allow_incomplete", "default_incomplete"),
    ("/v1/subscriptions", TRIAL, "add_invoice_items", [{"price": "price_2"}], None),
    ("/v1/subscriptions/sub_1", {}, "proration_behavior", "always_invoice", "none"),
    ("/v1/subscriptions/sub_1", {}, "billing_cycle_anchor", "now", "unchanged"),
    ("/v1/subscriptions/sub_1", {}, "items", [{"id": "si_1", "price": "price_2"}], [{"id": "si_1", "quantity": 2}]),
    ("/v1/subscription_items/si_1", {}, "price", "price_2", None),
    ("/v1/subscription_schedules/sub_sched_1", {}, "phases", [{"items": [{"price": "price_2"}]}], None),
    ("/v1/invoices/in_1/finalize", {}, "auto_advance", True, False),
    ("/v1/invoices", {"customer": "cus_1"}, "auto_advance", True, False),
    ("/v1/invoices", {"customer": "cus_1", "auto_advance": True}, "collection_method", "charge_automatically",
     "send_invoice"),
    ("/v1/invoiceitems", {"customer": "cus_1", "currency": "usd"}, "amount", 500, None),
    ("/v1/transfers/tr_1/reversals", {}, "amount", 500, None),
]  # fmt: skip


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def spellings(value: Any) -> list[Any]:
    """Every JSON spelling of a value: as itself, a string (also with a space, and in another
    script's digits), an int, a float and a bool; lists as lists and as objects with numeric keys
    (at every depth)."""
    if isinstance(value, list):
        return [value, numeric_keys(value)]
    if isinstance(value, bool):
        return [value, str(value).lower(), int(value), float(value)]
    if isinstance(value, int):
        out: list[Any] = [value, str(value), float(value), f" {value}", str(value).translate(ARABIC_INDIC)]
        return out + ([bool(value)] if value in (0, 1) else [])
    return [value]


def numeric_keys(value: Any) -> Any:
    """Every list in `value` written as an object with the keys "0", "1", ..."""
    if isinstance(value, list):
        return {str(i): numeric_keys(item) for i, item in enumerate(value)}
    if isinstance(value, dict):
        return {k: numeric_keys(v) for k, v in value.items()}
    return value


def wire_text_is_valid(path: str, params: dict[str, Any]) -> bool:
    """Whether Stripe reads this spelling at all (else the spec check refuses it before sending)."""
    wire = canonical("POST", path, params)
    return wire.op is None or not spec.check(wire.op, wire.form, wire=True)


CASES = [
    (path, {**base, name: spelled}, money)
    for path, base, name, moves, stays in MONEY_PARAMS
    for value, money in ((moves, True), (stays, False))
    if value is not None
    for spelled in spellings(value)
]


def test_the_class_is_every_spelling_of_every_money_parameter() -> None:
    assert len(CASES) > 50
    names = {name for _, _, name, _, _ in MONEY_PARAMS}
    assert names >= {
        "trial_period_days",
        "trial_end",
        "auto_advance",
        "items",
        "phases",
        "amount",
        "proration_behavior",
    }


def _reply(request: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"id": "obj_1", "object": "thing", "status": "active"}


@pytest.mark.parametrize(
    "flags", [{"confirm_writes": True}, {"max_amount": "usd:1000"}], ids=["confirm", "limits"]
)
async def test_every_spelling_of_money_is_money(
    fake: RecordingStripe, connect: Connect, flags: dict[str, Any]
) -> None:
    """Each spelling either reads as its canonical value (money: held or refused, never sent; not
    money: sent as is) or is one Stripe would refuse, refused before sending."""
    for path, _, _, _, _ in MONEY_PARAMS:
        fake.on("POST", path, _reply)
    wrong, seen = [], set()
    async with connect(**flags) as client:
        for path, params, money in CASES:
            before = len(fake.requests)
            result = await client.call_tool(
                "call_stripe_api", {"method": "POST", "path": path, "params": params}
            )
            text = result.content[0].text  # type: ignore[union-attr]
            sent = len(fake.requests) > before
            valid = wire_text_is_valid(path, params)
            if money or not valid:
                held = "confirmation_required" in text or "guardrail `spending-limit`" in text
                refused = result.is_error and "Invalid `params." in text
                ok = not sent and (held if valid else (held or refused))
                seen.add("held" if held else "refused")
            else:
                seen.add("sent")
                ok = (
                    sent
                    and not result.is_error
                    and fake.requests[-1].form == list(canonical("POST", path, params).pairs)
                )
            if not ok:
                wrong.append(f"{path} {json.dumps(params)[:120]} money={money}: sent={sent} {text[:140]}")
    assert not wrong, "\n".join(wrong)
    assert seen == {"held", "refused", "sent"}


async def test_the_reports_first_attack_is_held(fake: RecordingStripe, connect: Connect) -> None:
    """Issue 24, item 2: trial_period_days "0" (a string) under --confirm-writes and --max-amount:
    the user is asked first, and once they agree the limits refuse it."""
    call = {"method": "POST", "path": "/v1/subscriptions",
            "params": {"customer": "cus_1", "items": [{"price": "price_5000"}], "trial_period_days": "0"}}  # fmt: skip
    async with connect(confirm_writes=True, max_amount="usd:100000") as client:
        held = json.loads(error_text(await client.call_tool("call_stripe_api", call)))
        token = {"confirmation_token": held["confirmation_token"]}
        text = error_text(await client.call_tool("call_stripe_api", call | token))
    assert "guardrail `spending-limit`" in text
    assert fake.requests == []


# --- lists written as objects, for every list a rule reads ----------------------------------------
def test_every_connect_holder_refuses_lists_written_as_objects() -> None:
    """Generated from the spec (the connect cases): every case, its lists as numeric-key objects,
    is refused by the same rule as in list form."""
    missed = []
    for label, key, params, account in CONNECT_CASES:
        method, template = key.split(" ", 1)
        expected = violation(canonical(method, concrete(template), params), stripe_account=account)
        found = violation(canonical(method, concrete(template), numeric_keys(params)), stripe_account=account)
        if expected is None or found is None or found.rule_id != expected.rule_id:
            missed.append(label)
    assert not missed, missed
    assert any("phases" in label for label, *_ in CONNECT_CASES)


def test_every_payment_method_types_holder_refuses_a_numeric_key_object() -> None:
    for key, place in PMT_CASES:
        op = spec.operation(*key.split(" ", 1))
        assert op is not None
        params = minimal(op)
        put(op, params, place, ["card"])
        found = violation(canonical(op.method, concrete(op.path), numeric_keys(params)))
        assert found is not None and found.rule_id == "payment-method-types", key


async def test_the_reports_object_attacks_are_refused_or_held(
    fake: RecordingStripe, connect: Connect
) -> None:
    """Issue 24, item 3, through the MCP tool: a schedule phase mixing charge types, and a
    subscription's items as an object, each in numeric-key object form."""
    phases = {"0": {"items": {"0": {"price": "price_1"}}, "on_behalf_of": "acct_A",
                    "transfer_data": {"destination": "acct_B"}}}  # fmt: skip
    async with connect() as client:
        mixed = error_text(await client.call_tool("call_stripe_api", {
            "method": "POST", "path": "/v1/subscription_schedules", "params": {"customer": "cus_1", "phases": phases},
        }))  # fmt: skip
    async with connect(confirm_writes=True) as client:
        held = error_text(await client.call_tool("call_stripe_api", {
            "method": "POST", "path": "/v1/subscriptions/sub_1",
            "params": {"items": {"0": {"id": "si_1", "price": "price_expensive"}}},
        }))  # fmt: skip
    assert "guardrail `connect-charge-type`" in mixed
    assert json.loads(held)["status"] == "confirmation_required"
    assert fake.requests == []


def test_kinds_read_lists_written_as_objects() -> None:
    for path, base, name, moves, _ in MONEY_PARAMS:
        if isinstance(moves, list):
            assert kind_of(canonical("POST", path, {**base, name: numeric_keys(moves)})) == "money", (
                path,
                name,
            )


# --- a confirmation token binds the wire request --------------------------------------------------
async def test_a_token_binds_the_request_not_its_spelling(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("POST", "/v1/subscriptions/sub_1", _reply)
    as_list = {"items": [{"id": "si_1", "price": "price_2"}]}
    async with connect(confirm_writes=True) as client:
        call = {"method": "POST", "path": "/v1/subscriptions/sub_1"}
        token = json.loads(error_text(await client.call_tool("call_stripe_api", call | {"params": as_list})))
        other = {"items": {"0": {"id": "si_1", "price": "price_3"}}}  # another price: another request
        refused = error_text(await client.call_tool(
            "call_stripe_api", call | {"params": other, "confirmation_token": token["confirmation_token"]}
        ))  # fmt: skip
        assert "different arguments" in refused and fake.requests == []
        same = {"items": {"0": {"id": "si_1", "price": "price_2"}}}  # the same request, spelled as an object
        payload(await client.call_tool(
            "call_stripe_api", call | {"params": same, "confirmation_token": token["confirmation_token"]}
        ))  # fmt: skip
    assert [r.form for r in fake.requests] == [[("items[0][id]", "si_1"), ("items[0][price]", "price_2")]]


# --- card numbers, whatever their type and place ---------------------------------------------------
PAN = 4242424242424242
CARD_PLACES: list[tuple[str, Any]] = [
    (
        "/v1/payment_methods",
        lambda v: {"type": "card", "card": {"number": v, "exp_month": 12, "exp_year": 2030}},
    ),
    ("/v1/customers", lambda v: {"metadata": {"note": v}}),
    ("/v1/customers", lambda v: {"description": v}),
    ("/v1/checkout/sessions", lambda v: {"line_items": [{"price_data": {"product_data": {"name": v}}}]}),
    ("/v1/customers", lambda v: {"metadata": {str(v): "x"}}),
    (UNKNOWN, lambda v: {"list": [[v]]}),
]


@pytest.mark.parametrize(
    "value", [PAN, float(PAN), str(PAN), "4242 4242 4242 4242"], ids=["int", "float", "str", "spaced"]
)
async def test_a_card_number_of_any_type_in_any_place_is_refused_and_never_written_down(
    fake: RecordingStripe, connect: Connect, tmp_path: Path, value: Any
) -> None:
    async with connect() as client:
        for path, build in CARD_PLACES:
            text = error_text(
                await client.call_tool(
                    "call_stripe_api", {"method": "POST", "path": path, "params": build(value)}
                )
            )
            assert "guardrail `raw-card-data`" in text, (path, text)
            assert "4242424242424242" not in text.replace(" ", "")
    audit = (tmp_path / "state" / "audit.jsonl").read_text()
    assert audit.count('"refused":"raw-card-data"') == len(CARD_PLACES)
    assert "4242424242424242" not in audit and "4242424242424242" not in audit.replace(" ", "")
    assert fake.requests == []


# --- ids are ids -----------------------------------------------------------------------------------
def own_ids() -> Iterator[str]:
    yield "call_3510878447072bb2"  # the report's id
    for n in range(3000):
        yield "call_" + secrets.token_hex(8)
        yield f"stripe-power-{uuid.UUID(int=n * 7919 + 4242424242424242)}"
        yield "conf_" + secrets.token_urlsafe(18)


def test_the_servers_own_ids_are_never_redacted() -> None:
    eaten = [i for i in own_ids() if redact_text(i) != i or redact_text(f"x {i} y") != f"x {i} y"]
    assert eaten == []
    line = json.loads(audit_line({"call": "call_3510878447072bb2", "tool": "create_refund"}))
    assert line["call"] == "call_3510878447072bb2"


def test_stripe_ids_with_digits_are_ids_and_a_glued_pan_is_not_one() -> None:
    assert find_card_number("pi_3510878447072bb2Qx") is None
    assert find_card_number("cs_test_a13510878447072bb2") is None
    assert find_card_number("sub_sched_1Q4242424242424242x") is None
    assert find_card_number("pi_4242424242424242") == "4242424242424242"  # all digits: not a Stripe id
    assert find_card_number("order_4242424242424242x") == "4242424242424242"  # not a Stripe prefix


# --- size and depth: refused before sending, cheaply -----------------------------------------------
class CountingDict(dict[str, Any]):
    """Counts how many entries a reader takes from it."""

    taken = 0

    def items(self) -> Any:  # type: ignore[override]
        for pair in super().items():
            CountingDict.taken += 1
            yield pair


@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        ({f"k{i}": "v" for i in range(51)}, "has 51 keys"),
        (
            {f"k{i}": "" for i in range(51)} | {f"s{i}": "v" for i in range(40)},
            None,
        ),  # 51 unsets are not 51 keys set
        ({"k" * 41: "v"}, "41 characters"),
        ({"k": "v" * 501}, "501 characters"),
        ({"k": 10**501}, "502 characters"),  # a number is its text
        ({f"k{i}": "v" for i in range(200_000)}, "has 200000 keys"),
    ],
)
async def test_metadata_beyond_stripes_limits_is_refused_before_sending(
    fake: RecordingStripe, connect: Connect, metadata: dict[str, Any], problem: str | None
) -> None:
    fake.on("POST", "/v1/customers", {"id": "cus_1", "object": "customer"})
    async with connect() as client:
        result = await client.call_tool(
            "call_stripe_api", {"method": "POST", "path": "/v1/customers", "params": {"metadata": metadata}}
        )
    if problem is None:
        payload(result)
        assert len(fake.requests) == 1
        return
    text = error_text(result)
    assert "Invalid `params.metadata" in text and problem in text and "Nothing was sent" in text
    assert fake.requests == []


def test_huge_inputs_are_refused_after_reading_a_bounded_part() -> None:
    """200,000 metadata keys: refused having read none of them (the count is known); 200,000 values
    elsewhere: refused after MAX_VALUES + 1 of them. Never the whole input."""
    CountingDict.taken = 0
    with pytest.raises(InputError, match="has 200000 keys"):
        canonical("POST", "/v1/customers", {"metadata": CountingDict({f"k{i}": "v" for i in range(200_000)})})
    assert CountingDict.taken == 0
    with pytest.raises(InputError, match=f"past {MAX_VALUES} values"):
        canonical("POST", UNKNOWN, {"blob": CountingDict({f"k{i}": i for i in range(200_000)})})
    assert CountingDict.taken == MAX_VALUES + 1


async def test_deep_nesting_is_refused_before_sending(fake: RecordingStripe, connect: Connect) -> None:
    deep: Any = "x"
    for _ in range(60):  # the MCP client itself serializes at most ~100 levels
        deep = {"a": deep}
    async with connect() as client:
        text = error_text(
            await client.call_tool(
                "call_stripe_api", {"method": "POST", "path": "/v1/customers", "params": {"metadata": deep}}
            )
        )
        listed = error_text(
            await client.call_tool(
                "call_stripe_api",
                {
                    "method": "GET",
                    "path": "/v1/customers",
                    "params": {"expand": [[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]},
                },
            )
        )
    assert (
        f"nests deeper than {MAX_DEPTH} levels" in text and f"nests deeper than {MAX_DEPTH} levels" in listed
    )
    assert fake.requests == []


def test_every_stripe_parameter_fits_the_limits() -> None:
    deepest = max(len(parts) for op in spec.operations() for parts, _ in spec.walk(op.params))
    assert deepest * 2 <= MAX_DEPTH  # a list position between every two names still fits
