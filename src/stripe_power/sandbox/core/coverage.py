"""How much of Stripe's API the sandbox serves: by route (hand-written behaviour, generic kinds,
sandbox limits) and by probing every operation over HTTP (for bench/ and the tests)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import httpx

from ... import spec
from . import accepted, generic
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


def parameter_limits(router: Router) -> dict[str, list[str]]:
    """Per served POST operation, the parameters it answers `sandbox_limit` for (accepted.py)."""
    hand = router.hand_written()
    out: dict[str, list[str]] = {}
    for op in spec.operations():
        if op.method != "POST" or (op.key not in hand and classify(op).name == "limit"):
            continue
        route = router.route(op.method, op.path)
        consumes = route.consumes if route is not None else generic.consumes(op)
        found = accepted.limits(op, consumes)
        if found:
            out[op.key] = found
    return out


def figures(router: Router) -> str:
    """README's one-line summary: operations served and refused, and refused parameters."""
    table = by_kind(router)
    total = sum(len(v) for v in table.values())
    refused = len(table.get("limit", []))
    params = sum(len(v) for v in parameter_limits(router).values())
    return (
        f"{total}: {total - refused} emulated, {refused} answered as named sandbox limits; "
        f"{params} parameters of emulated operations are refused the same way rather than ignored"
    )


def limits_markdown(router: Router) -> str:
    """The sandbox limits section of docs/sandbox.md: operations, hand-written refusals, parameters."""
    table = by_kind(router)
    whole = sorted(table.get("limit", []), key=lambda k: k.split(" ", 1)[::-1])
    reasons = {op.key: classify(op).why for op in spec.operations()}
    params = parameter_limits(router)
    lines = [
        f"**Operations** ({len(whole)}) that answer `sandbox_limit` whatever the request:",
        "",
        "<details><summary>the list</summary>",
        "",
        *(f"- `{key}`: {reasons[key] or 'not emulated'}" for key in whole),
        "",
        "</details>",
        "",
        f"**Values refused by hand** ({len(accepted.REFUSALS)}): served operations refuse these "
        "as `sandbox_limit`, naming the parameter, because the sandbox cannot carry them out:",
        "",
        *(
            f"- {', '.join(f'`{o}`' if o.startswith(('POST', 'GET', 'DELETE')) else o for o in r.operations)}"
            f": {r.when}; {r.why}"
            # By operation, not by the order the route modules happened to be imported in.
            for r in sorted(accepted.REFUSALS, key=lambda r: (r.operations, r.when))
        ),
        "",
        f"**Parameters** ({sum(len(v) for v in params.values())}, on {len(params)} served "
        "operations) that answer `sandbox_limit`: the handler does not apply them and the object has "
        "no field of that name to store them in (`[]` marks an item of an array):",
        "",
        "<details><summary>the list</summary>",
        "",
        *(
            f"- `{key}`: " + ", ".join(f"`{p}`" for p in found)
            for key, found in sorted(params.items(), key=lambda kv: kv[0].split(" ", 1)[::-1])
        ),
        "",
        "</details>",
    ]
    return "\n".join(lines)


def emulated_markdown(router: Router) -> str:
    """The operations with hand-written behaviour, by resource (docs/sandbox.md)."""
    by_resource: dict[str, list[str]] = {}
    for key in sorted(router.hand_written(), key=lambda k: k.split(" ", 1)[::-1]):
        if spec.operation(*key.split(" ", 1)) is not None:
            by_resource.setdefault(_resource(key), []).append(key)
    count = sum(len(v) for v in by_resource.values())
    return "\n".join(
        [
            f"{count} operations have hand-written behaviour; every other served operation is generic "
            "storage from the spec (see Coverage).",
            "",
            "<details><summary>the list, by resource</summary>",
            "",
            *(
                f"- `{name}`: " + ", ".join(f"`{k}`" for k in keys)
                for name, keys in sorted(by_resource.items())
            ),
            "",
            "</details>",
        ]
    )


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
