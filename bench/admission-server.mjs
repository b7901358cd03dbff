// The admission webhook as `isoplace webhook` runs it — the built JavaScript (dist/), HTTPS,
// info logs (to stdout, which the bench discards), metrics, the default policy. Prints {"url": …}
// on stderr. Arguments: CERT KEY CLASSES (the cluster's RuntimeClasses, comma-separated).
import { startWebhook } from "../dist/host/node/webhook.js";

const [tlsCert, tlsKey, classes] = process.argv.slice(2);
const webhook = await startWebhook({
  tlsCert,
  tlsKey,
  host: "127.0.0.1",
  port: 0,
  runtimeClasses: classes.split(","),
});
process.stderr.write(`${JSON.stringify({ url: webhook.url })}\n`);
process.once("SIGTERM", () => void webhook.close().then(() => process.exit(0)));
