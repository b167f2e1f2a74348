"""What happens to an invoice after it is finalized, besides payment: ``mark_uncollectible``."""

from __future__ import annotations

from ..core.router import Ctx, Router
from ..core.store import JSON
from . import invoice_lifecycle


def mark_uncollectible(ctx: Ctx) -> JSON:
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    invoice_lifecycle.mark_uncollectible(ctx, inv)
    return inv


def register(router: Router) -> None:
    router.add("POST", "/v1/invoices/{invoice}/mark_uncollectible", mark_uncollectible, consumes=())
