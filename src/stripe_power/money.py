"""Money in minor units, shown the way people read it.

Stripe amounts are integers in the currency's smallest unit. Most currencies have two
decimals; these have none or three (https://docs.stripe.com/currencies#zero-decimal).
"""

from __future__ import annotations

ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])

_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "krw": "₩", "cny": "¥"}


def decimals(currency: str) -> int:
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def format_amount(amount: int | None, currency: str | None) -> str | None:
    """`2999, "usd"` -> `"$29.99"`; `500, "jpy"` -> `"¥500"`; unknown symbol -> `"29.99 CHF"`."""
    if amount is None or not currency:
        return None
    places = decimals(currency)
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(amount), 10**places)
    number = f"{whole:,}" + (f".{part:0{places}d}" if places else "")
    symbol = _SYMBOLS.get(currency.lower())
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {currency.upper()}"
