// The agent as `isoplace serve` runs it (info logs, metrics, the default policy), plus one bare
// Hono JSON route for the A/B: POST /bench/bare reads the same JSON body and answers a small
// JSON object without deciding. Prints {"url": …} on stderr once listening.
import pino from "pino";
import { readJson } from "../host/http/body.ts";
import { startAgent } from "../host/node/agent.ts";

const agent = await startAgent({
  port: 0,
  logger: pino({ level: process.env.LOG_LEVEL ?? "info" }),
  routes: [{
    method: "post", path: "/bench/bare", operationId: "benchBare", summary: "bench baseline: read JSON, answer JSON",
    responses: { 200: { description: "a small JSON object" } },
    handler: async (c) => c.json({ ok: true, keys: Object.keys((await readJson(c)) as object).length }),
  }],
});
process.stderr.write(`${JSON.stringify({ url: agent.url })}\n`);
process.once("SIGTERM", () => void agent.close().then(() => process.exit(0)));
