"""Client keys: with `--client-keys`, each HTTP request carries its client's own Stripe key.

The key arrives as `Authorization: Bearer <sk_test_/rk_test_ key>`, is checked per request
(publishable keys refused, live keys only with --allow-live), is used for that request's
Stripe calls, and is never stored: state is kept under a keyed hash of it (State.scope_of).
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import Any

# The Stripe key of the client whose call is running (client-keys mode); None: the server's key.
current_key: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_key", default=None)


def bearer(headers: Mapping[str, str] | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    value = (headers or {}).get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def key_of(ctx: Any) -> str | None:
    """The client's key from the HTTP request behind this MCP call (None on stdio/in memory).
    The HTTP middleware has already refused requests whose key is missing or of the wrong kind."""
    request = getattr(getattr(ctx, "request_context", None), "request", None)
    return bearer(getattr(request, "headers", None))
