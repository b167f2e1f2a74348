"""Fixtures for the sandbox suite: one sandbox per session, a fresh account (API key) per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import stripe

from stripe_power.sandbox import SandboxServer


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(host="127.0.0.1", port=0) as sb:
        yield sb


@pytest.fixture
def api_key() -> str:
    return "sk_test_" + uuid.uuid4().hex


@pytest.fixture
def client(sandbox: SandboxServer, api_key: str) -> stripe.StripeClient:
    return stripe.StripeClient(api_key, base_addresses={"api": sandbox.url}, max_network_retries=2)
