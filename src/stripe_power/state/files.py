"""Private files in the state directory: the folder is 0700 and every file 0600 (they hold emails,
names and whole events); looser permissions on existing ones are tightened, and the log says so.
`AuditLog` appends audit lines to one of them."""

from __future__ import annotations

import logging
import os
import stat
import threading
from pathlib import Path

from ..errors import ConfigError

logger = logging.getLogger("stripe_power.state")


def secure_dir(path: Path) -> Path:
    """Create `path` 0700, or tighten it to 0700 (logged)."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"State directory {path} is a file: pass --state-dir a folder (or move the file).")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(path, 0o700)
    return path


def secure_file(path: Path) -> Path:
    """Create `path` empty with 0600, or tighten an existing file to 0600 (logged)."""
    if path.is_dir():
        raise ConfigError(f"{path} is a folder, not a file: move it aside (or remove it) and start again.")
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
    _tighten(path, 0o600)
    return path


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        os.chmod(path, mode)
        logger.warning(
            "Tightened permissions of %s from %o to %o (it holds customer data).", path, current, mode
        )


class AuditLog:
    """Appends JSON lines to a file; thread-safe, never writes to stdout.

    The file stays open while the server runs (opening it for every request cost more than the
    rest of the audit step); each line is one unbuffered append, so a write that fails (a full
    disk) leaves nothing behind to be written twice. It raises, and the state keeps the line
    elsewhere (State.keep_audit).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = os.open(secure_file(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def write(self, line: str) -> None:
        data = (line + "\n").encode("utf-8")
        with self._lock:
            if self._fd is None:
                raise OSError(f"the audit log {self.path} is closed")
            os.write(self._fd, data)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def append_line(path: Path, line: str) -> None:
    """One line appended to a private file, opened and closed for this line (rare writes)."""
    secure_file(secure_dir(path.parent) / path.name)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
