"""Structured logs: one JSON object per line on stderr (`--log-format json`), for log shippers."""

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
