"""Loading the packaged index and finding operations in it."""

from __future__ import annotations

import functools
import gzip
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ._build import FIXTURES_NAME, INDEX_NAME

Schema = dict[str, Any]
_REF = "#/components/schemas/"


def _read(name: str) -> Any:
    return json.loads(gzip.decompress(resources.files(__package__).joinpath(name).read_bytes()))


@functools.cache
def document() -> dict[str, Any]:
    """The pruned OpenAPI document (the same shape as spec3.json). Loaded once, on first use."""
    data: dict[str, Any] = _read(INDEX_NAME)
    return data


@functools.cache
def fixtures() -> dict[str, Any]:
    """Stripe's example objects by type (`fixtures3.json`'s `resources`)."""
    data: dict[str, Any] = _read(FIXTURES_NAME)["resources"]
    return data


def version() -> str:
    return str(document()["info"]["version"])


def schemas() -> dict[str, Schema]:
    found: dict[str, Schema] = document()["components"]["schemas"]
    return found


def deref(node: Schema) -> Schema:
    """Follow `$ref`s to the schema they name."""
    while "$ref" in node:
        node = schemas()[node["$ref"].removeprefix(_REF)]
    return node


def ref_name(node: Schema) -> str | None:
    ref = node.get("$ref")
    return ref.removeprefix(_REF) if isinstance(ref, str) else None


@dataclass(frozen=True)
class Operation:
    """One method on one path, as Stripe's spec describes it."""

    method: str  # GET, POST, DELETE
    path: str  # the template, e.g. /v1/customers/{customer}
    raw: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def operation_id(self) -> str:
        return str(self.raw["operationId"])

    @property
    def summary(self) -> str:
        return str(self.raw.get("summary") or self.raw.get("description") or self.operation_id)

    @property
    def description(self) -> str:
        return str(self.raw.get("description", ""))

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(p["name"] for p in self.raw.get("parameters", ()) if p["in"] == "path")

    @functools.cached_property
    def params(self) -> Schema:
        """The parameters a caller sends (query for GET, form body otherwise; DELETE may have
        both) as one object schema: `properties`, `required`, no unknown keys."""
        body = self.raw.get("requestBody", {}).get("content", {})
        schema = dict(body.get("application/x-www-form-urlencoded", {}).get("schema", {}))
        properties = dict(schema.get("properties", {}))
        required = list(schema.get("required", []))
        for p in self.raw.get("parameters", ()):
            if p["in"] != "query":
                continue
            properties[p["name"]] = {
                **p["schema"],
                **({"description": p["description"]} if "description" in p else {}),
            }
            if p.get("required"):
                required.append(p["name"])
        return {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }

    @property
    def response(self) -> Schema | None:
        ok = self.raw.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
        schema: Schema | None = ok.get("schema")
        return schema

    @functools.cached_property
    def returns(self) -> str | None:
        """The object type a successful call returns (`customer`, `list of invoice`), from the spec."""
        schema = self.response
        if schema is None:
            return None
        names = [ref_name(s) for s in schema.get("anyOf", [schema])]
        named = [n for n in names if n and not n.startswith("deleted_")] or [n for n in names if n]
        if named:
            return named[0]
        data = schema.get("properties", {}).get("data", {})
        if schema.get("properties", {}).get("object", {}).get("enum") in (["list"], ["search_result"]):
            item = ref_name(data.get("items", {}))
            return f"list of {item}" if item else "list"
        return None


@functools.cache
def operations() -> tuple[Operation, ...]:
    return tuple(
        Operation(method.upper(), path, op)
        for path, ops in document()["paths"].items()
        for method, op in ops.items()
    )


@functools.cache
def _by_key() -> dict[str, Operation]:
    return {op.key: op for op in operations()}


def operation(method: str, path: str) -> Operation | None:
    """The operation for a method and a path template (`/v1/customers/{customer}`)."""
    return _by_key().get(f"{method.upper()} {path}")


_PARAM = re.compile(r"\{[^}]+\}")


@functools.cache
def _matchers() -> dict[str, list[tuple[int, re.Pattern[str], Operation]]]:
    table: dict[str, list[tuple[int, re.Pattern[str], Operation]]] = {}
    for op in operations():
        literal = len(op.path.split("/")) - len(_PARAM.findall(op.path))
        pattern = re.compile(
            "".join(
                "[^/]+" if _PARAM.fullmatch(part) else re.escape(part)
                for part in re.split(r"(\{[^}]+\})", op.path)
            )
        )
        table.setdefault(op.method, []).append((literal, pattern, op))
    for rows in table.values():
        # More literal segments first: /v1/invoices/create_preview before /v1/invoices/{invoice}.
        rows.sort(key=lambda row: -row[0])
    return table


def resolve(method: str, path: str) -> Operation | None:
    """The operation a concrete request path (`/v1/customers/cus_123`) calls, or None."""
    path = path.split("?", 1)[0].rstrip("/") or "/"
    for _, pattern, op in _matchers().get(method.upper(), ()):
        if pattern.fullmatch(path):
            return op
    return None


def path_exists(path: str) -> bool:
    """Whether any method is defined for this concrete path (to tell a wrong method from a wrong path)."""
    return any(resolve(m, path) for m in ("GET", "POST", "DELETE"))
