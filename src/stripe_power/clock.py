"""The package's one wall clock: every date it stamps or compares comes from `now()`.

Durations use `time.monotonic`; dates (objects' `created`, billing periods, token expiry, the day
a spending limit counts, signature timestamps) ask here, so tests can fix the calendar. Set
`STRIPE_POWER_CLOCK_START` (Unix seconds or an ISO 8601 time, UTC unless it says otherwise) and
the clock starts there and runs on from it, in this process and in every server it starts;
`start_at()` does the same in-process. Unset, it is the system clock.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

ENV = "STRIPE_POWER_CLOCK_START"
_offset = 0.0


def parse(value: str) -> float:
    """Unix seconds, or an ISO 8601 date or time (naive means UTC)."""
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{ENV}={value!r} is neither Unix seconds nor an ISO 8601 time (e.g. 2026-01-31T09:00:00Z)"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def start_at(moment: float | None) -> None:
    """Make the clock read `moment` now and run on from there; None: the system clock again."""
    global _offset
    _offset = 0.0 if moment is None else moment - time.time()


@contextlib.contextmanager
def started_at(moment: float) -> Iterator[None]:
    """`start_at(moment)` for the block, then the clock as it was."""
    global _offset
    before = _offset
    start_at(moment)
    try:
        yield
    finally:
        _offset = before


def now() -> float:
    return time.time() + _offset


def today() -> str:
    """The UTC date, `YYYY-MM-DD` (spending limits count per UTC day)."""
    return datetime.fromtimestamp(now(), UTC).date().isoformat()


if os.environ.get(ENV):
    start_at(parse(os.environ[ENV]))
