"""The dashboard's one control: advance a test clock, as `POST .../advance` would.

A web page elsewhere could submit a form to 127.0.0.1, so the form carries a token this
sandbox process made (and a foreign Origin is refused): only the dashboard's own page can post it.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..core.ids import new_id
from ..core.store import Account
from .render import esc, frame

if TYPE_CHECKING:
    from ..core.app import Sandbox

_TOKEN = secrets.token_urlsafe(24)
MAX_DAYS = 730


def form(acct: Account, clock: dict[str, object]) -> str:
    action = f"/dashboard/{esc(acct.id)}/objects/{esc(clock['id'])}/advance"
    return (
        "<h2>Advance</h2>"
        f"<form method=post action='{action}'><input type=hidden name=token value='{_TOKEN}'>"
        f"<label>Days <input name=days type=number min=1 max={MAX_DAYS} value=31></label> "
        "<button type=submit>Advance the clock</button></form>"
        "<p class=muted>Runs renewals, trial ends, cancellations and payment retries that fall due, "
        "as <code>POST /v1/test_helpers/test_clocks/{id}/advance</code> would.</p>"
    )


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.url.netloc


async def advance(sb: Sandbox, request: Request, acct: Account) -> Response:
    clock_id = request.path_params["oid"]
    fields = await request.form()
    token, days = str(fields.get("token", "")), str(fields.get("days", ""))
    if not _same_origin(request) or not hmac.compare_digest(token, _TOKEN):
        return frame(
            "Forbidden", "<h1>Forbidden</h1><p>Advance the clock from its dashboard page.</p>", status=403
        )
    if not days.isdigit() or not 1 <= int(days) <= MAX_DAYS:
        return frame("Bad request", f"<h1>Days must be 1 to {MAX_DAYS}</h1>", status=400)
    path = f"/v1/test_helpers/test_clocks/{clock_id}"
    base_url = str(request.base_url).rstrip("/")
    with sb.state.lock:
        clock = acct.objects.get(clock_id)
        if clock is None or clock.get("object") != "test_helpers.test_clock":
            return frame("Not found", f"<h1>No test clock {esc(clock_id)}</h1>", status=404)
        target = int(str(clock["frozen_time"])) + int(days) * 86400
        status, payload, _ = sb.process(
            acct, "POST", f"{path}/advance", {"frozen_time": str(target)}, "", {}, new_id("req", 14), base_url
        )
        pending, acct.pending_events = acct.pending_events, []
    for event in pending:
        sb.webhooks.schedule(acct, event)
    if status != 200:
        return frame(
            "Not advanced", f"<h1>Not advanced</h1><pre>{esc(payload.decode())}</pre>", status=status
        )
    return RedirectResponse(f"/dashboard/{acct.id}/objects/{clock_id}", status_code=303)
