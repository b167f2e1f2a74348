// A real OpenID provider for the OAuth tests: `oidc-provider` (OpenID Certified), pinned in
// package.json, on 127.0.0.1 with an ephemeral port. Prints one JSON line {"issuer", "port"}
// once it listens; stops when stdin closes (the test ended) or on SIGTERM.
//
// What it is set up with:
// - static test users (USERS) with a `groups` claim, and public clients that use PKCE;
// - resource indicators (RFC 8707): a token requested for a loopback resource URL is a JWT
//   (RFC 9068, signed RS256) with aud = that URL and the resource's scopes the user consented to;
// - no login page: the interaction signs in the user named by the authorization request's
//   `login_hint` and consents to what was asked (a test's stand-in for a person clicking);
// - client `expired-tokens`: its access tokens are issued already expired (iat two hours ago);
// - POST /_test/rotate[?keep=1]: a new signing key; the old one is dropped from the JWKS
//   (kept as the second key with keep=1). Answers {"kid": <the new key id>}.
import crypto from "node:crypto";
import http from "node:http";
import Provider, { errors } from "oidc-provider";

const REDIRECT = "http://127.0.0.1/callback";
const USERS = {
  alice: { email: "alice@example.com", groups: ["payments"] },
  bob: { email: "bob@example.com", groups: ["payments"] },
  carol: { email: "carol@example.com", groups: ["support"] },
  dave: { email: "dave@example.com", groups: ["marketing"] },
  mallory: { email: "mallory@example.com", groups: ["payments"] },
  // More, for a load run: OIDC_TEST_USERS='{"id": {"email": ..., "groups": [...]}, ...}'.
  ...JSON.parse(process.env.OIDC_TEST_USERS || "{}"),
};
const RESOURCE_SCOPES = "stripe stripe:read";

function newKey() {
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = privateKey.export({ format: "jwk" });
  return { ...jwk, kid: crypto.randomBytes(8).toString("hex"), alg: "RS256", use: "sig" };
}

function isLoopbackResource(indicator) {
  try {
    const url = new URL(indicator);
    return url.protocol === "http:" && ["127.0.0.1", "localhost"].includes(url.hostname);
  } catch {
    return false;
  }
}

function configuration(keys) {
  const client = (id) => ({
    client_id: id,
    application_type: "native",
    token_endpoint_auth_method: "none",
    redirect_uris: [REDIRECT],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
  });
  return {
    clients: [client("mcp-client"), client("expired-tokens")],
    clientBasedCORS: () => true,
    cookies: { keys: ["stripe-power-test-cookies"] },
    claims: { openid: ["sub"], email: ["email"] },
    scopes: ["openid", "offline_access", "stripe", "stripe:read"],
    pkce: { required: () => true },
    jwks: { keys },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 3600, Interaction: 600, Session: 3600, IdToken: 600 },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo(ctx, resourceIndicator) {
          if (!isLoopbackResource(resourceIndicator)) throw new errors.InvalidTarget();
          return {
            scope: RESOURCE_SCOPES,
            audience: resourceIndicator,
            accessTokenTTL: 600,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: "RS256" } },
          };
        },
      },
    },
    async findAccount(ctx, id) {
      const user = USERS[id];
      if (!user) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: user.email }) };
    },
    formats: {
      customizers: {
        async jwt(ctx, token, jwt) {
          const user = USERS[token.accountId];
          if (user) Object.assign(jwt.payload, { email: user.email, groups: user.groups });
          if (token.clientId === "expired-tokens") {
            jwt.payload.iat -= 7200;
            jwt.payload.exp = jwt.payload.iat + 600;
          }
        },
      },
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  };
}

async function interaction(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params } = details;
  const user = params.login_hint || details.session?.accountId;
  if (!USERS[user]) {
    const result = { error: "access_denied", error_description: "no such test user (login_hint)" };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  if (prompt.name === "login") {
    return provider.interactionFinished(req, res, { login: { accountId: user } }, { mergeWithLastSubmission: false });
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: user, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(" "));
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

let issuer;
let keys = [newKey()];
let provider;

function build() {
  provider = new Provider(issuer, configuration(keys));
  provider.proxy = false;
  provider.on("server_error", (ctx, error) => console.error("oidc-provider:", error));
  return provider;
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (req.method === "POST" && url.pathname === "/_test/rotate") {
      const fresh = newKey();
      keys = url.searchParams.get("keep") === "1" ? [fresh, keys[0]] : [fresh];
      build();
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ kid: fresh.kid }));
    }
    if (req.method === "GET" && url.pathname.startsWith("/interaction/")) {
      return await interaction(provider, req, res);
    }
    return provider.callback()(req, res);
  } catch (error) {
    console.error("oidc_provider.mjs:", error);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(error && error.message ? error.message : error));
  }
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  issuer = `http://127.0.0.1:${port}`;
  build();
  process.stdout.write(JSON.stringify({ issuer, port }) + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
process.on("SIGTERM", () => process.exit(0));
