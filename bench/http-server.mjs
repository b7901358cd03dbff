// The agent as `isoplace serve` runs it — the built JavaScript (dist/), info logs, metrics, the
// default policy — plus one bare Hono JSON route for the A/B: POST /bench/bare reads the same
// JSON body and answers a small JSON object without deciding. Prints {"url": …} on stderr.
// Plain JavaScript on dist/, so the figures are the product's, not Node's TypeScript stripping.
import pino from "pino";
import { readJson } from "../dist/host/http/body.js";
import { startAgent } from "../dist/host/node/agent.js";

const agent = await startAgent({
  port: 0,
  logger: pino({ level: process.env.LOG_LEVEL ?? "info" }),
  routes: [{
    method: "post", path: "/bench/bare", operationId: "benchBare", summary: "bench baseline: read JSON, answer JSON",
    responses: { 200: { description: "a small JSON object" } },
    handler: async (c) => c.json({ ok: true, keys: Object.keys(await readJson(c)).length }),
  }],
});
process.stderr.write(`${JSON.stringify({ url: agent.url })}\n`);
process.once("SIGTERM", () => void agent.close().then(() => process.exit(0)));
