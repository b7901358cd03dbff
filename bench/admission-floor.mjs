// The floor for a webhook behind kube-apiserver: node:https that reads the AdmissionReview and
// answers it allowed with its uid and, when given one, a fixed JSON Patch (base64) — the patch
// isoplace answered for the bench's pod, computed once. No webhook does less: what the API
// server's pod creates take longer with it than with none is the cost of calling a webhook (and
// of applying that patch) on this machine. Prints {"url": …} on stderr. Arguments: CERT KEY [PATCH].
import { readFileSync } from "node:fs";
import { createServer } from "node:https";

const [cert, key, patch] = process.argv.slice(2);
const mutation = patch ? { patchType: "JSONPatch", patch } : {};
const server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const { request } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const body = JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: request.uid, allowed: true, ...mutation } });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
  });
});
server.listen(0, "127.0.0.1", () => process.stderr.write(`${JSON.stringify({ url: `https://127.0.0.1:${server.address().port}` })}\n`));
process.once("SIGTERM", () => server.close(() => process.exit(0)));
