// An MCP client nobody here wrote, signing in with OAuth: the official TypeScript SDK's OAuth
// client flow against stripe-power's OAuth mode, given nothing but the server's URL.
//
// node oauth_client.mjs <mcp url> <user> <calls JSON: [{"name": ..., "arguments": {...}}, ...]>
//
// The SDK does the protocol: the 401's WWW-Authenticate names the Protected Resource Metadata,
// that names the authorization server, whose metadata gives the endpoints; it then builds the
// authorization request (PKCE S256, resource indicator) and, after the redirect, exchanges the
// code for a token. This script stands in for the person's browser: it follows the authorization
// URL the SDK asked it to open (adding login_hint=<user>, which the test provider signs in) until
// the provider redirects to the client's redirect URI, and hands the code back to the SDK.
// Prints one JSON object: {authorization, tools, results}.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, user, callsJson] = process.argv.slice(2);
const calls = JSON.parse(callsJson || "[]");
const REDIRECT = "http://127.0.0.1/callback";

class SignedInUser {
  // The client is registered with the provider beforehand (a static client id), as a team's
  // identity provider has it; tokens and the PKCE verifier are kept in memory.
  get redirectUrl() {
    return REDIRECT;
  }
  get clientMetadata() {
    return {
      client_name: "stripe-power OAuth test client",
      redirect_uris: [REDIRECT],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return { client_id: "mcp-client" };
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens) {
    this.saved = tokens;
  }
  saveCodeVerifier(verifier) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  redirectToAuthorization(authorizationUrl) {
    this.authorizationUrl = new URL(authorizationUrl);
  }
}

// The browser: follow redirects (keeping the provider's cookies) until the redirect URI.
async function browse(start) {
  const cookies = new Map();
  let location = start;
  for (let hop = 0; hop < 12; hop += 1) {
    if (location.startsWith(REDIRECT)) {
      const code = new URL(location).searchParams.get("code");
      if (!code) throw new Error(`no code in ${location}`);
      return code;
    }
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const answer = await fetch(location, { redirect: "manual", headers: cookie ? { cookie } : {} });
    for (const line of answer.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair.indexOf("=");
      cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    const next = answer.headers.get("location");
    if (!next) throw new Error(`${answer.status} at ${location}: ${(await answer.text()).slice(0, 300)}`);
    location = new URL(next, location).toString();
  }
  throw new Error("the authorization flow did not come back to the client");
}

const person = new SignedInUser();
const first = new StreamableHTTPClientTransport(new URL(url), { authProvider: person });
try {
  await new Client({ name: "oauth-test-client", version: "1.0.0" }).connect(first);
  throw new Error("the server let an unauthenticated client in");
} catch (error) {
  if (!(error instanceof UnauthorizedError)) throw error;
}
const asked = person.authorizationUrl;
const authorization = Object.fromEntries(
  ["resource", "scope", "code_challenge_method", "client_id", "response_type"].map((name) => [
    name,
    asked.searchParams.get(name),
  ]),
);
authorization.endpoint = `${asked.origin}${asked.pathname}`;
asked.searchParams.set("login_hint", user);
await first.finishAuth(await browse(asked.toString()));

const client = new Client({ name: "oauth-test-client", version: "1.0.0" });
await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: person }));
const tools = (await client.listTools()).tools.map((tool) => tool.name);
const results = [];
for (const call of calls) results.push(await client.callTool(call));
await client.close();
process.stdout.write(JSON.stringify({ authorization, tools, results }) + "\n");
