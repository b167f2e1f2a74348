"""Build the packaged index from Stripe's OpenAPI description (used by scripts/gen_spec_index.py
and by the staleness test; never at run time).

The index keeps the OpenAPI shape so that `$ref`s resolve and JSON Schema validators run on it
unchanged. What goes: HTML and links in prose (cut to the first sentence), `title`, form
`encoding`/`style`/`explode`, error responses, and vendor keys nothing here reads.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

INDEX_NAME = "openapi.json.gz"
FIXTURES_NAME = "fixtures.json.gz"
_METHODS = ("get", "post", "delete")
# Schema keys the index keeps; everything else is dropped.
_KEEP = frozenset(
    {
        "type",
        "properties",
        "required",
        "enum",
        "maxLength",
        "items",
        "anyOf",
        "oneOf",
        "$ref",
        "nullable",
        "format",
        "additionalProperties",
        "description",
        "x-expandableFields",
        "x-expansionResources",
        "x-stripeBypassValidation",
        "x-resourceId",
        "pattern",
    }
)
_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")
_SENTENCE = re.compile(r"(?<=[a-z0-9)`'\"])\.(\s|$)")


def short(text: str, limit: int) -> str:
    """The first sentence of Stripe's prose, as plain text, at most `limit` characters."""
    plain = _LINK.sub(r"\1", html.unescape(_TAG.sub("", text))).replace("\n", " ").strip()
    plain = re.sub(r"\s+", " ", plain)
    end = _SENTENCE.search(plain)
    if end:
        plain = plain[: end.start() + 1]
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"


def _prune(node: Any, limit: int) -> Any:
    if isinstance(node, list):
        return [_prune(item, limit) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in _KEEP:
            continue
        if key == "description":
            if limit:
                out[key] = short(value, limit)
        elif key == "properties":
            out[key] = {name: _prune(sub, limit) for name, sub in value.items()}
        elif key in ("x-expansionResources",):
            out[key] = value
        else:
            out[key] = _prune(value, limit)
    return out


def _operation(op: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": op["operationId"]}
    summary = op.get("summary") or ""
    description = short(op.get("description", ""), 240)
    if summary:
        out["summary"] = summary
    if description and description != summary:
        out["description"] = description
    params = [
        {
            "name": p["name"],
            "in": p["in"],
            **({"required": True} if p.get("required") else {}),
            **({"description": short(p["description"], 160)} if p.get("description") else {}),
            "schema": _prune(p.get("schema", {}), 160),
        }
        for p in op.get("parameters", [])
    ]
    if params:
        out["parameters"] = params
    body = op.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded", {})
    if "schema" in body:
        schema = _prune(body["schema"], 160)
        if schema.get("properties"):
            out["requestBody"] = {"content": {"application/x-www-form-urlencoded": {"schema": schema}}}
    ok = op.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
    if "schema" in ok:
        out["responses"] = {"200": {"content": {"application/json": {"schema": _prune(ok["schema"], 0)}}}}
    return out


def build(spec: dict[str, Any]) -> dict[str, Any]:
    paths = {
        path: {m: _operation(op) for m, op in sorted(ops.items()) if m in _METHODS}
        for path, ops in sorted(spec["paths"].items())
    }
    schemas = {name: _prune(schema, 120) for name, schema in sorted(spec["components"]["schemas"].items())}
    return {
        "openapi": spec.get("openapi", "3.0.0"),
        "info": {"version": spec["info"]["version"], "license": "MIT (Stripe, Inc.); see LICENSE"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def encode(data: Any) -> bytes:
    # mtime=0: the same input always gives the same bytes, so the staleness test can compare them.
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return gzip.compress(raw, compresslevel=9, mtime=0)


def write_index(source: Path, target: Path) -> list[Path]:
    spec = json.loads((source / "spec3.json").read_text())
    fixtures = json.loads((source / "fixtures3.json").read_text())
    written = [target / INDEX_NAME, target / FIXTURES_NAME, target / "LICENSE"]
    written[0].write_bytes(encode(build(spec)))
    written[1].write_bytes(encode(fixtures))
    shutil.copyfile(source / "LICENSE", written[2])
    return written
