"""Generate src/stripe_power/data/event_fixtures.json from Stripe's OpenAPI data.

    /work/venv/bin/python scripts/gen_event_fixtures.py [path/to/stripe-openapi]

Derived from spec3.json (the event type names webhook endpoints accept) and fixtures3.json
(one example object per resource), both MIT-licensed by Stripe, Inc. (LICENSE copied beside
the output as event_fixtures.LICENSE). Only the resources behind the event families most
integrations handle are kept, so the package stays small; send_test_webhook prefers the
account's own newest event of a type anyway.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "stripe_power" / "data"

KEPT = (
    "checkout.session", "payment_intent", "charge", "dispute", "refund", "customer", "subscription",
    "subscription_schedule", "invoice", "invoice_payment", "invoiceitem", "setup_intent", "setup_attempt",
    "payment_method", "mandate", "price", "product", "plan", "coupon", "promotion_code", "discount",
    "payment_link", "tax_id", "payout", "billing.meter", "credit_note", "quote",
)  # fmt: skip
# Event families whose object is not named by the type's prefix.
ALIASES = {"application_fee.refund": "fee_refund", "customer.source": "source"}


def resource_for(event_type: str, resources: dict[str, object]) -> str | None:
    parts = event_type.split(".")[:-1]
    prefix = ".".join(parts)
    for candidate in (ALIASES.get(prefix), prefix, parts[-1] if parts else None):
        if candidate and candidate in resources:
            return candidate
    return None


def main(source: Path) -> None:
    spec = json.loads((source / "spec3.json").read_text())
    resources = json.loads((source / "fixtures3.json").read_text())["resources"]
    body = spec["paths"]["/v1/webhook_endpoints"]["post"]["requestBody"]["content"]
    enum = body["application/x-www-form-urlencoded"]["schema"]["properties"]["enabled_events"]["items"][
        "enum"
    ]
    types = sorted(t for t in enum if t != "*")
    mapping = {t: resource_for(t, resources) for t in types}
    kept = {name: resources[name] for name in KEPT}
    data = {
        "source": "Derived from Stripe's OpenAPI spec3.json and fixtures3.json (MIT, Stripe, Inc.) "
        "by scripts/gen_event_fixtures.py",
        "spec_version": spec["info"]["version"],
        "event_types": {t: (r if r in kept else None) for t, r in mapping.items()},
        "objects": kept,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "event_fixtures.json").write_text(json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n")
    shutil.copyfile(source / "LICENSE", OUT / "event_fixtures.LICENSE")
    missing = sorted(t for t, r in data["event_types"].items() if r is None)
    print(f"{len(types)} event types, {len(kept)} objects, {len(missing)} types without a fixture")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "stripe-openapi")
