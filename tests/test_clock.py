"""The one clock source: fixed by a test in-process, or by STRIPE_POWER_CLOCK_START for a process
the test starts; never the date the suite happens to run on."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from stripe_power import clock


def test_parse_takes_unix_seconds_and_iso_times_utc_unless_told() -> None:
    assert clock.parse("1769860800") == 1769860800.0
    assert clock.parse("2026-01-31T12:00:00Z") == 1769860800.0
    assert clock.parse("2026-01-31T12:00:00") == 1769860800.0
    assert clock.parse("2026-01-31T13:00:00+01:00") == 1769860800.0
    with pytest.raises(ValueError, match="STRIPE_POWER_CLOCK_START='next tuesday' is neither"):
        clock.parse("next tuesday")


def test_started_at_fixes_the_date_for_the_block_and_restores_it() -> None:
    before = clock.now()
    with clock.started_at(clock.parse("2028-02-29T23:59:30Z")):
        assert clock.today() == "2028-02-29"
        assert 0 <= clock.now() - 1835481570 < 30
    assert abs(clock.now() - before) < 60


def test_a_started_process_reads_the_environment() -> None:
    env = {**os.environ, clock.ENV: "2027-12-31T23:00:00Z"}
    code = "from stripe_power import clock, limits; print(clock.today())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "2027-12-31"
    bad = subprocess.run(
        [sys.executable, "-c", "import stripe_power.clock"],
        env={**env, clock.ENV: "soon"},
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "neither Unix seconds nor an ISO 8601 time" in bad.stderr
