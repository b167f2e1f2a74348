// An MCP client nobody here wrote: the official TypeScript SDK over Streamable HTTP with a bearer
// token. Usage: node http_client.mjs <url> <token> <price_id>
// Prints one JSON object: {tools, customer, checkout, unauthorized} (tool results as the SDK gives them).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, token, price] = process.argv.slice(2);

async function connect(bearer) {
  const client = new Client({ name: "external-ts-client", version: "1.0.0" });
  const headers = bearer ? { Authorization: `Bearer ${bearer}` } : {};
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  await client.connect(transport);
  return client;
}

const client = await connect(token);
const tools = (await client.listTools()).tools.map((tool) => tool.name);
const customer = await client.callTool({
  name: "create_customer",
  arguments: { email: "ts-sdk@example.com", metadata: { client: "typescript" } },
});
const checkout = await client.callTool({
  name: "create_checkout_session",
  arguments: {
    mode: "payment",
    line_items: [{ price, quantity: 2 }],
    success_url: "https://example.com/success",
  },
});
await client.close();

let unauthorized = null;
try {
  await connect("wrong-token");
} catch (error) {
  unauthorized = String(error && error.message ? error.message : error);
}
process.stdout.write(JSON.stringify({ tools, customer, checkout, unauthorized }) + "\n");
