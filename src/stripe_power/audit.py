"""The audit log: one JSON line per Stripe request, secrets and card numbers redacted."""

from __future__ import annotations

import contextvars
import json
import os
import re
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from .guardrails import redact_card_numbers

# A key, webhook secret or client secret: the prefix stays (to recognise it), the rest goes.
_SECRET = re.compile(
    r"\b((?:sk|rk|pk)_(?:test|live)_|whsec_|(?:seti|pi|cs)_[A-Za-z0-9_]+?_secret_)[A-Za-z0-9]+"
)
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


def redact_text(text: str) -> str:
    return redact_card_numbers(_SECRET.sub(r"\1…[redacted]", text))


def redact(value: Any) -> Any:
    """A copy safe to write anywhere: keys, webhook secrets, client secrets and PANs removed."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            str(k): "[redacted]" if str(k).lower() in _SECRET_NAMES else redact(v) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    return value


def audit_line(entry: Mapping[str, Any]) -> str:
    """One audit line: the time and the redacted entry, as compact JSON."""
    return json.dumps({"time": round(time.time(), 3), **redact(entry)}, separators=(",", ":"))


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
