// A loopback proxy that adds `Authorization: Bearer <token>` to every request and streams the
// answer back (SSE included). The MCP conformance suite sends no headers; stripe-power's HTTP
// transport refuses requests without the token. Used by tests/test_conformance.py.
//
// node auth_proxy.mjs <upstream base URL, e.g. http://127.0.0.1:8123>   (token: MCP_BEARER_TOKEN)
// Listens on an ephemeral 127.0.0.1 port and prints `listening <port>` on stdout.
import http from "node:http";

const upstream = new URL(process.argv[2]);
const token = process.env.MCP_BEARER_TOKEN;
if (!token) {
  console.error("set MCP_BEARER_TOKEN");
  process.exit(2);
}

const proxy = http.createServer((request, response) => {
  const headers = { ...request.headers, host: upstream.host, authorization: `Bearer ${token}` };
  const forwarded = http.request(
    { host: upstream.hostname, port: upstream.port, path: request.url, method: request.method, headers },
    (answer) => {
      response.writeHead(answer.statusCode, answer.headers);
      answer.pipe(response);
    },
  );
  forwarded.on("error", (error) => {
    if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
    response.end(`proxy: ${error.message}`);
  });
  response.on("close", () => forwarded.destroy());
  request.pipe(forwarded);
});

proxy.listen(0, "127.0.0.1", () => console.log(`listening ${proxy.address().port}`));
// Stop with the test (stdin closes) even if it is killed without cleanup.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
