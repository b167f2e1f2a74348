"""Stripe's presentment currencies and minimum charge amounts, as Stripe documents them.

Sources: https://docs.stripe.com/currencies ("Supported presentment currencies" and "Minimum and
maximum charge amounts"); the list matches the one Stripe's own error names ("Invalid currency:
zzz. Stripe currently supports these currencies: usd, aed, ...") plus the three-decimal
currencies the same page lists. Amounts are in minor units.
"""

from __future__ import annotations

SUPPORTED: tuple[str, ...] = tuple(
    ["usd", "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam", "bbd", "bdt", "bgn", "bhd", "bif", "bmd", "bnd", "bob", "brl", "bsd", "bwp", "byn", "bzd", "cad", "cdf", "chf", "clp", "cny", "cop", "crc", "cve", "czk", "djf", "dkk", "dop", "dzd", "egp", "etb", "eur", "fjd", "fkp", "gbp", "gel", "gip", "gmd", "gnf", "gtq", "gyd", "hkd", "hnl", "htg", "huf", "idr", "ils", "inr", "isk", "jmd", "jod", "jpy", "kes", "kgs", "khr", "kmf", "krw", "kwd", "kyd", "kzt", "lak", "lbp", "lkr", "lrd", "lsl", "mad", "mdl", "mga", "mkd", "mmk", "mnt", "mop", "mur", "mvr", "mwk", "mxn", "myr", "mzn", "nad", "ngn", "nio", "nok", "npr", "nzd", "omr", "pab", "pen", "pgk", "php", "pkr", "pln", "pyg", "qar", "ron", "rsd", "rub", "rwf", "sar", "sbd", "scr", "sek", "sgd", "shp", "sle", "sos", "srd", "std", "szl", "thb", "tjs", "tnd", "top", "try", "ttd", "twd", "tzs", "uah", "ugx", "uyu", "uzs", "vnd", "vuv", "wst", "xaf", "xcd", "xof", "xpf", "yer", "zar", "zmw"]
)

# The documented table; other currencies have no published minimum of their own.
MINIMUM_CHARGE: dict[str, int] = {
    "usd": 50,
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
}

# "Amount must be no more than $999,999.99": eight digits in minor units.
MAXIMUM_CHARGE = 99_999_999


def minimum_charge(currency: str) -> int:
    """The smallest amount Stripe charges in `currency` (1 where no minimum is published)."""
    return MINIMUM_CHARGE.get(currency.lower(), 1)
