"""A recording stand-in for Stripe at the HTTP layer: real sockets on 127.0.0.1, canned answers.

It shows exactly what the server put on the wire (method, path, form body, headers), so
tests can assert the request body byte for byte and prove that a refused call sent nothing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# (status, JSON body) or (status, JSON body, extra response headers)
Answer = tuple[int, dict[str, Any]] | tuple[int, dict[str, Any], dict[str, str]]


@dataclass
class Recorded:
    method: str
    path: str
    query: list[tuple[str, str]]
    body: str
    headers: dict[str, str]

    @property
    def form(self) -> list[tuple[str, str]]:
        """The form pairs in the order sent (body for POST, query string for GET/DELETE)."""
        return parse_qsl(self.body, keep_blank_values=True) if self.body else self.query


@dataclass
class RecordingStripe:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    routes: dict[tuple[str, str], Callable[[Recorded], Answer]] = field(default_factory=dict)

    def on(
        self, method: str, path: str, body: dict[str, Any] | Callable[[Recorded], Answer], status: int = 200
    ) -> None:
        if callable(body):
            self.routes[(method, path)] = body
            return
        answer: Answer = (status, body)
        self.routes[(method, path)] = lambda _request: answer

    def only(self) -> Recorded:
        assert len(self.requests) == 1, [f"{r.method} {r.path}" for r in self.requests]
        return self.requests[0]


def _handler(fake: RecordingStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            recorded = Recorded(
                self.command,
                parts.path,
                parse_qsl(parts.query, keep_blank_values=True),
                body,
                dict(self.headers),
            )
            fake.requests.append(recorded)
            route = fake.routes.get((self.command, parts.path))
            status, answer, *extra = (
                route(recorded)
                if route
                else (404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                      "message": f"No such route {self.command} {parts.path}"}})
            )  # fmt: skip
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Request-Id", f"req_fake{len(fake.requests)}")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (extra[0] if extra else {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def recording_stripe() -> Iterator[RecordingStripe]:
    fake = RecordingStripe()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=lambda: httpd.serve_forever(poll_interval=0.05), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
