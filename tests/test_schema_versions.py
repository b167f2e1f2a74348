"""Schema versions (issue 24, item 8): a state whose schema is newer than this code (a newer
stripe-power migrated it) is refused, never taken as up to date: `stripe-power migrate` and
`serve` exit 2 with one line naming the state and the fix, and `/readyz` stops saying ready when
it happens under a running server. On PostgreSQL and on both embedded SQLite files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import pytest

from stripe_power.state.embedded import EmbeddedState
from stripe_power.state.migrations import LATEST, SQLITE, WEBHOOKS, SchemaTooNew, migrate_sqlite, statements
from stripe_power.state.postgres import migrate
from stripe_power.state.webhook_store import WebhookStore, close_all_stores

from .conftest import new_key
from .test_state_files import BIN, one_line_exit_2, serve
from .test_team import instances, team_settings


def stripe_power(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "stripe-power"), *args],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def bump(url: str, version: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO stripe_power_migrations (version) VALUES (%s)", (version,))


async def test_postgres_newer_than_the_code_is_refused_by_migrate_and_serve(
    postgres_url: str, tmp_path: Path
) -> None:
    await migrate(postgres_url)
    bump(postgres_url, LATEST + 1)
    env = {"STRIPE_POWER_STATE_URL": postgres_url, "HOME": str(tmp_path)}
    migrated = stripe_power("migrate", env=env)
    served = stripe_power("serve", "--state-dir", str(tmp_path / "s"), "--api-base", "http://127.0.0.1:9",
                          env=env | {"STRIPE_SECRET_KEY": new_key()})  # fmt: skip
    for done in (migrated, served):
        line = one_line_exit_2(
            done, f"schema version {LATEST + 1}", f"(version {LATEST})", "newer stripe-power"
        )
        assert postgres_url.rpartition("/")[2] in line
    with psycopg.connect(postgres_url) as conn:  # nothing was applied or changed
        assert [r[0] for r in conn.execute("SELECT version FROM stripe_power_migrations ORDER BY 1")] == [
            *range(1, LATEST + 1),
            LATEST + 1,
        ]


async def test_readyz_stops_saying_ready_when_a_newer_version_migrates(
    sandbox: Any, postgres_url: str, tmp_path: Path
) -> None:
    settings = team_settings(sandbox, postgres_url, tmp_path)
    with instances(1, settings) as (one,):
        ready = httpx2.get(f"{one}/readyz")
        bump(postgres_url, LATEST + 1)  # another instance, of a newer stripe-power, migrated
        newer = httpx2.get(f"{one}/readyz", timeout=30)
        live = httpx2.get(f"{one}/healthz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert newer.status_code == 503 and newer.json()["status"] == "unavailable"
    assert live.status_code == 200


@pytest.mark.parametrize(("name", "steps"), [("state.sqlite3", SQLITE), ("webhooks.sqlite3", WEBHOOKS)])
def test_embedded_files_newer_than_the_code_are_refused(tmp_path: Path, name: str, steps: list[Any]) -> None:
    state = tmp_path / "state"
    state.mkdir()
    newer = steps[-1][0] + 1
    with sqlite3.connect(state / name) as db:
        db.execute(f"PRAGMA user_version = {newer}")
    for done in (
        serve(state),
        stripe_power("migrate", "--state-dir", str(state), env={"HOME": str(tmp_path)}),
    ):
        one_line_exit_2(done, str(state / name), f"schema version {newer}", "newer stripe-power")
    with sqlite3.connect(state / name) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == newer


async def test_embedded_readiness_checks_the_version(tmp_path: Path) -> None:
    state = EmbeddedState(tmp_path)
    await state.start()
    try:
        await state.ready()
        with sqlite3.connect(tmp_path / "state.sqlite3") as db:
            db.execute(f"PRAGMA user_version = {SQLITE[-1][0] + 1}")
        with pytest.raises(SchemaTooNew):
            await state.ready()
    finally:
        await state.stop()
        close_all_stores()


def test_a_webhook_store_from_before_versions_is_adopted(tmp_path: Path) -> None:
    """A store the previous release wrote (the current table, no version) opens as version 2."""
    path = tmp_path / "w.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(WEBHOOKS[0][1] + ";" + WEBHOOKS[1][1])
        db.execute("INSERT INTO events (id, type, payload, first_received_at, last_received_at, signature) "
                   "VALUES ('evt_1', 'invoice.paid', '{}', 1, 1, 't=1,v1=ab')")  # fmt: skip
    store = WebhookStore(path)
    try:
        found = store.get("evt_1")
        assert found is not None and found.signature == "t=1,v1=ab"
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == WEBHOOKS[-1][0]
    assert json.loads(found.payload) == {}


@pytest.mark.parametrize(("name", "steps"), [("state.sqlite3", SQLITE), ("webhooks.sqlite3", WEBHOOKS)])
def test_a_server_that_waited_on_another_migrating_finds_it_done(
    tmp_path: Path, name: str, steps: list[Any]
) -> None:
    """Two servers starting together on one state dir (two IDE windows; the Inspector test runs
    two): one migrates while the other waits for the file's write lock; the one that waited must
    read the version after the lock, not before, or it re-runs CREATE TABLE and refuses to start."""
    path = tmp_path / name
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the other server holds the lock, about to migrate
    waiting = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    outcome: list[BaseException | None] = []

    def start() -> None:
        try:
            migrate_sqlite(waiting, steps, path)
            outcome.append(None)
        except BaseException as error:  # reported by the assert below
            outcome.append(error)

    thread = threading.Thread(target=start)
    thread.start()
    # Let it reach the lock (an earlier version read the version here, first). time.sleep, not
    # join(timeout): a timed wait on a thread that is still running never returns under faketime.
    time.sleep(0.5)
    for statement in (one for _, sql in steps for one in statements(sql)):
        other.execute(statement)
    other.execute(f"PRAGMA user_version = {steps[-1][0]}")
    other.execute("COMMIT")
    thread.join(30)
    assert outcome == [None]
    assert waiting.execute("PRAGMA user_version").fetchone()[0] == steps[-1][0]
    waiting.close()
    other.close()


def test_servers_starting_together_on_one_state_dir_all_start(tmp_path: Path) -> None:
    """Four processes open one new state dir at the same moment: every one starts, once migrated.
    They start together on a file, not on a clock time: under faketime each process has its own."""
    code = (
        "import sys, time; from pathlib import Path; from stripe_power.state.embedded import EmbeddedState\n"
        "go = Path(sys.argv[2]); Path(sys.argv[3]).touch()\n"
        "while not go.exists(): time.sleep(0.001)\n"
        "EmbeddedState(Path(sys.argv[1])).open()"
    )
    for attempt in range(3):
        state, go = tmp_path / f"s{attempt}", tmp_path / f"go{attempt}"
        ready = [tmp_path / f"ready{attempt}-{n}" for n in range(4)]
        runs = [
            subprocess.Popen(
                [sys.executable, "-c", code, str(state), str(go), str(mark)],
                stderr=subprocess.PIPE,
                text=True,
            )
            for mark in ready
        ]
        try:
            while not all(mark.exists() for mark in ready) and all(run.poll() is None for run in runs):
                time.sleep(0.01)  # every interpreter has imported
            go.touch()
            errors = [run.communicate(timeout=60)[1] for run in runs]
        finally:
            for run in runs:
                if run.poll() is None:  # only after a failure above
                    run.kill()
                    run.communicate()
        assert [run.returncode for run in runs] == [0] * 4, errors
        for name, steps in (("state.sqlite3", SQLITE), ("webhooks.sqlite3", WEBHOOKS)):
            with sqlite3.connect(state / name) as db:
                assert db.execute("PRAGMA user_version").fetchone()[0] == steps[-1][0]
