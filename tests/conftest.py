from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from mcp.client import Client
from mcp.types import CallToolResult, Tool, ToolAnnotations

from stripe_power.config import Settings, load_settings
from stripe_power.server import create_server

from .fakes import RecordingStripe, recording_stripe

ROOT = Path(__file__).resolve().parent.parent

# postgres_admin / postgres_url: a fresh PostgreSQL database per test, or a skip with the reason.
pytest_plugins = ["tests.pg"]

# Fuzzing (tests/test_fuzz.py): `ci` by default, bounded and reproducible; `--hypothesis-profile=long`
# for a longer random run. FUZZ_EXAMPLES overrides the number of examples per tool in either.
# No shrinking: a failure's message carries the full arguments, and the shrinker replaying calls
# through a live server reported FlakyStrategyDefinition instead of the failure.
_FUZZ: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
    "phases": (Phase.explicit, Phase.reuse, Phase.generate),
}
_EXAMPLES = os.environ.get("FUZZ_EXAMPLES")
hypothesis_settings.register_profile(
    "ci", max_examples=int(_EXAMPLES or 25), derandomize=True, database=None, **_FUZZ
)
hypothesis_settings.register_profile("long", max_examples=int(_EXAMPLES or 1000), **_FUZZ)
hypothesis_settings.load_profile("ci")


# STRIPE_POWER_LEAK_CANARY=1: every key from new_key() carries a recognisable marker, every log
# record (all loggers, DEBUG) and every tool result of mcp_client() is kept, and at the end of the
# session those and every audit.jsonl under the run's temporary directory must not contain it.
LEAK_CANARY = os.environ.get("STRIPE_POWER_LEAK_CANARY", "").strip().lower() in ("1", "true", "yes")
CANARY = "LEAKCANARY"
_canary_results: list[str] = []


def later(seconds: float, action: Callable[[], object]) -> threading.Thread:
    """A thread (not started) that runs `action` after `seconds`. Not threading.Timer: it waits on
    an Event with a timeout, and a timed wait on a primitive nobody releases never returns under
    faketime (the deadline is computed from the faked clock)."""

    def run() -> None:
        time.sleep(seconds)
        action()

    return threading.Thread(target=run, daemon=True)


def new_key() -> str:
    """A fresh test key: the sandbox keeps one account per key, so tests never see each other."""
    return "sk_test_" + (CANARY if LEAK_CANARY else "") + uuid.uuid4().hex


def settings_for(api_base: str, tmp_path: Path, **overrides: Any) -> Settings:
    """Every tool unless the test picks toolsets (`toolsets="default"` for the default list)."""
    env = {"STRIPE_SECRET_KEY": overrides.pop("api_key", None) or new_key()}
    overrides.setdefault("toolsets", "all")
    return load_settings(env, api_base=api_base, state_dir=str(tmp_path / "state"), **overrides)


class _CanaryClient(Client):
    """Keeps every tool result for the end-of-session leak scan."""

    async def call_tool(self, *args: Any, **kwargs: Any) -> CallToolResult:
        result = await super().call_tool(*args, **kwargs)
        _canary_results.append(result.model_dump_json())
        return result


@asynccontextmanager
async def mcp_client(settings: Settings, **server_options: Any) -> AsyncIterator[Client]:
    client_type = _CanaryClient if LEAK_CANARY else Client
    async with client_type(create_server(settings, **server_options)) as client:
        yield client


class _KeepRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(f"{record.name}: {record.getMessage()} {record.exc_text or ''}")
        except Exception:  # a record whose arguments do not format is not a leak
            self.lines.append(f"{record.name}: {record.msg!r} {record.args!r}")


@pytest.fixture(scope="session", autouse=True)
def leak_canary_scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """With STRIPE_POWER_LEAK_CANARY=1, fail the session if a canary key got out anywhere we can see."""
    if not LEAK_CANARY:
        yield
        return
    handler = _KeepRecords()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    audits = sorted(tmp_path_factory.getbasetemp().rglob("audit.jsonl"))
    places = [("log", line) for line in handler.lines]
    places += [("tool result", text) for text in _canary_results]
    places += [(str(path), path.read_text(errors="replace")) for path in audits]
    leaks = [f"{where}: {text[:300]}" for where, text in places if CANARY in text]
    assert not leaks, f"{len(leaks)} leak(s) of a canary key:\n" + "\n".join(leaks[:20])


def understood(tool: Tool) -> ToolAnnotations:
    """A tool's hints as the MCP spec reads them: a hint left out takes its default (the server
    leaves defaults out); destructive and idempotent mean nothing on a read-only tool."""
    hints = tool.annotations or ToolAnnotations()
    read_only = hints.read_only_hint is True
    return ToolAnnotations(
        read_only_hint=read_only,
        destructive_hint=not read_only and hints.destructive_hint is not False,
        idempotent_hint=not read_only and hints.idempotent_hint is True,
        open_world_hint=hints.open_world_hint is not False,
    )


def payload(result: CallToolResult) -> Any:
    """The JSON a tool returned; fails with the tool's own message if it was an error."""
    text = result.content[0].text  # type: ignore[union-attr]
    assert not result.is_error, text
    return json.loads(text)


def error_text(result: CallToolResult) -> str:
    assert result.is_error, result.content
    return result.content[0].text  # type: ignore[union-attr]


@pytest.fixture
def fake() -> Iterator[RecordingStripe]:
    with recording_stripe() as recorder:
        yield recorder


Connect = Callable[..., AbstractAsyncContextManager[Client]]


@pytest.fixture
def connect(fake: RecordingStripe, tmp_path: Path) -> Connect:
    """`async with connect(**settings) as client`: an MCP client of a server talking to `fake`.

    A context manager used inside the test, not an async fixture: anyio's cancel scopes
    must be entered and left in the same task.
    """

    def open_client(**overrides: Any) -> AbstractAsyncContextManager[Client]:
        return mcp_client(settings_for(fake.url, tmp_path, **overrides))

    return open_client


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    """One offline sandbox for the whole run; each test gets its own account via its own key."""
    from stripe_power.sandbox import SandboxServer

    with SandboxServer(host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def sandbox_key() -> str:
    return new_key()


@pytest.fixture
def connect_sandbox(sandbox: Any, sandbox_key: str, tmp_path: Path) -> Connect:
    """`async with connect_sandbox(**settings) as client`: a server talking to the sandbox as `sandbox_key`."""

    def open_client(**overrides: Any) -> AbstractAsyncContextManager[Client]:
        overrides.setdefault("api_key", sandbox_key)
        return mcp_client(settings_for(sandbox.url, tmp_path, **overrides))

    return open_client
