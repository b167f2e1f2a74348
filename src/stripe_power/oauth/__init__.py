"""OAuth mode for the HTTP transport: people sign in with the team's identity provider and never
hold a Stripe key (`serve --transport http --access-file team.toml`).

- `access.py`: the signed-in person and what their access rule grants (a context variable the
  Gateway, limits and confirmation read);
- `access_file.py`: the TOML file naming the issuer, the Stripe keys the server holds and the rules;
- `tokens.py`: JWT access tokens checked against the issuer's JWKS;
- `guard.py`: Protected Resource Metadata, the ASGI middleware, and the per-message MCP middleware.
"""
