"""An offline, stateful stand-in for the Stripe API (v1), for tests, demos and ``serve --sandbox``.

from stripe_power.sandbox import SandboxServer
with SandboxServer() as sb:
    client = stripe.StripeClient("sk_test_123", base_addresses={"api": sb.url})
"""

from .core.app import Sandbox, create_app
from .core.faults import FaultConfig
from .core.server import SandboxServer, main_sandbox, run_sandbox, serve_forever
from .core.store import RecordedRequest
from .payments.cards import TEST_PAYMENT_METHODS, TestPaymentMethod

__all__ = [
    "TEST_PAYMENT_METHODS",
    "FaultConfig",
    "RecordedRequest",
    "Sandbox",
    "SandboxServer",
    "TestPaymentMethod",
    "create_app",
    "main_sandbox",
    "run_sandbox",
    "serve_forever",
]
