"""The state interface: what every backend keeps and guarantees (see the package docstring)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from ..errors import StateError, StripePowerError
from .files import append_line

if TYPE_CHECKING:
    from .webhook_store import Signal, StoredEvent

logger = logging.getLogger("stripe_power.state")

FALLBACK_AUDIT_FILE = "audit-fallback.jsonl"
# What redeeming a token found: taken (it was this call's), unknown (never issued, or used),
# expired, or other (issued for other arguments or another client: left to its owner).
TokenOutcome = Literal["taken", "unknown", "expired", "other"]
T = TypeVar("T")


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
    fallback_dir: Path | None = None  # where audit lines the backend refuses are kept
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
    async def take_token(self, token: str, binding: str, now: float) -> TokenOutcome:
        """Remove the token if it is live and bound to `binding` ("taken": at most one caller ever
        gets that); an expired one is removed too; one bound to something else stays."""

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
        """Append one audit line (already JSON and redacted); raises if the backend refuses it."""

    async def keep_audit(self, line: str) -> str | None:
        """Append one audit line, whatever it takes: None when the backend took it, else where it
        went instead (the fallback file, else this process's log), to tell the caller."""
        try:
            await self.audit(line)
            return None
        except Exception as error:  # a trigger, a full disk, a dropped connection: the line stays
            cause = (
                f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
            )
        logger.error("The audit log (%s) refused a line (%s).", self.description, cause)
        if self.fallback_dir is not None:
            path = self.fallback_dir / FALLBACK_AUDIT_FILE
            try:
                append_line(path, line)
                return (
                    f"the audit log ({self.description}) refused this line ({cause}); it was kept in {path}"
                )
            except OSError as error:
                logger.error("The fallback audit file %s refused it too (%s).", path, error)
        logger.error("Audit line kept only in this log: %s", line)
        return f"the audit log ({self.description}) refused this line ({cause}); it was kept only in the server's log"

    async def before_sending(self, what: str, step: Awaitable[T]) -> T:
        """Run a state step that comes before a request, turning a failure of the state into a
        StateError the agent can act on (nothing was sent) instead of an opaque one."""
        try:
            return await step
        except StripePowerError:
            raise
        except Exception as error:
            logger.error("State step failed (%s): %s: %s", what, type(error).__name__, error)
            raise StateError(
                f"Could not {what} in the state ({self.description}; {type(error).__name__}), so "
                "nothing was sent to Stripe. Retry in a moment; /readyz says when the state answers again."
            ) from None

    def scope_of(self, key: str) -> str:
        """A stable name for a Stripe key that reveals nothing about it."""
        if self._secret is None:
            raise RuntimeError("state not started")
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()[:32]


__all__ = ["FALLBACK_AUDIT_FILE", "State", "TokenOutcome", "Webhooks"]
