from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from mcp.types import CallToolResult

from stripe_power.config import Settings, load_settings
from stripe_power.server import create_server

from .fakes import RecordingStripe, recording_stripe

ROOT = Path(__file__).resolve().parent.parent


def new_key() -> str:
    """A fresh test key: the sandbox keeps one account per key, so tests never see each other."""
    return "sk_test_" + uuid.uuid4().hex


def settings_for(api_base: str, tmp_path: Path, **overrides: Any) -> Settings:
    env = {"STRIPE_SECRET_KEY": overrides.pop("api_key", None) or new_key()}
    return load_settings(env, api_base=api_base, state_dir=str(tmp_path / "state"), **overrides)


@asynccontextmanager
async def mcp_client(settings: Settings, **server_options: Any) -> AsyncIterator[Client]:
    async with Client(create_server(settings, **server_options)) as client:
        yield client


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
