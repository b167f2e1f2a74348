"""stripe-power: a guarded MCP server for Stripe."""

__version__ = "0.1.0"

__all__ = ["__version__"]
