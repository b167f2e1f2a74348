"""State on disk: folder 0700, files 0600 (existing ones tightened, and logged); a broken file
stops `stripe-power` with exit 2 and one line naming the file and the fix; the refund ledger
is never lost silently. Also `stripe-power migrate` on both backends."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from stripe_power.limits import SpendingLimits
from stripe_power.state.embedded import EmbeddedState
from stripe_power.state.migrations import LATEST, POSTGRES
from stripe_power.state.webhook_store import close_all_stores

from .conftest import Connect, new_key, payload
from .fakes import RecordingStripe

BIN = Path(sys.executable).parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def serve(
    state_dir: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`stripe-power serve` over stdio with stdin closed: it opens its state, then ends."""
    return subprocess.run(
        [str(BIN / "stripe-power"), "serve", "--state-dir", str(state_dir), "--api-base", "http://127.0.0.1:9", *extra],
        env={"PATH": os.environ["PATH"], "HOME": str(state_dir.parent), "STRIPE_SECRET_KEY": new_key(), **(env or {})},
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def one_line_exit_2(done: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("stripe-power:")]
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


async def test_new_state_is_private(connect: Connect, fake: RecordingStripe, tmp_path: Path) -> None:
    fake.on("POST", "/v1/customers", {"id": "cus_1", "object": "customer", "email": "a@example.com"})
    async with connect() as client:
        payload(await client.call_tool("create_customer", {"email": "a@example.com"}))
    state = tmp_path / "state"
    assert "a@example.com" in (state / "audit.jsonl").read_text()
    assert mode(state) == 0o700
    files = sorted(p.name for p in state.iterdir())
    assert {"audit.jsonl", "state.sqlite3", "webhooks.sqlite3"} <= set(files)
    assert {name: mode(state / name) for name in files} == dict.fromkeys(files, 0o600)


async def test_loose_permissions_are_tightened_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    os.chmod(state, 0o755)
    for name in ("audit.jsonl", "webhooks.sqlite3", "state.sqlite3"):
        (state / name).touch()
        os.chmod(state / name, 0o644)
    caplog.set_level(logging.WARNING, "stripe_power.state")
    opened = EmbeddedState(state)
    await opened.start()
    await opened.stop()
    close_all_stores()
    assert mode(state) == 0o700
    assert all(mode(state / name) == 0o600 for name in ("audit.jsonl", "webhooks.sqlite3", "state.sqlite3"))
    tightened = [r.getMessage() for r in caplog.records if "Tightened" in r.getMessage()]
    assert len(tightened) == 4 and all("from 644 to 600" in m or "from 755 to 700" in m for m in tightened)


def test_corrupt_webhook_store_exits_2_naming_the_file(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "webhooks.sqlite3").write_bytes(b"this is not a database, it is garbage" * 100)
    one_line_exit_2(serve(state), str(state / "webhooks.sqlite3"), "move it aside")


def test_json_logs_are_one_object_per_line(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    os.chmod(state, 0o755)
    (state / "webhooks.sqlite3").write_bytes(b"garbage" * 100)
    done = serve(state, "--log-format", "json")
    one_line_exit_2(done, "webhooks.sqlite3")
    logged = [json.loads(line) for line in done.stderr.splitlines() if not line.startswith("stripe-power:")]
    assert {"time", "level", "logger", "message"} <= logged[0].keys()
    assert any(entry["message"].startswith("Tightened permissions") for entry in logged)


def test_audit_path_that_is_a_folder_exits_2(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "audit.jsonl").mkdir(parents=True)
    one_line_exit_2(serve(state), str(state / "audit.jsonl"), "is a folder")


def test_unreadable_ledger_exits_2_and_is_kept(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "state.sqlite3").write_bytes(b"garbage" * 1000)
    one_line_exit_2(serve(state), str(state / "state.sqlite3"), "restore it from a backup")
    assert (state / "state.sqlite3").read_bytes() == b"garbage" * 1000
    # The ledger of an earlier version, unreadable: refused too, never read as "nothing refunded".
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "refund-ledger.json").write_text("{not json")
    one_line_exit_2(serve(legacy), str(legacy / "refund-ledger.json"), "move it aside")
    assert (legacy / "refund-ledger.json").read_text() == "{not json"


async def test_earlier_ledger_is_imported_not_forgotten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = new_key()
    today = datetime.now(UTC).date().isoformat()
    (tmp_path / "refund-ledger.json").write_text(json.dumps({today: {"usd": 4000}}))
    caplog.set_level(logging.WARNING, "stripe_power.state")
    state = EmbeddedState(tmp_path, legacy_key=key)
    await state.start()
    limits = SpendingLimits({}, {"usd": 5000}, state, lambda: state.scope_of(key))
    with pytest.raises(Exception, match=r"\$10.00 left today"):
        async with limits.refund_reserved(2000, "usd"):
            pass
    await state.stop()
    close_all_stores()
    assert not (tmp_path / "refund-ledger.json").exists()
    assert (tmp_path / "refund-ledger.json.imported").exists()
    assert any("Imported today's refunds" in r.getMessage() for r in caplog.records)


def test_migrate_command_creates_the_schema_once(postgres_url: str, tmp_path: Path) -> None:
    def migrate(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "stripe-power"), "migrate", *extra],
            env={"PATH": os.environ["PATH"], "STRIPE_POWER_STATE_URL": postgres_url},
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    first, second = migrate(), migrate()
    applied = ", ".join(str(version) for version, _ in POSTGRES)
    assert first.returncode == 0 and f"applied version {applied})" in first.stderr, first.stderr
    assert second.returncode == 0 and "up to date." in second.stderr and "applied" not in second.stderr
    assert first.stdout == second.stdout == ""
    with psycopg.connect(postgres_url) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM stripe_power_migrations")]
    assert versions == [version for version, _ in POSTGRES] and versions[-1] == LATEST
    base = postgres_url.rpartition("/")[0]
    unreachable = migrate("--state-url", f"{base}/sp_no_such_database_here")
    assert unreachable.returncode == 2 and "Traceback" not in unreachable.stderr
    assert (
        "Cannot use the state database" in unreachable.stderr
        and "sp_no_such_database_here" in unreachable.stderr
    )
