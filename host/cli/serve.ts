// isoplace serve: the agent, until SIGTERM/SIGINT (then it drains and exits 0).
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { UsageError } from "./errors.ts";
import { collect, list, number } from "./input.ts";

async function adminToken(file: string | undefined): Promise<string | undefined> {
  let token = process.env.ISOPLACE_ADMIN_TOKEN;
  if (file) {
    try {
      token = await readFile(file, "utf8");
    } catch (err) {
      throw new UsageError(`--admin-token-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  token = token?.trim();
  if (token === undefined || token === "") return undefined;
  if (token.length < 16 || /\s/.test(token)) throw new UsageError("the admin token must be at least 16 characters without spaces (e.g. openssl rand -hex 32)");
  return token;
}

export function registerServe(program: Command): void {
  program.command("serve")
    .description("run the agent: the HTTP API on this node")
    .option("--host <address>", "address to listen on (env HOST)", process.env.HOST ?? "127.0.0.1")
    .option("--port <n>", "port (env PORT)", number("--port"), process.env.PORT ? Number(process.env.PORT) : 8787)
    .option("--runtimes <ids>", "this node's runtimes, comma-separated (env ISOPLACE_RUNTIMES)", list, process.env.ISOPLACE_RUNTIMES ? list(process.env.ISOPLACE_RUNTIMES) : undefined)
    .option("--detect", "probe this machine for runtimes (/dev/kvm, containerd's socket, shims on PATH)")
    .option("--host-root <dir>", "where the host's file system is mounted, for --detect (env ISOPLACE_HOST_ROOT)", process.env.ISOPLACE_HOST_ROOT ?? "/")
    .option("--policy <file|url|oci>", "a signed policy module: a file (watched, FILE.sig beside it), an http(s) URL (polled, URL.sig beside it) or oci://HOST/REPO:TAG|@sha256:… (a tag is polled) (env ISOPLACE_POLICY)", process.env.ISOPLACE_POLICY)
    .option("--trusted-key <file>", "a public key (PEM) whose signatures are accepted; repeatable (env ISOPLACE_TRUSTED_KEYS: comma-separated paths)", collect, [])
    .option("--data-dir <dir>", "keeps the active policy and the last 5 for rollback; restored at start (env ISOPLACE_DATA_DIR)", process.env.ISOPLACE_DATA_DIR)
    .option("--admin-token-file <file>", "enables PUT /v1/policy and POST /v1/policy/rollback with this bearer token (env ISOPLACE_ADMIN_TOKEN: the token itself)")
    .option("--poll-interval <seconds>", "how often a --policy URL or oci:// tag is polled (plus up to 20% jitter)", number("--poll-interval"), 30)
    .option("--insecure-registry <host>", "an oci:// registry host (host or host:port) reached over plain HTTP; repeatable (loopback hosts always are)", collect, [])
    .action(async (o) => {
      // loaded here, not at the top: the other commands start faster without the agent's stack
      const { startAgent } = await import("../node/agent.ts");
      const { registeredSchemes, schemeOf } = await import("../node/sources.ts");
      const { loadTrustedKeys, trustedKeyPathsFromEnv } = await import("../node/keys.ts");
      const keyPaths: string[] = [...o.trustedKey, ...trustedKeyPathsFromEnv(process.env.ISOPLACE_TRUSTED_KEYS)];
      let trustedKeys;
      try {
        trustedKeys = await loadTrustedKeys(keyPaths);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      if (o.pollInterval <= 0) throw new UsageError("--poll-interval must be a positive number of seconds");
      if (o.policy && !registeredSchemes().includes(schemeOf(o.policy))) {
        throw new UsageError(`--policy: the scheme "${schemeOf(o.policy)}://" is not supported, got "${o.policy}"; supported: ${registeredSchemes().map((s) => `${s}://`).join(", ")} or a file path`);
      }
      const token = await adminToken(o.adminTokenFile);
      const sourceOptions = o.policy && schemeOf(o.policy) === "oci" ? { oci: await (await import("./oci.ts")).ociSettings(o.insecureRegistry, o.policy) } : undefined;
      const agent = await startAgent({
        host: o.host, port: o.port, runtimes: o.runtimes, detect: o.detect, hostRoot: o.hostRoot,
        policy: o.policy, trustedKeys, dataDir: o.dataDir, adminToken: token, poll: { intervalMs: o.pollInterval * 1000 }, sourceOptions,
      });
      if (o.policy && trustedKeys.length === 0) agent.logger.warn("--policy is set but no --trusted-key: every module from it will be rejected (signature)");
      const stop = async (signal: string) => {
        agent.logger.info({ signal }, "stopping: draining in-flight requests");
        await agent.close();
        agent.logger.info("stopped");
        process.exit(0);
      };
      process.once("SIGTERM", () => void stop("SIGTERM"));
      process.once("SIGINT", () => void stop("SIGINT"));
    });
}
