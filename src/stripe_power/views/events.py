"""The view of an event: its type, what changed, and its object (`data.object`) in that object's own view."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..state.webhook_store import object_of
from ._base import Summary

MAX_CHANGES = 5


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= 40 else text[:39] + "…"


def changes(event: Mapping[str, Any]) -> dict[str, str] | None:
    """`previous_attributes` as "old → new", one level deep, at most MAX_CHANGES keys."""
    data = event.get("data")
    previous = data.get("previous_attributes") if isinstance(data, Mapping) else None
    if not isinstance(previous, Mapping) or not previous:
        return None
    obj = object_of(event)
    pairs: list[tuple[str, Any, Any]] = []
    for key, old in previous.items():
        new = obj.get(key)
        if isinstance(old, Mapping) and isinstance(new, Mapping) and old:
            pairs.extend((f"{key}.{k}", v, new.get(k)) for k, v in old.items())
        else:
            pairs.append((key, old, new))
    shown = {key: f"{_short(old)} → {_short(new)}" for key, old, new in pairs[:MAX_CHANGES]}
    if len(pairs) > MAX_CHANGES:
        shown["…"] = f"{len(pairs) - MAX_CHANGES} more"
    return shown


class EventData(Summary):
    object: dict[str, Any]


class EventSummary(Summary):
    id: str
    type: str
    created: int | None = None
    data: EventData | None = None
    changes: dict[str, str] | None = None
    pending_webhooks: int | None = None

    @classmethod
    def of(cls, event: Mapping[str, Any], *, detail: bool = False, row: bool = False) -> EventSummary:
        """`detail`: with pending_webhooks (one event read by id); `row`: the object as a list row."""
        from . import view_dict  # the registry holds this view too

        obj = object_of(event)
        shown = view_dict(obj, row=row) if obj else None
        if shown is not None:
            # The object as it was then: its next step may be stale by now (retrieve it for one).
            shown.pop("next_step", None)
        return cls(
            id=event["id"],
            type=event["type"],
            created=event.get("created"),
            data=EventData(object=shown) if shown is not None else None,
            changes=changes(event),
            pending_webhooks=event.get("pending_webhooks") if detail else None,
        )

    @classmethod
    def row(cls, event: Mapping[str, Any]) -> EventSummary:
        return cls.of(event, row=True)
