// Node's own floor for RSS: a bare node:http server, no framework, that reads and parses a JSON
// body and answers a fixed object — what any Node HTTP service is at least. Started with the
// agent's node flags by the opa section, which reads its RSS after the first answer. PORT: where.
import { createServer } from "node:http";

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  });
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1");
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => process.exit(0));
