"""An offline, stateful stand-in for the Stripe API (v1), for tests, demos and ``serve --sandbox``.

from stripe_power.sandbox import SandboxServer
with SandboxServer() as sb:
    client = stripe.StripeClient("sk_test_123", base_addresses={"api": sb.url})
"""

from .app import Sandbox, create_app
from .cards import TEST_PAYMENT_METHODS, TestPaymentMethod
from .faults import FaultConfig
from .server import SandboxServer, main_sandbox, run_sandbox, serve_forever
from .store import RecordedRequest

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
