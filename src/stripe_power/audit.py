"""The audit log: one JSON line per Stripe request, secrets and card numbers redacted."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from . import clock
from .guardrails import redact_card_numbers

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

_SECRET_NAMES = frozenset({"client_secret", "secret", "api_key", "password"})


def redact_keys(text: str) -> str:
    """API keys and webhook signing secrets removed, anywhere in `text`."""
    return _KEY.sub(r"\1…[redacted]", text)


def redact_text(text: str) -> str:
    """Keys, webhook secrets, client secrets and card numbers removed, anywhere in `text`."""
    return redact_card_numbers(_CLIENT_SECRET.sub(r"\1…[redacted]", redact_keys(text)))


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
    """One audit line: the time and the redacted entry, as compact JSON."""
    return json.dumps({"time": round(clock.now(), 3), **redact(entry)}, separators=(",", ":"))


class AuditLog:
    """Appends JSON lines to `<state_dir>/audit.jsonl`; thread-safe, never writes to stdout.

    The file stays open (appending, flushed per line) while the server runs: opening it for
    every request cost more than the rest of the audit step.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._handle: TextIO | None = None
        if path is not None:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # 0600: the lines hold customer emails and names.
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._handle = os.fdopen(fd, "a", encoding="utf-8")

    def record(self, **entry: Any) -> None:
        self.write(audit_line(entry))

    def write(self, line: str) -> None:
        if self._handle is None:
            return
        with self._lock:
            self._handle.write(line + "\n")
            self._handle.flush()

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None
