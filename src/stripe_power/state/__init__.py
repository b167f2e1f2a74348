"""State the server keeps between calls, behind one small interface with two backends.

- confirmation tokens: single use (`take_token` removes atomically, so two instances
  redeeming the same token at once honour it once), and only by a redemption that matches
  its binding (another client, or other arguments, leave it to its owner);
- the replay window: an identical write within the window reuses its idempotency key;
- the refund ledger: today's refunds per scope and currency, with atomic reservations;
- the webhook store: verified events, deduplicated by event id (webhook_store.py);
- the audit log: one redacted JSON line per Stripe request. `keep_audit` never loses one: a
  line the backend refuses goes to `audit-fallback.jsonl` in the state directory, else to the
  log, and the caller is told (the Gateway warns the agent; the money already moved);
- schema versions (migrations.py): a schema newer than the code is refused, at start and by
  the readiness probe.

`EmbeddedState` (files and SQLite in `--state-dir`, for one process) is the default;
`PostgresState` serves when `STRIPE_POWER_STATE_URL=postgresql://...` is set, so several
instances behind one URL share every guarantee. A *scope* is a keyed hash of the Stripe key
a call runs with (HMAC-SHA256 with a server secret kept in the state itself): state is kept
per scope and no key is ever written anywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import FALLBACK_AUDIT_FILE, State, TokenOutcome, Webhooks

if TYPE_CHECKING:
    from ..config import Settings


def open_state(settings: Settings) -> State:
    """The backend the settings ask for (not started yet)."""
    if settings.state_url:
        from .postgres import PostgresState

        return PostgresState(settings.state_url, fallback_dir=settings.state_dir)
    from .embedded import EmbeddedState

    return EmbeddedState(settings.state_dir, legacy_key=settings.api_key or None)


__all__ = ["FALLBACK_AUDIT_FILE", "State", "TokenOutcome", "Webhooks", "open_state"]
