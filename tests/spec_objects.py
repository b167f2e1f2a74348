"""Objects against Stripe's response schemas, read from the packaged spec index (no ../shared needed)."""

from __future__ import annotations

import functools
from typing import Any

import jsonschema

from stripe_power import spec


def _convert(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema: ``nullable`` becomes a null alternative; bypassed enums are open."""
    if isinstance(node, list):
        return [_convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _convert(v) for k, v in node.items() if k not in ("nullable", "description")}
    if node.get("x-stripeBypassValidation"):
        out.pop("enum", None)
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


@functools.cache
def _root() -> dict[str, Any]:
    return {"components": {"schemas": _convert(spec.schemas())}}


def spec_errors(typ: str, obj: Any) -> list[str]:
    """What is wrong with `obj` as a `typ` (a component schema name such as `invoice`)."""
    validator = jsonschema.Draft7Validator({"$ref": f"#/components/schemas/{typ}", **_root()})
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    return [f"{typ}.{'.'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors]


def assert_matches_spec(typ: str, obj: Any) -> None:
    errors = spec_errors(typ, obj)
    ident = obj.get("id") if isinstance(obj, dict) else ""
    assert not errors, f"{typ} {ident} does not match the spec:\n" + "\n".join(errors[:10])
