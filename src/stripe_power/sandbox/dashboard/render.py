"""HTML building blocks for the dashboard: the page frame, tables, pagers, and JSON with links.

Everything shown goes through `esc` (HTML-escaped) and objects through `audit.redact` first,
so neither markup from a request nor a secret (client secrets, webhook secrets, keys) reaches
the page.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.responses import HTMLResponse

from ...money import format_amount
from ..pages import assets

PAGE_SIZE = 50


_OK = {"succeeded", "paid", "active", "complete", "ok", "enabled", "trialing", "delivered", "ready"}
_BAD = {
    "failed",
    "canceled",
    "void",
    "uncollectible",
    "refused",
    "error",
    "expired",
    "lost",
    "past_due",
    "unpaid",
}


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def badge(value: Any) -> str:
    text = str(value)
    if text in _OK:
        cls = "ok"
    elif text in _BAD:
        cls = "bad"
    elif text.startswith("requires_") or text in {"open", "draft", "incomplete", "processing", "pending"}:
        cls = "warn"
    else:
        cls = "info"
    return f"<span class='b {cls}'>{esc(text)}</span>"


def when(ts: Any) -> str:
    if not isinstance(ts, (int, float)) or isinstance(ts, bool):
        return ""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def money(amount: Any, currency: Any) -> str:
    """An amount in minor units as a cell: `$42.00`, never broken across lines."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        return ""
    return nowrap(format_amount(amount, str(currency or "usd")) or str(amount))


def nowrap(text: Any) -> str:
    return f"<span class=nw>{esc(text)}</span>"


def link(href: str, text: Any) -> str:
    return f"<a href='{esc(href)}'>{esc(text)}</a>"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], empty: str = "Nothing yet.") -> str:
    """Cells are HTML already (callers escape what they put in)."""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    if not body:
        return f"<p class=muted>{esc(empty)}</p>"
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    thead = f"<thead><tr>{head}</tr></thead>" if any(headers) else ""
    return f"<table>{thead}<tbody>{body}</tbody></table>"


def pager(base: str, page: int, has_more: bool, extra: dict[str, str] | None = None) -> str:
    def href(p: int) -> str:
        return base + "?" + urlencode({**(extra or {}), "page": p})

    parts = []
    if page > 1:
        parts.append(link(href(page - 1), "← Newer"))
    parts.append(f"<span class=muted>Page {page}</span>")
    if has_more:
        parts.append(link(href(page + 1), "Older →"))
    return "<div class=pager>" + "".join(parts) + "</div>"


def page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


_ID = re.compile(r"^[a-z][a-z0-9]*_[A-Za-z0-9_]{6,}$")


def json_html(value: Any, href_for: Callable[[str], str | None], indent: int = 0) -> str:
    """Pretty JSON (like `json.dumps(indent=2)`), with ids that ``href_for`` knows and http(s)
    URLs turned into links."""
    pad = "  " * indent
    inner = "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{inner}<span class=muted>{esc(json.dumps(k))}</span>: {json_html(v, href_for, indent + 1)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [inner + json_html(v, href_for, indent + 1) for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    text = esc(json.dumps(value))
    if isinstance(value, str):
        target = href_for(value) if _ID.match(value) else None
        if target is None and value.startswith(("http://", "https://")):
            target = value
        if target is not None:
            return f"<a href='{esc(target)}'>{text}</a>"
    return text


def frame(title: str, body: str, nav: str = "", status: int = 200) -> HTMLResponse:
    doc = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{esc(title)} · sandbox dashboard</title>"
        f"<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<link rel=stylesheet href={assets.url('dashboard.css')}></head>"
        f"<body>{nav}<main><span class=tag>TEST MODE · stripe-power sandbox</span>{body}</main></body></html>"
    )
    # The dashboard shows request bodies: never let another site frame or cache it.
    headers = {"X-Frame-Options": "DENY", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(doc, status_code=status, headers=headers)
