"""What happens to an invoice after it is finalized, besides payment: ``mark_uncollectible``."""

from __future__ import annotations

from .errors import invalid
from .router import Ctx, Router
from .store import JSON, changed, now, snapshot


def mark_uncollectible(ctx: Ctx) -> JSON:
    """Stripe allows it on open invoices only; the invoice can still be paid afterwards."""
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    if inv["status"] != "open":
        raise invalid(
            f"You can only mark an invoice as uncollectible if it is open; this invoice is {inv['status']}.",
            param="invoice",
        )
    before = snapshot(inv)
    inv["status"] = "uncollectible"
    inv["status_transitions"]["marked_uncollectible_at"] = now()
    inv["next_payment_attempt"] = None
    inv["auto_advance"] = False
    previous = changed(before, inv)
    ctx.acct.emit("invoice.marked_uncollectible", inv, previous)
    ctx.acct.emit("invoice.updated", inv, previous)
    return inv


def register(router: Router) -> None:
    router.add("POST", "/v1/invoices/{invoice}/mark_uncollectible", mark_uncollectible, consumes=())
