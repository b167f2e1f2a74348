"""Log formats on stderr: text lines (the default) and one JSON object per line (`--log-format
json`, for log shippers). Both redact keys, webhook secrets, client secrets and card numbers: a
message may quote a path or a value a caller sent."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from .audit import redact_text


class JsonFormatter(logging.Formatter):
    """time, level, logger, message (secrets redacted), and the exception's text if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact_text(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`time level logger: message`, secrets redacted."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))
