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


_KIND_TEXT = {
    "behaviour": "hand-written behaviour (money, state machines, events)",
    "create": "generic create: a spec-valid object from the schema and the params",
    "retrieve": "generic retrieve of a stored object",
    "update": "generic update: params applied onto fields of the same name",
    "delete": "generic delete (Stripe's `deleted` stub)",
    "list": "generic list (pagination, `created`, equality filters, nested under their parent)",
    "search": "generic search (Stripe's query language on the object's top-level fields)",
    "singleton": "generic singleton per account or parent (`/v1/tax/settings`, `/v1/customers/{customer}/cash_balance`)",
    "singleton_update": "generic update of such a singleton",
    "action": "generic status action (`cancel` → `canceled`, where the schema has that status)",
    "limit": "a `sandbox_limit` error (400) that says the sandbox cannot emulate it",
}


def _resource(key: str) -> str:
    path = key.split(" ", 1)[1]
    parts = [p for p in path.split("/")[2:] if not p.startswith("{")]
    return "/".join(parts[:2] if parts and parts[0] in ("test_helpers", "billing_portal") else parts[:1])


def markdown(router: Router) -> str:
    """The coverage section of docs/sandbox.md."""
    table = by_kind(router)
    total = sum(len(v) for v in table.values())
    served = total - len(table.get("limit", []))
    lines = [
        f"Stripe's spec ({spec.version()}) has {total} operations. The sandbox answers all of them: "
        f"{served} ({served / total:.0%}) are served, {len(table.get('limit', []))} answer a "
        "`sandbox_limit` error. `python bench/sandbox_coverage.py` probes each one over HTTP.",
        "",
        "| served as | operations |",
        "|---|---|",
        *(f"| {_KIND_TEXT[k]} | {len(table[k])} |" for k in _KIND_TEXT if k in table),
        "",
        "| resource | behaviour | generic | sandbox limit |",
        "|---|---|---|---|",
    ]
    rows: dict[str, list[int]] = {}
    for kind, keys in table.items():
        column = 0 if kind == "behaviour" else 2 if kind == "limit" else 1
        for key in keys:
            rows.setdefault(_resource(key), [0, 0, 0])[column] += 1
    lines += [
        f"| `{name}` | {b or ''} | {g or ''} | {lim or ''} |" for name, (b, g, lim) in sorted(rows.items())
    ]
    return "\n".join(lines)
