"""What the agent did: MCP tool calls from the server's audit log, joined to the sandbox's requests.

The link is the tool call's id (`call_...`). The server's tool wrapper writes one audit line
per tool call (`tool_call`, `outcome`, `rule` when a guardrail or limit refused it, redacted
`arguments`); the Gateway puts the same id on each request's audit line and sends it to the
sandbox as the `X-Stripe-Power-Call` header, which the sandbox keeps in its request log. So a
tool call lists the requests it made, and a request names the tool call that made it, even
when no audit log is attached (then the header's tool name is all that is known).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.store import RecordedRequest

CALL_HEADER = "x-stripe-power-call"
TOOL_HEADER = "x-stripe-power-tool"
PERSON_HEADER = "x-stripe-power-person"  # OAuth mode: who signed in (an email or user name)


class AuditTail:
    """The lines an MCP server appends to its audit log after this object is made.

    Earlier runs' lines (the default state dir keeps one file across runs) are skipped by
    starting at the file's size, or at ``start`` (the size noted when the tail was asked for,
    by a sandbox built later); each read parses only what was appended since the last one.
    """

    def __init__(self, path: Path, limit: int = 5000, *, start: int | None = None) -> None:
        self.path = path
        self._offset = start if start is not None else path.stat().st_size if path.exists() else 0
        self._entries: deque[dict[str, Any]] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            try:
                with self.path.open("rb") as handle:
                    size = handle.seek(0, 2)
                    if size < self._offset:  # replaced or truncated: start over
                        self._offset = 0
                    handle.seek(self._offset)
                    data = handle.read()
            except FileNotFoundError:
                return list(self._entries)
            whole = data.rfind(b"\n") + 1  # a line still being written waits for the next read
            self._offset += whole
            for line in data[:whole].splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict):
                    self._entries.append(entry)
            return list(self._entries)


@dataclass
class ToolCall:
    call: str
    tool: str
    time: float  # when the call started
    outcome: str | None = None  # ok | refused | error | confirmation_required; None: not in the audit log
    rule: str | None = None
    error: str | None = None
    arguments: Any = None
    duration_ms: float | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)  # Gateway refusal lines: method, path, rule
    person: str | None = None  # OAuth mode: the person who made the call


def timeline(entries: Iterable[dict[str, Any]], requests: Iterable[RecordedRequest]) -> list[ToolCall]:
    """Tool calls, oldest first, each with the sandbox requests it made and the requests refused."""
    calls: dict[str, ToolCall] = {}
    for entry in entries:
        call_id = entry.get("call")
        if not isinstance(call_id, str):
            continue
        if "tool_call" in entry:
            duration = entry.get("duration_ms") if isinstance(entry.get("duration_ms"), (int, float)) else 0
            found = calls.setdefault(call_id, ToolCall(call_id, str(entry["tool_call"]), 0.0))
            found.time = float(entry.get("time") or 0) - float(duration or 0) / 1000
            found.outcome = str(entry.get("outcome") or "")
            found.rule = entry.get("rule")
            found.error = entry.get("error")
            found.arguments = entry.get("arguments")
            found.duration_ms = duration
            found.person = entry.get("person_name") or entry.get("person") or found.person
        elif entry.get("refused"):
            found = calls.setdefault(call_id, ToolCall(call_id, str(entry.get("tool")), float(entry["time"])))
            found.refused.append(entry)
    for record in requests:
        call_id = record.headers.get(CALL_HEADER)
        if not call_id:
            continue
        if call_id not in calls:
            calls[call_id] = ToolCall(call_id, record.headers.get(TOOL_HEADER, "?"), record.time)
        calls[call_id].requests.append(record)
        calls[call_id].person = calls[call_id].person or record.headers.get(PERSON_HEADER)
    return sorted(calls.values(), key=lambda c: c.time)
