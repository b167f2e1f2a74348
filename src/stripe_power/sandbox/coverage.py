"""How much of Stripe's API the sandbox serves: by route (hand-written behaviour, generic kinds,
sandbox limits) and by probing every operation over HTTP (for bench/ and the tests)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import httpx

from .. import spec
from .generic import classify
from .router import Router


def by_kind(router: Router) -> dict[str, list[str]]:
    """Every operation in the spec (``METHOD /template``) by how ``router`` serves it:
    ``behaviour`` (hand-written), a generic kind (create, list, ...), or ``limit``."""
    hand = router.hand_written()
    table: dict[str, list[str]] = {}
    for op in spec.operations():
        name = "behaviour" if op.key in hand else classify(op).name
        table.setdefault(name, []).append(op.key)
    return table


@dataclass(frozen=True)
class Reply:
    key: str
    status: int
    code: str | None
    message: str

    @property
    def answered(self) -> bool:
        """Anything but Stripe's answer for a path it does not have."""
        return "Unrecognized request URL" not in self.message


def probe(base_url: str) -> list[Reply]:
    """Send every operation once (made-up ids, no params) to the sandbox at ``base_url``."""
    headers = {"Authorization": f"Bearer sk_test_{uuid.uuid4().hex}"}
    replies: list[Reply] = []
    with httpx.Client(base_url=base_url, headers=headers, trust_env=False) as http:
        for op in spec.operations():
            reply = http.request(op.method, re.sub(r"\{\w+\}", "x_1", op.path))
            error = reply.json().get("error", {}) if reply.status_code >= 400 else {}
            replies.append(Reply(op.key, reply.status_code, error.get("code"), error.get("message", "")))
    return replies
