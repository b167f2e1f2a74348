"""State the server keeps between calls, behind one small interface with two backends.

- confirmation tokens: single use (`take_token` removes atomically, so two instances
  redeeming the same token at once honour it once);
- the replay window: an identical write within the window reuses its idempotency key;
- the refund ledger: today's refunds per scope and currency, with atomic reservations;
- the webhook store: verified events, deduplicated by event id;
- the audit log: one redacted JSON line per Stripe request.

`EmbeddedState` (files and SQLite in `--state-dir`, for one process) is the default;
`PostgresState` serves when `STRIPE_POWER_STATE_URL=postgresql://...` is set, so several
instances behind one URL share every guarantee. A *scope* is a keyed hash of the Stripe key
a call runs with (HMAC-SHA256 with a server secret kept in the state itself): state is kept
per scope and no key is ever written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..config import Settings
    from ..webhooks import Signal, StoredEvent

STATE_URL_ENV = "STRIPE_POWER_STATE_URL"


class Webhooks(Protocol):
    """The webhook store: verified events, one row per event id."""

    @property
    def signal(self) -> Signal:
        """Wakes waiters on this instance; other instances' events are found by polling."""

    async def record(
        self, event: Any, payload: str, *, received_at: float | None = None, signature: str | None = None
    ) -> bool: ...
    async def get(self, event_id: str) -> StoredEvent | None: ...
    async def recent(
        self, *, limit: int = 20, type: str | None = None, before_seq: int | None = None
    ) -> list[StoredEvent]: ...
    async def find(
        self, type: str, *, object_id: str | None = None, created_gte: int | None = None
    ) -> list[StoredEvent]: ...


class State(ABC):
    """The interface. Times are wall-clock Unix seconds (instances share no monotonic clock)."""

    webhooks: Webhooks
    description: str  # for logs and readiness: where the state lives (no credentials)
    _secret: bytes | None = None

    @abstractmethod
    async def start(self) -> None:
        """Connect, apply migrations, load the scope secret. Raises ConfigError naming the fix."""

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def ready(self) -> None:
        """Raise if the state cannot be reached now (readiness probe)."""

    @abstractmethod
    async def issue_token(self, token: str, binding: str, expires_at: float) -> None: ...

    @abstractmethod
    async def take_token(self, token: str) -> tuple[str, float] | None:
        """Remove and return (binding, expires_at): at most one caller ever gets it."""

    @abstractmethod
    async def replay_key(self, lane: str, fingerprint: str, candidate: str, expires_at: float) -> str:
        """The idempotency key for this write: the live one stored for `fingerprint`, else `candidate`
        (stored until `expires_at`). A new fingerprint in a `lane` ends the lane's earlier ones."""

    @abstractmethod
    async def forget_write(self, fingerprint: str) -> None: ...

    @abstractmethod
    async def reserve_refund(self, scope: str, day: str, currency: str, amount: int, cap: int) -> int | None:
        """Add `amount` to the day's total unless that passes `cap`: the new total, or None."""

    @abstractmethod
    async def release_refund(self, scope: str, day: str, currency: str, amount: int) -> None: ...

    @abstractmethod
    async def refunded(self, scope: str, day: str) -> dict[str, int]:
        """The day's ledger for a scope, by currency."""

    @abstractmethod
    async def audit(self, line: str) -> None:
        """Append one audit line (already JSON and redacted)."""

    def scope_of(self, key: str) -> str:
        """A stable name for a Stripe key that reveals nothing about it."""
        if self._secret is None:
            raise RuntimeError("state not started")
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()[:32]


def open_state(settings: Settings) -> State:
    """The backend the settings ask for (not started yet)."""
    if settings.state_url:
        from .postgres import PostgresState

        return PostgresState(settings.state_url)
    from .embedded import EmbeddedState

    return EmbeddedState(settings.state_dir, legacy_key=settings.api_key or None)


def check_state_url(url: str) -> str:
    if not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            f"{STATE_URL_ENV} must be a PostgreSQL URL like postgresql://user@host:5432/dbname "
            "(unset it to keep state in --state-dir)."
        )
    return url


__all__ = ["STATE_URL_ENV", "State", "Webhooks", "check_state_url", "open_state"]
