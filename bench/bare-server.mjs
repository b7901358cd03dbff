// The floor the agent's HTTP figures are compared with: a bare @hono/node-server + Hono app in
// its own process. POST /v1/decide reads and parses the JSON body and answers a fixed JSON
// object (the agent's own answer to the bench's body, passed in BARE_ANSWER, so both sides send
// the same bytes); no validation, no decision, no logs, no metrics. Prints {"url": …} on stderr.
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const answer = JSON.parse(process.env.BARE_ANSWER ?? "{}");
const app = new Hono();
app.post("/v1/decide", async (c) => {
  await c.req.json();
  return c.json(answer);
});
serve({ fetch: app.fetch, hostname: "127.0.0.1", port: Number(process.env.PORT ?? 0) }, (info) => {
  process.stderr.write(`${JSON.stringify({ url: `http://127.0.0.1:${info.port}` })}\n`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => process.exit(0));
