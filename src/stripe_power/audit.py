"""The audit log's lines (one JSON line per Stripe request and per tool call, secrets and card
numbers redacted, text every backend stores) and what a running tool call carries: its id, tool,
account, session, whether Stripe replayed it, and the warnings it owes the agent. Where lines are
kept is the state's business (state/)."""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Mapping
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


def _sub(pattern: re.Pattern[str], text: str) -> str:
    """`pattern`'s secrets in `text` redacted. Every secret pattern has a `_` in its prefix, and a
    search that finds nothing is far cheaper than a `sub` that replaces nothing: most texts stop there."""
    if "_" not in text or pattern.search(text) is None:
        return text
    return pattern.sub(r"\1…[redacted]", text)


def redact_keys(text: str) -> str:
    """API keys and webhook signing secrets removed, anywhere in `text`."""
    return _sub(_KEY, text)


def redact_text(text: str) -> str:
    """Keys, webhook secrets, client secrets and card numbers removed, anywhere in `text`."""
    return redact_card_numbers(_sub(_CLIENT_SECRET, redact_keys(text)))


def redact(value: Any) -> Any:
    """A copy safe to write anywhere: keys, webhook secrets, client secrets and PANs removed, from
    values and from dict keys alike (metadata keys are free text too)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            # Keys too: a secret can be a metadata key or a (mistyped) parameter name.
            redact_text(str(k)): "[redacted]" if str(k).lower() in _SECRET_NAMES else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    if _number(value) and find_card_number(str(value)):
        return _CARD  # a card number sent as a number is the same card number
    return value


def redact_result(value: Any) -> Any:
    """For what a tool returns: like `redact`, except client secrets, which the tools hand out on
    purpose (the client confirms with them)."""
    if isinstance(value, str):
        return redact_card_numbers(redact_keys(value))
    if isinstance(value, Mapping):
        return {redact_result(str(k)): redact_result(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_result(item) for item in value]
    if _number(value) and find_card_number(str(value)):
        return _CARD
    return value


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
    return json.dumps({"time": round(clock.now(), 3), **storable(redact(entry))}, separators=(",", ":"))


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


def storable(value: Any) -> Any:
    """`value` with NUL and lone surrogates in its texts (keys too) written as their escapes."""
    if isinstance(value, str):
        return (
            _UNSTORABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", value)
            if _UNSTORABLE.search(value)
            else value
        )
    if isinstance(value, Mapping):
        return {storable(str(k)): storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(item) for item in value]
    return value
