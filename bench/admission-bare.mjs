// The floor for the admission bench: a bare Hono route on @hono/node-server over node:https, in
// its own process, that reads the JSON body and answers a fixed AdmissionReview (the webhook's
// own answer to the bench's review, so the same size). Prints {"url": …} on stderr.
// Arguments: CERT KEY ANSWER_FILE.
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const [cert, key, answerFile] = process.argv.slice(2);
const answer = readFileSync(answerFile, "utf8");
const app = new Hono();
app.post("/v1/admission/pods", async (c) => {
  await c.req.json();
  return c.body(answer, 200, { "content-type": "application/json" });
});
const server = serve(
  {
    fetch: app.fetch,
    hostname: "127.0.0.1",
    port: 0,
    createServer,
    serverOptions: { cert: readFileSync(cert), key: readFileSync(key) },
  },
  (info) => process.stderr.write(`${JSON.stringify({ url: `https://127.0.0.1:${info.port}` })}\n`),
);
process.once("SIGTERM", () => server.close(() => process.exit(0)));
