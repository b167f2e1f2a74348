"""The sandbox's core: the ASGI app, routing, per-account store, form parsing, validation from
the spec, the generic layer for resources without hand-written behaviour, events and
webhooks, test clocks, fault injection, coverage, and running the server."""
