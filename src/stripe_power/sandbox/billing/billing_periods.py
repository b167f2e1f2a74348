"""Billing-period calendar: intervals, periods aligned to a billing cycle anchor, and prorations.

Stripe bills each period from one anchor-aligned date to the next: a monthly subscription
anchored on January 31 renews on February 28 (29), then March 31, never drifting to the 28th
(https://docs.stripe.com/billing/subscriptions/billing-cycle). A period is found by counting whole
intervals from the anchor, so month lengths are taken from the anchor, not from the last renewal.
All times are Unix seconds, UTC.
"""

from __future__ import annotations

import calendar
import time
from typing import Any

_MONTHS = {"month": 1, "year": 12}


def add_interval(start: int, interval: str, count: int) -> int:
    """``start`` moved by ``count`` intervals; a month-end day is clamped to the month's length."""
    if interval == "day":
        return start + 86400 * count
    if interval == "week":
        return start + 7 * 86400 * count
    t = time.gmtime(start)
    months = count * _MONTHS[interval]
    year, month = divmod(t.tm_mon - 1 + months, 12)
    year += t.tm_year
    month += 1
    day = min(t.tm_mday, calendar.monthrange(year, month)[1])
    return calendar.timegm((year, month, day, t.tm_hour, t.tm_min, t.tm_sec, 0, 0, 0))


def period_around(anchor: int, recurring: dict[str, Any], at: int) -> tuple[int, int]:
    """The anchor-aligned period holding ``at``: (start, end) with start <= at < end."""
    interval, count = recurring["interval"], int(recurring["interval_count"])
    if interval in ("day", "week"):
        step = (86400 if interval == "day" else 7 * 86400) * count
        k = (at - anchor) // step
        return anchor + k * step, anchor + (k + 1) * step
    k = _months_between(anchor, at) // (count * _MONTHS[interval])
    while add_interval(anchor, interval, count * k) > at:
        k -= 1
    while add_interval(anchor, interval, count * (k + 1)) <= at:
        k += 1
    return add_interval(anchor, interval, count * k), add_interval(anchor, interval, count * (k + 1))


def _months_between(start: int, end: int) -> int:
    a, b = time.gmtime(start), time.gmtime(end)
    return (b.tm_year - a.tm_year) * 12 + (b.tm_mon - a.tm_mon)


def anchor_from_config(config: dict[str, Any], start: int, recurring: dict[str, Any]) -> int:
    """``billing_cycle_anchor_config``: the next occurrence after ``start`` of ``day_of_month``
    (clamped to the month's length) at ``hour:minute:second`` UTC (each defaulting to the
    start's), in ``month`` for yearly prices where given."""
    s = time.gmtime(start)
    day = int(config["day_of_month"])
    hms = tuple(
        int(config.get(k, default))
        for k, default in (("hour", s.tm_hour), ("minute", s.tm_min), ("second", s.tm_sec))
    )
    month = config.get("month")
    year, mon = s.tm_year, int(month) if month is not None and recurring["interval"] == "year" else s.tm_mon
    for _ in range(25):
        candidate = calendar.timegm((year, mon, min(day, calendar.monthrange(year, mon)[1]), *hms, 0, 0, 0))
        if candidate > start:
            return candidate
        step = 12 if month is not None and recurring["interval"] == "year" else 1
        year, mon = year + (mon - 1 + step) // 12, (mon - 1 + step) % 12 + 1
    raise AssertionError("unreachable: an anchor within two years")


def fraction(start: int, end: int, at: int) -> float:
    """The share of the period ``start``..``end`` left after ``at`` (0 to 1)."""
    if end <= start:
        return 0.0
    return max(0.0, min(1.0, (end - at) / (end - start)))


def prorated(amount: int, start: int, end: int, at: int) -> int:
    """``amount`` for the part of ``start``..``end`` after ``at``, rounded to the minor unit."""
    return round(amount * fraction(start, end, at))


def day_label(ts: int) -> str:
    """``15 Jan 2026``: the date Stripe writes in proration line descriptions."""
    return time.strftime("%d %b %Y", time.gmtime(ts))
