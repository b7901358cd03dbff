// isoplace webhook: the Kubernetes admission webhook (HTTPS), until SIGTERM/SIGINT; and
// isoplace webhook certs: a CA and serving certificate for clusters without cert-manager.
import type { Command } from "commander";
import { UsageError } from "./errors.ts";
import { collect, list, number } from "./input.ts";

const MODES = ["fill", "override", "advise"];

export function registerWebhook(program: Command): void {
  const webhook = program.command("webhook")
    .description("run the Kubernetes mutating admission webhook for Pods (HTTPS): sets runtimeClassName from the policy's decision")
    .option("--tls-cert <file>", "the serving certificate (PEM); re-read when the file changes")
    .option("--tls-key <file>", "its private key (PEM); re-read when the file changes")
    .option("--host <address>", "address to listen on (env HOST)", process.env.HOST ?? "0.0.0.0")
    .option("--port <n>", "port (env PORT)", number("--port"), process.env.PORT ? Number(process.env.PORT) : 8443)
    .option("--runtime-classes <names>", "the cluster's RuntimeClasses, comma-separated (names as in the policy's runtimeClassName; containerd always counts)", list, [])
    .option("--mode <mode>", "fill: set a class where the pod has none; override: replace the pod's; advise: annotate only", "fill")
    .option("--deny-infeasible", "deny a pod for which no level is feasible (default: allow it with a warning)")
    .option("--policy <file|url>", "a signed policy module: a file (watched) or an http(s) URL (polled) (env ISOPLACE_POLICY)", process.env.ISOPLACE_POLICY)
    .option("--trusted-key <file>", "a public key (PEM) whose signatures are accepted; repeatable (env ISOPLACE_TRUSTED_KEYS)", collect, [])
    .option("--data-dir <dir>", "keeps the active policy and the last 5 for rollback (env ISOPLACE_DATA_DIR)", process.env.ISOPLACE_DATA_DIR)
    .action(async (o) => {
      if (!o.tlsCert || !o.tlsKey) throw new UsageError("--tls-cert and --tls-key are required: the API server calls webhooks over HTTPS only (isoplace webhook certs makes a pair)");
      if (!MODES.includes(o.mode)) throw new UsageError(`--mode must be one of ${MODES.join(", ")}; got "${o.mode}"`);
      const { registeredSchemes, schemeOf } = await import("../node/sources.ts");
      if (o.policy && !registeredSchemes().includes(schemeOf(o.policy))) {
        throw new UsageError(`--policy: the scheme "${schemeOf(o.policy)}://" is not supported, got "${o.policy}"; supported: ${registeredSchemes().map((s) => `${s}://`).join(", ")} or a file path`);
      }
      const { loadTrustedKeys, trustedKeyPathsFromEnv } = await import("../node/keys.ts");
      const { readKeyPair } = await import("../node/tls.ts");
      let trustedKeys;
      try {
        trustedKeys = await loadTrustedKeys([...o.trustedKey, ...trustedKeyPathsFromEnv(process.env.ISOPLACE_TRUSTED_KEYS)]);
        await readKeyPair(o.tlsCert, o.tlsKey);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const { startWebhook } = await import("../node/webhook.ts");
      const w = await startWebhook({
        tlsCert: o.tlsCert, tlsKey: o.tlsKey, host: o.host, port: o.port,
        runtimeClasses: o.runtimeClasses, mode: o.mode, denyInfeasible: Boolean(o.denyInfeasible),
        policy: o.policy, trustedKeys, dataDir: o.dataDir,
      });
      const logger = w.agent.logger;
      if (o.policy && trustedKeys.length === 0) logger.warn("--policy is set but no --trusted-key: every module from it will be rejected (signature)");
      const stop = async (signal: string) => {
        logger.info({ signal }, "stopping: draining in-flight requests");
        await w.close();
        logger.info("stopped");
        process.exit(0);
      };
      process.once("SIGTERM", () => void stop("SIGTERM"));
      process.once("SIGINT", () => void stop("SIGINT"));
    });

  webhook.command("certs")
    .description("make a CA and a serving certificate for NAME.NS.svc (with openssl), and the caBundle to paste into the MutatingWebhookConfiguration")
    .requiredOption("--service <name>", "the webhook's Service name")
    .requiredOption("--namespace <ns>", "the Service's namespace")
    .requiredOption("--out <dir>", "where to write ca.crt, ca.key, tls.crt, tls.key and ca-bundle.txt")
    .option("--days <n>", "days the serving certificate is valid", number("--days"), 365)
    .option("--name <dns|ip>", "another name for the certificate (repeatable)", collect, [])
    .action(async (o) => {
      const { makeCertificates } = await import("../node/certs.ts");
      let files;
      try {
        files = await makeCertificates({ service: o.service, namespace: o.namespace, outDir: o.out, days: o.days, extraNames: o.name });
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      console.log(`wrote ${files.caCert}, ${files.caKey}, ${files.cert}, ${files.key} for ${files.names.join(", ")}`);
      console.log(`caBundle (paste into the MutatingWebhookConfiguration's clientConfig.caBundle): ${files.caBundle}`);
      console.log(`kubectl -n ${o.namespace} create secret tls ${o.service}-tls --cert=${files.cert} --key=${files.key}`);
    });
}
