// isoplace webhook: the Kubernetes admission webhook (HTTPS), until SIGTERM/SIGINT; and
// isoplace webhook certs: a CA and serving certificate for clusters without cert-manager.
import type { Command } from "commander";
import { addAgentOptions, listenFailure, readAgentConfig, runUntilStopped } from "./agent-command.ts";
import { ConfigError, type ConfigProblem } from "./config.ts";
import { UsageError } from "./errors.ts";
import { collect, list, number } from "./input.ts";
import { WEBHOOK_LIMITS } from "../node/server-limits.ts";

const MODES = ["fill", "override", "advise"];

export function registerWebhook(program: Command): void {
  const webhook = program
    .command("webhook")
    .description("run the Kubernetes mutating admission webhook for Pods (HTTPS): sets runtimeClassName from the policy's decision");
  addAgentOptions(webhook, { host: "0.0.0.0", port: "8443", limits: WEBHOOK_LIMITS })
    .option("--tls-cert <file>", "the serving certificate (PEM); re-read when the file changes")
    .option("--tls-key <file>", "its private key (PEM); re-read when the file changes")
    .option(
      "--runtime-classes <names>",
      "the cluster's RuntimeClasses, comma-separated (names as in the policy's runtimeClassName; containerd always counts)",
      list,
      [],
    )
    .option("--mode <mode>", "fill: set a class where the pod has none; override: replace the pod's; advise: annotate only", "fill")
    .option("--deny-infeasible", "deny a pod for which no level is feasible (default: allow it with a warning)")
    .action(async (o, cmd: Command) => {
      const problems: ConfigProblem[] = [];
      for (const [value, name] of [
        [o.tlsCert, "--tls-cert"],
        [o.tlsKey, "--tls-key"],
      ]) {
        if (!value) problems.push({ name, message: "is required: the API server calls webhooks over HTTPS only (isoplace webhook certs makes a pair)" });
      }
      if (!MODES.includes(o.mode)) problems.push({ name: "--mode", message: `must be one of ${MODES.join(", ")}, got "${o.mode}"` });
      if (problems.length) throw new ConfigError(problems);
      const config = await readAgentConfig(o, cmd);
      const { readKeyPair } = await import("../node/tls.ts");
      try {
        await readKeyPair(o.tlsCert, o.tlsKey);
      } catch (err) {
        throw new ConfigError([{ name: "--tls-cert", message: (err as Error).message }]);
      }
      const { startWebhook } = await import("../node/webhook.ts");
      const w = await startWebhook({
        tlsCert: o.tlsCert,
        tlsKey: o.tlsKey,
        host: config.host,
        port: config.port,
        runtimeClasses: o.runtimeClasses,
        mode: o.mode,
        denyInfeasible: Boolean(o.denyInfeasible),
        policy: config.policy,
        requirePolicy: config.requirePolicy,
        trustedKeys: config.trustedKeys,
        dataDir: config.dataDir,
        poll: { intervalMs: config.pollIntervalS * 1000 },
        sourceOptions: config.sourceOptions,
        limits: config.limits,
        nodeName: config.nodeName,
        rolloutBucket: config.rolloutBucket,
      }).catch(listenFailure(config));
      runUntilStopped({ logger: w.agent.logger, close: () => w.close() });
    });

  webhook
    .command("certs")
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
