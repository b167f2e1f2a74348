"""PostgreSQL for tests: a fresh database per test, dropped afterwards.

Uses STRIPE_POWER_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/postgres). Where no
server answers, tests that need one skip with the reason; with CI set they fail instead.
Each database is named uniquely, so engineers running tests at once never share one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

ADMIN_URL = os.environ.get("STRIPE_POWER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    try:
        import psycopg

        with psycopg.connect(ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as error:
        detail = " ".join(str(error).split())[:160]
        reason = f"PostgreSQL not reachable at {ADMIN_URL} ({type(error).__name__}: {detail})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so this is a failure, not a skip")
        pytest.skip(reason)
    return ADMIN_URL


@pytest.fixture
def postgres_url(postgres_admin: str) -> Iterator[str]:
    """A new empty database for this test."""
    import psycopg

    name = f"sp_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_admin.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(postgres_admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
