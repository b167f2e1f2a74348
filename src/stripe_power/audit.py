"""The audit log's lines (one JSON line per Stripe request and per tool call, secrets and card
numbers redacted, text every backend stores) and what a running tool call carries: its id, tool,
account, session, whether Stripe replayed it, and the warnings it owes the agent. Where lines are
kept is the state's business (state/)."""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from . import clock
from .guardrails import find_card_number, redact_card_numbers

# A key, webhook secret or client secret, wherever it starts (glued to a word, inside a dict key):
# the prefix stays (to recognise it), the rest goes. Invisible format characters inside the body
# are taken with it, so they cannot split a secret into a redacted and a readable half.
_BODY = r"[A-Za-z0-9\u200b-\u200d\u2060\ufeff]+"
_KEY = re.compile(rf"((?:sk|rk|pk)_(?:test|live)_|whsec_){_BODY}")
# The id part is capped: an unbounded lazy match made long `pi_pi_...` strings quadratic.
_CLIENT_SECRET = re.compile(rf"((?:seti|pi|cs)_[A-Za-z0-9_]{{1,80}}?_secret_){_BODY}")
# The tool whose call is being served; set by the tool registry, read for audit lines.
current_tool: contextvars.ContextVar[str] = contextvars.ContextVar("current_tool", default="-")

# The id of the running tool call (call_...): on its audit lines and, to the sandbox, in a header,
# so the sandbox dashboard can show which tool call made which request.
current_call: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_call", default=None)

# The connected account (acct_...) the running tool call acts for, when the caller named one.
current_account: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_account", default=None)
# The MCP session (Streamable HTTP's Mcp-Session-Id) the call came from; None on stdio.
current_session: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_session", default=None)
# Set by the Gateway when Stripe answered a write from its idempotency cache (a replay).
replayed: contextvars.ContextVar[bool] = contextvars.ContextVar("replayed", default=False)

# What went wrong after Stripe answered (an audit line, the refund ledger): the agent gets these
# with the result, since the money moved whatever failed after. None outside a tool call.
call_warnings: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "call_warnings", default=None
)

_SECRET_NAMES = frozenset({"client_secret", "secret", "api_key", "password"})
_CARD = "[card number redacted]"
# Text PostgreSQL's jsonb refuses (NUL, lone surrogates): written as the escape it would be.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
logger = logging.getLogger("stripe_power.audit")


def warn(message: str) -> None:
    """Tell the agent (with the running call's result) and the log."""
    logger.warning("%s", message)
    found = call_warnings.get()
    if found is not None:
        found.append(message)


def _number(value: Any) -> bool:
    """A number that could be a card number (not a bool; not an int too long to write as text)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() <= 64
    return isinstance(value, float)


def _exact(text: str) -> str:
    """`text` as a plain str: a subclass's own `__len__` or `__contains__` must not answer for it."""
    return text if type(text) is str else str.__str__(text)


def _plain(text: str) -> bool:
    """Nothing to redact or escape: too short for a card number (13 digits or more), no `_` (which
    every key, webhook secret and client secret has), all printable (no NUL or lone surrogate,
    which audit lines escape). Most texts a call logs or returns are such. `_walk` inlines this."""
    return len(text) < 13 and "_" not in text and text.isprintable()


# In every key, webhook secret and client secret (a match of `_KEY` or `_CLIENT_SECRET`): a text
# with none of these holds none, and one search tells.
_SECRET_MARK = re.compile(r"(?:sk|rk|pk)_(?:test|live)_|whsec_|_secret_")


def redact_keys(text: str) -> str:
    """API keys and webhook signing secrets removed, anywhere in `text`."""
    if "_" not in text or _SECRET_MARK.search(text) is None:
        return text
    return _KEY.sub(r"\1…[redacted]", text)


def redact_text(text: str) -> str:
    """Keys, webhook secrets, client secrets and card numbers removed, anywhere in `text`."""
    text = _exact(text)
    if _plain(text):
        return text
    if "_" in text and _SECRET_MARK.search(text) is not None:
        text = _CLIENT_SECRET.sub(r"\1…[redacted]", _KEY.sub(r"\1…[redacted]", text))
    return redact_card_numbers(text)


def _result_text(text: str) -> str:
    """`redact_text` but for client secrets, which the tools hand out on purpose."""
    text = _exact(text)
    if _plain(text):
        return text
    return redact_card_numbers(redact_keys(text))


# An integer closer to zero than this has at most 12 digits: never a card number.
_SHORT_INT = 10**12


def _walk(value: Any, text: Callable[[str], str], masked: frozenset[str]) -> Any:
    """A copy of `value` with `text` applied to every text in it, dict keys too (a secret can be a
    metadata key or a mistyped parameter name), the values of `masked` names replaced, and a
    card number sent as a number (int or float) replaced like one sent as text.

    The common leaves (a `_plain` text, None, a bool, a short int) are judged inline, without a
    call each: a result or an audit line is mostly those, and the calls were most of the cost.
    So `text` is applied to every text that is not `_plain`."""
    if isinstance(value, str):
        value = _exact(value)
        return value if len(value) < 13 and "_" not in value and value.isprintable() else text(value)
    if isinstance(value, (dict, Mapping)):  # dict first: no ABC check for the common case
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = k if type(k) is str else _exact(k) if isinstance(k, str) else str(k)
            name = key if len(key) < 13 and "_" not in key and key.isprintable() else text(key)
            if masked and key.lower() in masked:
                out[name] = "[redacted]"
            elif type(v) is str:
                out[name] = v if len(v) < 13 and "_" not in v and v.isprintable() else text(v)
            elif v is None or v is True or v is False or (type(v) is int and -_SHORT_INT < v < _SHORT_INT):
                out[name] = v
            else:
                out[name] = _walk(v, text, masked)
        return out
    if isinstance(value, (list, tuple)):
        return [_walk(item, text, masked) for item in value]
    if value is None or value is True or value is False:
        return value
    if type(value) is int and -_SHORT_INT < value < _SHORT_INT:
        return value  # at most 12 digits
    if _number(value) and find_card_number(str(value)):
        return _CARD
    return value


def redact(value: Any) -> Any:
    """A copy safe to write anywhere: keys, webhook secrets, client secrets and PANs removed, from
    values and from dict keys alike (metadata keys are free text too)."""
    return _walk(value, redact_text, _SECRET_NAMES)


def redact_result(value: Any) -> Any:
    """For what a tool returns: like `redact`, except client secrets, which the tools hand out on
    purpose (the client confirms with them)."""
    return _walk(value, _result_text, frozenset())


class RedactingFilter(logging.Filter):
    """Redacts every log record that passes through a handler: a secret in a message or in its
    arguments (an exception text included) is replaced before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format: keep its parts, redacted
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


def audit_line(entry: Mapping[str, Any]) -> str:
    """One audit line: the time and the redacted entry, as compact JSON that every backend stores
    (a NUL in a metadata value is written as the text `\\u0000`, not refused by jsonb and lost)."""
    safe = _walk(entry, _audit_text, _SECRET_NAMES)
    return json.dumps({"time": round(clock.now(), 3), **safe}, separators=(",", ":"))


def _audit_text(text: str) -> str:
    """Redacted, then stored as it reads (one walk of the entry does both)."""
    return _storable_text(redact_text(text))


# What one audit line keeps of a tool call's arguments: refused input can be huge (200,000 metadata
# keys), and redacting and writing all of it would cost seconds and megabytes for nothing.
MAX_LOGGED_VALUES = 2_000
MAX_LOGGED_TEXT = 5_000


def bounded(value: Any, budget: list[int] | None = None) -> Any:
    """`value` with at most MAX_LOGGED_VALUES values and texts of at most MAX_LOGGED_TEXT
    characters; what is left out is counted in its place."""
    budget = [MAX_LOGGED_VALUES] if budget is None else budget
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if budget[0] <= 0:
                out["…"] = f"{len(value) - index} more not logged"
                break
            out[bounded(str(key), budget)] = bounded(item, budget)
        return out
    if isinstance(value, (list, tuple)):
        items: list[Any] = []
        for index, item in enumerate(value):
            if budget[0] <= 0:
                items.append(f"… {len(value) - index} more not logged")
                break
            items.append(bounded(item, budget))
        return items
    budget[0] -= 1
    if isinstance(value, str) and len(value) > MAX_LOGGED_TEXT:
        return f"{value[:MAX_LOGGED_TEXT]}… ({len(value)} characters)"
    if isinstance(value, int) and value.bit_length() > 14_000:  # past what Python writes as text
        return f"(an integer of {value.bit_length()} bits)"
    return value


def _storable_text(text: str) -> str:
    """`text` with NUL and lone surrogates written as their escapes (jsonb refuses them)."""
    if _UNSTORABLE.search(text) is None:
        return text
    return _UNSTORABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
