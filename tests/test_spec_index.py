"""The packaged spec index: fresh, small, and right about Stripe's parameters at any depth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from stripe_power import spec
from stripe_power.spec import _build

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path(os.environ.get("STRIPE_OPENAPI_DIR", ROOT.parent / "shared" / "stripe-openapi"))
PACKAGE = ROOT / "src" / "stripe_power" / "spec"


@pytest.mark.skipif(
    not (SOURCE / "spec3.json").is_file(), reason=f"no spec3.json at {SOURCE} to compare with"
)
def test_index_is_generated_from_the_current_spec() -> None:
    fresh = _build.encode(_build.build(json.loads((SOURCE / "spec3.json").read_text())))
    assert (PACKAGE / _build.INDEX_NAME).read_bytes() == fresh, "stale: run python scripts/gen_spec_index.py"
    fixtures = _build.encode(json.loads((SOURCE / "fixtures3.json").read_text()))
    assert (PACKAGE / _build.FIXTURES_NAME).read_bytes() == fixtures, "stale: run scripts/gen_spec_index.py"
    assert (PACKAGE / "LICENSE").read_text() == (SOURCE / "LICENSE").read_text()


def test_wheel_ships_the_index_and_stays_under_3_mb(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("stripe_power-*.whl")
    assert wheel.stat().st_size < 3 * 1024 * 1024, f"{wheel.stat().st_size:,} bytes"
    names = zipfile.ZipFile(wheel).namelist()
    for name in (_build.INDEX_NAME, _build.FIXTURES_NAME, "LICENSE"):
        assert f"stripe_power/spec/{name}" in names


def test_index_keeps_every_operation_of_the_spec() -> None:
    assert spec.version() == "2026-08-26.dahlia"
    assert len(spec.operations()) == 594
    assert {op.method for op in spec.operations()} == {"GET", "POST", "DELETE"}


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("POST", "/v1/invoices/create_preview", "/v1/invoices/create_preview"),
        ("POST", "/v1/invoices/in_123", "/v1/invoices/{invoice}"),
        ("GET", "/v1/customers/search", "/v1/customers/search"),
        ("GET", "/v1/customers/cus_1", "/v1/customers/{customer}"),
        ("POST", "/v1/payment_intents/pi_1/confirm", "/v1/payment_intents/{intent}/confirm"),
        ("DELETE", "/v1/customers/cus_1/", "/v1/customers/{customer}"),
    ],
)
def test_a_concrete_path_resolves_to_its_template(method: str, path: str, template: str) -> None:
    op = spec.resolve(method, path)
    assert op is not None and op.path == template


def test_unknown_paths_and_methods_resolve_to_nothing() -> None:
    assert spec.resolve("GET", "/v1/nonsense") is None
    assert spec.resolve("DELETE", "/v1/payment_intents/pi_1") is None
    assert spec.path_exists("/v1/payment_intents/pi_1")
    assert not spec.path_exists("/v1/nonsense/x")


def test_check_names_nested_problems_the_way_stripe_does() -> None:
    op = spec.resolve("POST", "/v1/checkout/sessions")
    assert op is not None
    problems = spec.check(
        op,
        {
            "mode": "paymnt",
            "line_items": [
                {"price_data": {"product_data": {"nam": "T"}, "unit_amount": True}, "quantity": 1}
            ],
        },
    )
    by_param = {p.param: p for p in problems}
    assert by_param["line_items[0][price_data][product_data][nam]"].code == "parameter_unknown"
    assert by_param["line_items[0][price_data][product_data][nam]"].suggestion == "name"
    assert by_param["line_items[0][price_data][product_data][name]"].code == "parameter_missing"
    assert by_param["line_items[0][price_data][currency]"].code == "parameter_missing"
    assert by_param["line_items[0][price_data][unit_amount]"].code == "parameter_invalid_integer"
    # Stripe sends no code for a value outside an enum (its documented codes have none for it).
    assert by_param["mode"].code is None
    assert by_param["mode"].message == "Invalid mode: must be one of payment, setup, or subscription"
    assert by_param["mode"].suggestion == "payment"
    assert (
        by_param["line_items[0][price_data][product_data][nam]"].dotted
        == "line_items.0.price_data.product_data.nam"
    )


def test_check_accepts_stripes_own_shapes() -> None:
    op = spec.resolve("POST", "/v1/checkout/sessions")
    assert op is not None
    workflow = {
        "mode": "payment",
        "success_url": "https://example.com/ok",
        "line_items": [
            {
                "price_data": {"currency": "usd", "product_data": {"name": "T-shirt"}, "unit_amount": 2000},
                "quantity": 1,
            }
        ],
        "metadata": {"order": "42", "7": "digit keys are fine"},
        "expand": ["payment_intent"],
    }
    assert spec.check(op, workflow) == []
    customer = spec.resolve("POST", "/v1/customers/cus_1")
    assert customer is not None
    assert spec.check(customer, {"address": ""}) == []  # emptyable: unsets it
    assert [p.code for p in spec.check(customer, {"email": ""})] == ["parameter_invalid_empty"]
    assert [p.param for p in spec.check(customer, {"address": {"lin2": "x"}})] == ["address[lin2]"]


def test_check_in_wire_terms_reads_form_strings() -> None:
    op = spec.resolve("POST", "/v1/payment_intents")
    assert op is not None
    assert spec.check(op, {"amount": "2000", "currency": "usd", "confirm": "true"}, wire=True) == []
    assert [p.code for p in spec.check(op, {"amount": "20.5", "currency": "usd"}, wire=True)] == [
        "parameter_invalid_integer"
    ]
    assert [p.param for p in spec.check(op, {"currency": "usd"}, wire=True)] == ["amount"]


def test_holders_find_a_parameter_at_any_depth() -> None:
    found = spec.holders("payment_method_types")
    assert found["POST /v1/payment_intents/{intent}/confirm"] == [("payment_method_types",)]
    assert found["POST /v1/customers/{customer}/subscriptions"] == [
        ("payment_settings", "payment_method_types")
    ]
    assert "POST /v1/setup_intents" in found and "POST /v1/checkout/sessions" in found
    assert all(key.startswith("POST ") for key in found)


def test_lookup_describes_one_nested_parameter() -> None:
    op = spec.resolve("POST", "/v1/checkout/sessions")
    assert op is not None
    recurring = spec.lookup(op, "line_items[0][price_data][recurring]")
    assert recurring is not None and recurring["required"] == ["interval"]
    assert spec.lookup(op, "line_items.price_data.recurring") == recurring
    assert spec.lookup(op, "line_items.nope") is None


def test_returns_names_the_object_type() -> None:
    assert spec.resolve("POST", "/v1/refunds").returns == "refund"  # type: ignore[union-attr]
    assert spec.resolve("GET", "/v1/customers").returns == "list of customer"  # type: ignore[union-attr]
    assert spec.resolve("DELETE", "/v1/customers/cus_1").returns == "deleted_customer"  # type: ignore[union-attr]
