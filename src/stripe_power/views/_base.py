"""What every view is built from: the model base, a page of views, money and ids in the forms tools show."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from ..gateway import object_id
from ..money import format_amount as money  # the one formatter, under the name views use


class Summary(BaseModel):
    # Built on first use, not at import: listing tools needs none of the ~60 view models.
    model_config = ConfigDict(extra="forbid", defer_build=True)


ref = object_id  # the name views use for an expandable field's id


T = TypeVar("T", bound=BaseModel)


class Page(Summary, Generic[T]):
    data: list[T]
    has_more: bool
    next_starting_after: str | None = None

    @classmethod
    def of(cls, body: Mapping[str, Any], item: Callable[[Mapping[str, Any]], T]) -> Page[T]:
        data = [item(obj) for obj in body.get("data", [])]
        has_more = bool(body.get("has_more"))
        last = body["data"][-1]["id"] if has_more and body.get("data") else None
        return cls(data=data, has_more=has_more, next_starting_after=last)


def only(summary: T, names: frozenset[str]) -> T:
    """The same view with only `names` kept (a list row): one model, two depths."""
    fields = type(summary).model_fields
    for name in summary.model_fields_set - names:
        setattr(summary, name, fields[name].get_default(call_default_factory=True))
    return summary


__all__ = ["Page", "Summary", "money", "only", "ref"]
