"""What remains refundable on a charge, shared by refunds and the PaymentIntent summary.

`min(amount_captured, amount - amount_refunded)`: after a partial capture Stripe counts the
released, uncaptured part in `amount_refunded`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def refundable(charge: Mapping[str, Any]) -> int:
    captured = int(charge.get("amount_captured") or 0)
    return max(0, min(captured, int(charge.get("amount") or 0) - int(charge.get("amount_refunded") or 0)))
