"""`stripe-power`: serve (stdio | http), sandbox, demo, lint. Logs go to stderr, never stdout."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import ConfigError

if TYPE_CHECKING:
    from .config import Settings
    from .sandbox import SandboxServer

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
    parser.add_argument("--api-key", help="Stripe key; prefer STRIPE_SECRET_KEY (a flag shows in `ps`)")
    parser.add_argument("--api-base", help="Stripe-compatible base URL (STRIPE_API_BASE)")
    parser.add_argument("--sandbox", action="store_true", help="serve against an embedded offline sandbox")
    parser.add_argument("--toolsets", help="comma-separated toolsets (default: all)")
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
    parser.add_argument("--log-level", default=os.environ.get("STRIPE_POWER_LOG_LEVEL", "INFO"))


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
    lint = commands.add_parser("lint", help="check integration code for Stripe anti-patterns")
    lint.add_argument("paths", nargs="*")
    lint.add_argument("--format", choices=["text", "json"], default="text")
    return parser


def setup_logging(level: str) -> None:
    logging.basicConfig(
        stream=sys.stderr, level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("stripe").setLevel(logging.WARNING)  # request lines are noise, not news
    logging.getLogger("httpx").setLevel(logging.WARNING)


@contextmanager
def embedded_sandbox() -> Iterator[tuple[SandboxServer, str]]:
    """An in-process sandbox on an ephemeral loopback port, with a key made for this run."""
    from .sandbox import SandboxServer

    with SandboxServer(host="127.0.0.1", port=0) as sandbox:
        yield sandbox, "sk_test_sandbox" + secrets.token_hex(12)


def serve(args: argparse.Namespace) -> int:
    from .config import load_settings
    from .server import create_server
    from .tools import TOOLSET_NAMES

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
        )
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
        server = create_server(settings, structured_output=args.structured_output)
        if args.transport == "stdio":
            server.run("stdio")
            return 0
        return _serve_http(server, settings, args)


def _serve_http(server: Any, settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from .client_log import client_log_of
    from .http import create_http_app
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
            webhook_routes(settings, on_received=client_log_of(server).webhook_received)
            if settings.receives_webhooks
            else None
        ),
    )
    logger.info("Streamable HTTP on http://%s:%d/mcp", args.host, args.port)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["serve", *argv]
    args = parser.parse_args(argv)
    setup_logging(getattr(args, "log_level", "INFO"))
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
