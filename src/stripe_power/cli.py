"""`stripe-power`: serve (stdio | http), sandbox, demo, lint. Logs go to stderr, never stdout."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import ConfigError

if TYPE_CHECKING:
    from .config import Settings
    from .http_guard import HttpLimits
    from .sandbox_listener import LazySandbox
    from .state import State

logger = logging.getLogger("stripe_power")

# `stripe-power sandbox` flags -> FaultConfig fields
FAULT_FLAGS = {
    "error_500_rate": "share of requests answered 500 (0..1)",
    "error_429_rate": "share of requests answered 429 (0..1)",
    "drop_before_commit_rate": "share of connections dropped before the request is processed",
    "drop_after_commit_rate": "share of connections dropped after the change is committed",
    "latency_ms": "added latency per request, milliseconds",
}


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    parser.add_argument(
        "--allowed-origin", action="append", default=[], help="extra Origin allowed on HTTP (repeatable)"
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        help="Host name clients use; required off loopback (repeatable; STRIPE_POWER_ALLOWED_HOSTS)",
    )
    parser.add_argument("--api-key", help="Stripe key; prefer STRIPE_SECRET_KEY (a flag shows in `ps`)")
    parser.add_argument("--api-base", help="Stripe-compatible base URL (STRIPE_API_BASE)")
    parser.add_argument("--sandbox", action="store_true", help="serve against an embedded offline sandbox")
    parser.add_argument(
        "--toolsets",
        help="comma-separated toolsets (STRIPE_POWER_TOOLSETS): 'default' (when not given), 'all' for "
        "every tool, or e.g. 'default,invoices'",
    )
    parser.add_argument("--read-only", action="store_true", help="register read-only tools only")
    parser.add_argument(
        "--allow-live", action="store_true", help="allow a live key (STRIPE_POWER_ALLOW_LIVE=1)"
    )
    parser.add_argument("--state-dir", help="audit log and state (STRIPE_POWER_STATE_DIR)")
    parser.add_argument("--stripe-account", help="default connected account (acct_...)")
    parser.add_argument(
        "--allow-webhook-host",
        action="append",
        default=[],
        help="non-loopback host send_test_webhook may post to (repeatable)",
    )
    parser.add_argument(
        "--connect",
        action="store_true",
        help="add a stripe_account parameter to every tool (Connect platforms)",
    )
    parser.add_argument(
        "--confirm-writes",
        action="store_true",
        help="confirm money-moving/destructive calls in test mode too",
    )
    parser.add_argument("--max-amount", help="per-call cap, minor units: 50000 or usd:50000,eur:40000")
    parser.add_argument("--max-daily-refunds", help="daily refund cap per currency, minor units")
    parser.add_argument(
        "--replay-window",
        type=int,
        help="seconds an identical write reuses its idempotency key (default 120; 0 off)",
    )
    parser.add_argument(
        "--structured-output", action="store_true", help="publish output schemas and structured results"
    )
    parser.add_argument(
        "--client-keys",
        action="store_true",
        help="HTTP: each request sends its own Stripe key as the bearer token (STRIPE_POWER_CLIENT_KEYS=1)",
    )
    parser.add_argument("--state-url", help="PostgreSQL URL for shared state (STRIPE_POWER_STATE_URL)")
    parser.add_argument(
        "--access-file",
        help="HTTP, OAuth mode: people sign in with the team's identity provider; this TOML file names "
        "the issuer, the Stripe keys the server holds and who gets which (STRIPE_POWER_ACCESS_FILE)",
    )
    parser.add_argument(
        "--allow-private-webhook-targets",
        action="store_true",
        help="team mode: let send_test_webhook post to loopback/private addresses "
        "(STRIPE_POWER_ALLOW_PRIVATE_WEBHOOK_TARGETS=1)",
    )
    limits = parser.add_argument_group("HTTP limits")
    for name, (meaning, _) in HTTP_LIMIT_FLAGS.items():
        limits.add_argument(f"--{name.replace('_', '-')}", help=f"{meaning} (STRIPE_POWER_{name.upper()})")
    _log_options(parser)


# --flag -> (meaning, type); defaults are HttpLimits' (README, Security).
HTTP_LIMIT_FLAGS: dict[str, tuple[str, type[int] | type[float]]] = {
    "max_request_bytes": ("largest request body, bytes (default 1048576)", int),
    "session_idle_timeout": ("seconds an idle session is kept (default 1800)", float),
    "max_sessions": ("open sessions in all (default 1000)", int),
    "max_sessions_per_client": ("open sessions per client key (default 100)", int),
    "max_requests_per_session": ("requests in flight per session (default 16)", int),
}


def http_limits(args: argparse.Namespace, env: Mapping[str, str]) -> HttpLimits:
    """HttpLimits from the flags, then STRIPE_POWER_* variables, then the defaults."""
    from .http_guard import HttpLimits

    chosen: dict[str, Any] = {}
    for name, (_, kind) in HTTP_LIMIT_FLAGS.items():
        value = getattr(args, name, None) or env.get(f"STRIPE_POWER_{name.upper()}")
        if value is None or value == "":
            continue
        try:
            number = kind(value)
        except ValueError:
            number = 0
        if not 0 < number < float("inf"):
            raise ConfigError(f"--{name.replace('_', '-')} {value!r}: give a positive number.")
        chosen[name] = number
    return HttpLimits(**chosen)


def _log_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-level", default=os.environ.get("STRIPE_POWER_LOG_LEVEL", "INFO"))
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        default=os.environ.get("STRIPE_POWER_LOG_FORMAT", "text"),
        help="stderr log lines as text or one JSON object each (STRIPE_POWER_LOG_FORMAT)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stripe-power", description="A guarded MCP server for Stripe (stdio or Streamable HTTP)."
    )
    parser.add_argument("--version", action="version", version=f"stripe-power {__version__}")
    commands = parser.add_subparsers(dest="command")
    _serve_options(commands.add_parser("serve", help="run the MCP server (default)"))
    sandbox = commands.add_parser("sandbox", help="run the offline Stripe sandbox")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=12111)
    faults = sandbox.add_argument_group("fault injection (for reliability tests)")
    for name, meaning in FAULT_FLAGS.items():
        faults.add_argument(f"--{name.replace('_', '-')}", type=float, default=0.0, help=meaning)
    faults.add_argument("--fault-seed", type=int, help="seed for repeatable faults")
    demo = commands.add_parser("demo", help="drive the server against the sandbox and print an agent session")
    demo.add_argument("--log-level", default="WARNING")
    demo.add_argument(
        "--keep-open", action="store_true", help="keep the sandbox up afterwards to browse its dashboard"
    )
    migrate = commands.add_parser(
        "migrate", help="create or update the state schema (STRIPE_POWER_STATE_URL, or --state-dir)"
    )
    migrate.add_argument("--state-url", help="PostgreSQL URL (default: STRIPE_POWER_STATE_URL)")
    migrate.add_argument("--state-dir", help="embedded state folder (STRIPE_POWER_STATE_DIR)")
    _log_options(migrate)
    lint = commands.add_parser("lint", help="check integration code for Stripe anti-patterns")
    lint.add_argument("paths", nargs="*")
    lint.add_argument("--format", choices=["text", "json"], default="text")
    return parser


def setup_logging(level: str, form: str = "text") -> None:
    from .audit import RedactingFilter
    from .logs import JsonFormatter, TextFormatter

    logging.basicConfig(stream=sys.stderr, level=level.upper())
    for handler in logging.getLogger().handlers:  # no secret or card number in any log line
        handler.setFormatter(JsonFormatter() if form == "json" else TextFormatter())
        handler.addFilter(RedactingFilter())
    for name in ("uvicorn.error", "uvicorn.access"):  # uvicorn brings its own handlers
        logging.getLogger(name).addFilter(RedactingFilter())
    logging.getLogger("stripe").setLevel(logging.WARNING)  # request lines are noise, not news
    logging.getLogger("httpx").setLevel(logging.WARNING)


@contextmanager
def embedded_sandbox() -> Iterator[tuple[LazySandbox, str]]:
    """An in-process sandbox on an ephemeral loopback port, with a key made for this run. Its port
    is bound now; it is built on its first connection, off the start-up path (sandbox_listener)."""
    from .sandbox_listener import LazySandbox

    with LazySandbox(host="127.0.0.1", port=0) as sandbox:
        yield sandbox, "sk_test_sandbox" + secrets.token_hex(12)


def serve(args: argparse.Namespace) -> int:
    from .config import is_loopback, load_settings
    from .server import create_server
    from .tools import TOOLSET_NAMES

    if args.transport == "http":  # refuse an exposed, weakly guarded server before starting anything
        from .config import flag
        from .http import check_exposure

        client_keys = args.client_keys or flag(os.environ, "STRIPE_POWER_CLIENT_KEYS")
        oauth = bool(args.access_file or os.environ.get("STRIPE_POWER_ACCESS_FILE"))
        token = os.environ.get("STRIPE_POWER_HTTP_TOKEN")
        check_exposure(args.host, token, _allowed_hosts(args), client_keys=client_keys or oauth)
        http_limits(args, os.environ)

    with embedded_sandbox() if args.sandbox else _nothing() as sandbox:
        api_base, api_key = (sandbox[0].url, sandbox[1]) if sandbox else (args.api_base, args.api_key)
        settings = load_settings(
            api_key=api_key,
            api_base=api_base,
            toolsets=args.toolsets,
            read_only=args.read_only,
            allow_live=args.allow_live,
            state_dir=args.state_dir,
            stripe_account=args.stripe_account,
            known_toolsets=TOOLSET_NAMES,
            confirm_writes=args.confirm_writes,
            connect=args.connect,
            max_amount=args.max_amount,
            max_daily_refunds=args.max_daily_refunds,
            replay_window_seconds=args.replay_window,
            webhook_receiver=args.transport == "http",
            allow_webhook_hosts=args.allow_webhook_host,
            sandbox=args.sandbox,
            client_keys=args.client_keys,
            state_url=args.state_url,
            access_file=args.access_file,
            allow_private_webhook_targets=args.allow_private_webhook_targets,
            remote_clients=args.transport == "http"
            and (not is_loopback(args.host) or bool(_allowed_hosts(args))),
        )
        if settings.oauth is not None:
            logger.info(
                "stripe-power %s: OAuth mode, tokens from %s for %s, %d access rule(s) in %s", __version__,
                settings.oauth.issuer, settings.oauth.resource, len(settings.oauth.rules), settings.oauth.path,
            )  # fmt: skip
        elif settings.key is None:
            logger.info("stripe-power %s: client keys (each request brings its own Stripe key)", __version__)
        else:
            if settings.key.kind == "secret" and not args.sandbox:
                logger.warning(
                    "Using a full secret key (%s); a restricted key (rk_...) limited to what you use is safer.",
                    settings.key.masked,
                )
            logger.info(
                "stripe-power %s: %s mode, key %s, api %s", __version__, settings.key.mode, settings.key.masked,
                settings.api_base or "https://api.stripe.com",
            )  # fmt: skip
        if sandbox:
            sandbox[0].watch_audit_log(api_key, settings.state_dir / "audit.jsonl")
            logger.info("Sandbox dashboard (what the agent did): %s", sandbox[0].dashboard_url)
        state = prepare_state(settings)
        logger.info("State: %s", state.description)
        server = create_server(settings, structured_output=args.structured_output, state=state)
        if args.transport == "stdio":
            from .stdio import run_stdio

            run_stdio(server)
            return 0
        return _serve_http(server, settings, args, state)


def prepare_state(settings: Settings) -> State:
    """Open the state before serving, so a broken one ends here with exit 2 and one line:
    the embedded files are opened (and secured), the database is reached and migrated."""
    from .state import open_state
    from .state.embedded import EmbeddedState

    state = open_state(settings)
    if isinstance(state, EmbeddedState):
        state.open()
    elif settings.state_url:
        from .state.postgres import migrate  # only with a database

        asyncio.run(migrate(settings.state_url))
    return state


def run_migrate(args: argparse.Namespace) -> int:
    """`stripe-power migrate`: for operators who apply schema changes before rolling out."""
    from .config import check_state_url, default_state_dir
    from .state.embedded import EmbeddedState
    from .state.postgres import describe, migrate

    url = args.state_url or os.environ.get("STRIPE_POWER_STATE_URL")
    if url:
        applied = asyncio.run(migrate(check_state_url(url)))
        where = describe(url)
    else:
        folder = Path(args.state_dir) if args.state_dir else default_state_dir(os.environ)
        EmbeddedState(folder).open()
        applied, where = [], str(folder)
    logger.info(
        "State schema at %s is up to date%s.", where,
        f" (applied version {', '.join(map(str, applied))})" if applied else "",
    )  # fmt: skip
    return 0


def _serve_http(server: Any, settings: Settings, args: argparse.Namespace, state: State) -> int:
    import uvicorn

    from .client_log import client_log_of
    from .http import create_http_app
    from .oauth.guard import guard_for
    from .webhooks import webhook_routes

    if not settings.receives_webhooks:
        logger.info("Webhook receiver off: set STRIPE_WEBHOOK_SECRET to receive at /webhooks/stripe")
    app = create_http_app(
        server,
        host=args.host,
        port=args.port,
        token=os.environ.get("STRIPE_POWER_HTTP_TOKEN"),
        allowed_origins=args.allowed_origin,
        extra_routes=(
            webhook_routes(settings, state.webhooks, on_received=client_log_of(server).webhook_received)
            if settings.receives_webhooks
            else None
        ),
        client_keys=settings.client_keys,
        allow_live=settings.allow_live,
        state=state,
        allowed_hosts=_allowed_hosts(args),
        oauth=guard_for(settings, state) if settings.oauth is not None else None,
        limits=http_limits(args, os.environ),
    )
    logger.info("Streamable HTTP on http://%s:%d/mcp", args.host, args.port)
    # Keep-alive longer than a reverse proxy's idle timeout (60 s on common load balancers): a
    # backend closing an idle connection first races the proxy's next request on it (ReadError).
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_keep_alive=75)
    return 0


def _allowed_hosts(args: argparse.Namespace) -> list[str]:
    from .http import parse_allowed_hosts

    return parse_allowed_hosts([*args.allowed_host, os.environ.get("STRIPE_POWER_ALLOWED_HOSTS", "")])


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["serve", *argv]
    args = parser.parse_args(argv)
    setup_logging(getattr(args, "log_level", "INFO"), getattr(args, "log_format", "text"))
    try:
        if args.command == "sandbox":
            from .sandbox import FaultConfig, main_sandbox

            chosen = {name: getattr(args, name) for name in FAULT_FLAGS if getattr(args, name)}
            try:
                faults = FaultConfig(**chosen, seed=args.fault_seed) if chosen else None
            except ValueError as error:
                raise ConfigError(str(error)) from None
            main_sandbox(args.host, args.port, faults)
            return 0
        if args.command == "demo":
            from .demo import main_demo

            return main_demo(args.keep_open)
        if args.command == "migrate":
            return run_migrate(args)
        if args.command == "lint":
            from .lint import main_lint

            return main_lint([*args.paths, "--format", args.format])
        return serve(args)
    except ConfigError as error:
        print(f"stripe-power: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
