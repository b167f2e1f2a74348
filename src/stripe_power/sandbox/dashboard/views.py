"""The dashboard's pages. Each takes the state lock only while it reads, and renders one page
of at most `PAGE_SIZE` rows, so a page costs the same with ten objects or ten thousand."""

from __future__ import annotations

import json
from itertools import islice
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse

from ...audit import redact, redact_text
from ...config import mask_key
from ..core.store import JSON, Account, RecordedRequest
from . import clock
from .agent import CALL_HEADER, TOOL_HEADER, ToolCall, timeline
from .render import PAGE_SIZE, badge, esc, frame, json_html, link, nowrap, page_number, pager, table, when
from .sections import Links, Section, live_count, newest, visible

if TYPE_CHECKING:
    from ..core.app import Sandbox

# How far back an object's page looks for the events and requests that mention it.
_RELATED_SCAN = 2000


class Views:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    # -- frame ---------------------------------------------------------------------------
    def account(self, handle: str) -> Account | None:
        return next((a for a in self.sb.state.accounts.values() if a.id == handle), None)

    def _nav(self, acct: Account | None, here: str) -> str:
        items = [("/dashboard", "All accounts")]
        head = "<div class=brand>Sandbox dashboard</div>"
        if acct is not None:
            base = f"/dashboard/{acct.id}"
            head += f"<div class=acct>{esc(mask_key(acct.api_key))}<br>{esc(acct.id)}</div>"
            items += [(base, "Overview")]
            items += [(f"{base}/list/{s.slug}", s.title) for s in visible(acct)]
            items += [
                (f"{base}/events", "Events & webhooks"),
                (f"{base}/requests", "Request log"),
                (f"{base}/agent", "What the agent did"),
            ]
        links = "".join(
            f"<a href='{esc(href)}'{' class=on' if href == here else ''}>{esc(text)}</a>"
            for href, text in items
        )
        return f"<nav>{head}{links}</nav>"

    def _page(self, acct: Account | None, here: str, title: str, body: str) -> HTMLResponse:
        return frame(title, body, self._nav(acct, here))

    def not_found(self, what: str) -> HTMLResponse:
        body = f"<h1>Not found</h1><p class=muted>{esc(what)}</p><p>{link('/dashboard', 'All accounts')}</p>"
        return frame("Not found", body, self._nav(None, ""), status=404)

    # -- pages ---------------------------------------------------------------------------
    def accounts(self, request: Request) -> HTMLResponse:
        with self.sb.state.lock:
            rows = [
                (
                    link(f"/dashboard/{a.id}", mask_key(a.api_key)),
                    esc(a.id),
                    esc(len(a.requests)),
                    esc(live_count(a, "payment_intent")),
                    esc(when(a.requests[-1].time) if a.requests else ""),
                )
                for a in self.sb.state.accounts.values()
            ]
        body = "<h1>Accounts</h1><p class=muted>The sandbox keeps one account per API key; keys are shown masked.</p>"
        body += table(
            ["API key", "Account", "Requests", "Payments", "Last request"],
            rows,
            "No accounts yet: the first API request with a test key (sk_test_...) makes one.",
        )
        return self._page(None, "/dashboard", "Accounts", body)

    def overview(self, request: Request, acct: Account) -> HTMLResponse:
        base = f"/dashboard/{acct.id}"
        with self.sb.state.lock:
            cards = [
                (f"{base}/list/{s.slug}", s.title, live_count(acct, s.object_type)) for s in visible(acct)
            ]
            cards += [
                (f"{base}/events", "Events", live_count(acct, "event")),
                (f"{base}/requests", "API requests", len(acct.requests)),
            ]
            agent = self.sb.audit_logs.get(acct.api_key)
        html = "".join(f"<a class=card href='{esc(h)}'><b>{n}</b>{esc(t)}</a>" for h, t, n in cards)
        note = (
            f"An MCP server's audit log is attached ({esc(agent.path)}): "
            f"{link(base + '/agent', 'see what the agent did')}."
            if agent is not None
            else "Requests sent by a stripe-power MCP server name the tool call that made them "
            f"({link(base + '/agent', 'what the agent did')})."
        )
        body = f"<h1>Overview</h1><div class=cards>{html}</div><p class=muted>{note}</p>"
        return self._page(acct, base, "Overview", body)

    def section(self, request: Request, acct: Account, section: Section) -> HTMLResponse:
        page = page_number(request.query_params.get("page"))
        base = f"/dashboard/{acct.id}/list/{section.slug}"
        links = Links(acct)
        with self.sb.state.lock:
            objs, more = newest(acct, section.object_type, page, PAGE_SIZE)
            rows = [[cell(redact(o), links) for _, cell in section.columns] for o in objs]
            total = live_count(acct, section.object_type)
        body = f"<h1>{esc(section.title)}</h1><p class=muted>{total} created, newest first.</p>"
        body += table([h for h, _ in section.columns], rows) + pager(base, page, more)
        return self._page(acct, base, section.title, body)

    def obj(self, request: Request, acct: Account, oid: str) -> HTMLResponse:
        links = Links(acct)
        with self.sb.state.lock:
            found = acct.objects.get(oid)
            if found is None:
                return self.not_found(f"No object {oid} in this account.")
            shown = redact(found)
            events = [e for e in islice(self._newest_events(acct), _RELATED_SCAN) if _about(e, oid)][
                :PAGE_SIZE
            ]
            requests = [r for r in islice(reversed(acct.requests), _RELATED_SCAN) if oid in r.path][
                :PAGE_SIZE
            ]
            deliveries = list(self.sb.webhooks.by_event.get(oid, ()))
        typ = str(found.get("object", "object"))
        body = f"<h1>{esc(typ)} <span class=muted>{esc(oid)}</span></h1>"
        if typ == "event":
            body += self._event_parts(shown, deliveries, links)
        if typ == "test_helpers.test_clock":
            body += clock.form(acct, found)
        body += f"<h2>JSON</h2><pre>{json_html(shown, links.href)}</pre>"
        if typ != "event":
            body += "<h2>Events</h2>" + table(
                ["Event", "Type", "Created"],
                ([links.obj(e["id"]), esc(e["type"]), nowrap(when(e["created"]))] for e in events),
                "No events about this object.",
            )
        body += "<h2>API requests</h2>" + self._request_table(acct, requests)
        return self._page(acct, "", oid, body)

    def _event_parts(self, event: JSON, deliveries: list[Any], links: Links) -> str:
        previous = (event.get("data") or {}).get("previous_attributes")
        out = f"<p>{badge(event.get('type'))} at {esc(when(event.get('created')))}"
        req = (event.get("request") or {}).get("id")
        if isinstance(req, str):
            out += f" · caused by request {link(f'{links.base}/requests/{req}', req)}"
        out += "</p><h2>previous_attributes</h2>"
        out += f"<pre>{json_html(previous, links.href)}</pre>" if previous else "<p class=muted>None.</p>"
        rows = [
            [
                esc(d.url),
                esc(n),
                "retry" if n > 1 else "first",
                badge(attempt.status) if attempt.status is not None else badge("error"),
                nowrap(when(attempt.time)),
                esc(attempt.error or ""),
            ]
            for d in deliveries
            for n, attempt in enumerate(d.log, 1)
        ]
        out += "<h2>Webhook deliveries</h2>" + table(
            ["Endpoint", "Attempt", "Retry", "HTTP status", "Time", "Error"],
            rows,
            "No delivery attempts (no enabled webhook endpoint listens for this event, or it is still queued).",
        )
        return out

    @staticmethod
    def _newest_events(acct: Account) -> Any:
        for oid in reversed(acct.order.get("event", [])):
            event = acct.objects.get(oid)
            if event is not None:
                yield event

    def events(self, request: Request, acct: Account) -> HTMLResponse:
        page = page_number(request.query_params.get("page"))
        base = f"/dashboard/{acct.id}/events"
        links = Links(acct)
        with self.sb.state.lock:
            found, more = newest(acct, "event", page, PAGE_SIZE)
            rows = []
            for e in found:
                attempts = [a for d in self.sb.webhooks.by_event.get(e["id"], ()) for a in d.log]
                status = ", ".join(str(a.status or "error") for a in attempts) or "—"
                rows.append(
                    [
                        links.obj(e["id"]),
                        nowrap(e["type"]),
                        links.obj(((e.get("data") or {}).get("object") or {}).get("id")),
                        nowrap(when(e["created"])),
                        esc(status),
                    ]
                )
        body = "<h1>Events &amp; webhooks</h1>" + table(
            ["Event", "Type", "Object", "Created", "Webhook attempts (HTTP status)"], rows
        )
        return self._page(acct, base, "Events", body + pager(base, page, more))

    def requests(self, request: Request, acct: Account) -> HTMLResponse:
        page = page_number(request.query_params.get("page"))
        base = f"/dashboard/{acct.id}/requests"
        with self.sb.state.lock:
            start = (page - 1) * PAGE_SIZE
            shown = list(islice(reversed(acct.requests), start, start + PAGE_SIZE + 1))
            body = (
                f"<h1>Request log</h1><p class=muted>The newest {acct.requests.maxlen} requests are kept.</p>"
            )
            body += self._request_table(acct, shown[:PAGE_SIZE])
        return self._page(acct, base, "Request log", body + pager(base, page, len(shown) > PAGE_SIZE))

    def _request_table(self, acct: Account, records: list[RecordedRequest], tool_column: bool = True) -> str:
        base = f"/dashboard/{acct.id}"
        rows = []
        for r in records:
            tool = r.headers.get(TOOL_HEADER)
            call = r.headers.get(CALL_HEADER)
            rows.append(
                [
                    nowrap(when(r.time)),
                    f"<b>{esc(r.method)}</b> {esc(redact_text(r.path))}",
                    _status(r),
                    esc(r.headers.get("idempotency-key", ""))
                    + (" " + badge("replayed") if r.replayed else ""),
                    link(f"{base}/requests/{r.request_id}", r.request_id),
                    nowrap(f"{r.duration_ms:.1f} ms" if r.duration_ms is not None else ""),
                    link(f"{base}/agent?" + urlencode({"call": call}), tool or call) if call else "",
                ][: None if tool_column else -1]
            )
        headers = ["Time", "Request", "Status", "Idempotency key", "Request id", "Duration", "Tool call"]
        return table(headers[: None if tool_column else -1], rows, "No API requests.")

    def request(self, request: Request, acct: Account, request_id: str) -> HTMLResponse:
        links = Links(acct)
        with self.sb.state.lock:
            found = next((r for r in reversed(acct.requests) if r.request_id == request_id), None)
        if found is None:
            return self.not_found(
                f"No request {request_id} in this account's log (it keeps the newest ones)."
            )
        try:
            response: Any = json.loads(found.response) if found.response else None
        except ValueError:
            response = found.response.decode("utf-8", "replace")
        call = found.headers.get(CALL_HEADER)
        summary = [
            ("Request", f"<b>{esc(found.method)}</b> {esc(redact_text(found.path))}"),
            ("Status", _status(found)),
            ("Request id", esc(found.request_id)),
            ("Time", esc(when(found.time))),
            ("Duration", esc(f"{found.duration_ms:.1f} ms" if found.duration_ms is not None else "")),
            ("Idempotency key", esc(found.headers.get("idempotency-key", "—"))),
            ("Replayed", "yes: answered from the idempotency cache" if found.replayed else "no"),
        ]
        if call:
            made_by = link(
                f"/dashboard/{acct.id}/agent?" + urlencode({"call": call}),
                f"{found.headers.get(TOOL_HEADER, '?')} ({call})",
            )
            summary.append(("Made by tool call", made_by))
        body = f"<h1>Request {esc(request_id)}</h1>" + table(["", ""], summary)
        body += "<h2>Headers</h2>" + f"<pre>{json_html(redact(found.headers), links.href)}</pre>"
        body += "<h2>Request parameters</h2>" + f"<pre>{json_html(redact(found.params), links.href)}</pre>"
        body += "<h2>Response body</h2>" + f"<pre>{json_html(redact(response), links.href)}</pre>"
        return self._page(acct, "", request_id, body)

    def agent(self, request: Request, acct: Account) -> HTMLResponse:
        page = page_number(request.query_params.get("page"))
        only = request.query_params.get("call")
        base = f"/dashboard/{acct.id}/agent"
        tail = self.sb.audit_logs.get(acct.api_key)
        entries = tail.entries() if tail is not None else []  # file I/O: outside the lock
        with self.sb.state.lock:
            calls = timeline(entries, list(acct.requests))
        calls.reverse()
        if only:
            calls = [c for c in calls if c.call == only]
        who = request.query_params.get("person")  # OAuth mode: one person's calls
        if who:
            calls = [c for c in calls if c.person == who]
        start = (page - 1) * PAGE_SIZE
        shown = calls[start : start + PAGE_SIZE]
        source = (
            f"Tool calls from the MCP server's audit log ({esc(tail.path)}) and the requests each one made."
            if tail is not None
            else "No MCP server audit log is attached to this account (it is when the server runs with "
            "<code>serve --sandbox</code> or the demo); tool calls below come from the requests they sent."
        )
        body = f"<h1>What the agent did</h1><p class=muted>{source} Newest first.</p>"
        if only or who:
            body += f"<p>{link(base, 'Show every tool call')}</p>"
        body += "".join(self._call(acct, c) for c in shown) or "<p class=muted>No tool calls yet.</p>"
        extra = {"call": only} if only else {"person": who} if who else None
        return self._page(
            acct, base, "What the agent did", body + pager(base, page, len(calls) > start + PAGE_SIZE, extra)
        )

    def _call(self, acct: Account, c: ToolCall) -> str:
        outcome = {
            None: badge("sent"),
            "ok": badge("ok"),
            "refused": f"<span class='b bad'>refused: {esc(c.rule)}</span>",
            "error": badge("error"),
            "confirmation_required": badge("confirmation_required"),
        }.get(c.outcome, badge(c.outcome))
        head = (
            f"<div><b>{esc(c.tool)}</b> {outcome} <span class=muted>{esc(when(c.time))} · {esc(c.call)}"
            + (
                " · by " + link(f"/dashboard/{acct.id}/agent?" + urlencode({"person": c.person}), c.person)
                if c.person
                else ""
            )
            + (f" · {c.duration_ms} ms" if c.duration_ms is not None else "")
            + "</span></div>"
        )
        args = json.dumps(redact(c.arguments), separators=(", ", ": ")) if c.arguments else ""
        out = head + (f"<div class=args>{esc(args)}</div>" if args else "")
        if c.error and c.outcome != "ok":
            out += f"<p class=muted>{esc(c.error[:600])}</p>"
        if c.refused:
            out += "".join(
                f"<div>Never sent to Stripe: <b>{esc(r.get('method'))}</b> {esc(r.get('path'))} "
                f"(guardrail <code>{esc(r.get('refused'))}</code>)</div>"
                for r in c.refused
            )
        elif c.outcome == "refused" and not c.requests:
            out += "<div>Never sent to Stripe: refused before any request.</div>"
        if c.requests:
            out += self._request_table(acct, c.requests, tool_column=False)
        return f"<div class=call id='{esc(c.call)}'>{out}</div>"


def _about(event: JSON, oid: str) -> bool:
    obj = (event.get("data") or {}).get("object")
    return isinstance(obj, dict) and obj.get("id") == oid


def _status(record: RecordedRequest) -> str:
    if record.fault:
        return f"<span class='b bad'>{esc(record.status or '')} fault: {esc(record.fault)}</span>"
    cls = "ok" if 200 <= record.status < 300 else "bad" if record.status >= 400 else "info"
    return f"<span class='b {cls}'>{esc(record.status or '—')}</span>"
