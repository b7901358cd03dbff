// isoplace serve: the agent, until SIGTERM/SIGINT (then it drains and exits 0).
import { readFile } from "node:fs/promises";
import { Option, type Command } from "commander";
import type { Engine } from "../engine/engine.ts";
import type { TrustedKey } from "../delivery/signing.ts";
import { checkRuntimes, checkServeConfig, ConfigError, type Given } from "./config.ts";
import { UsageError } from "./errors.ts";
import { collect, list } from "./input.ts";

async function adminToken(file: Given | undefined): Promise<string | undefined> {
  let token = process.env.ISOPLACE_ADMIN_TOKEN, name = "ISOPLACE_ADMIN_TOKEN";
  if (file) {
    try {
      token = await readFile(file.value, "utf8");
      name = file.name;
    } catch (err) {
      throw new ConfigError([{ name: file.name, message: `cannot read ${file.value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
    }
  }
  token = token?.trim();
  if (token === undefined || token === "") return undefined;
  if (token.length < 16 || /\s/.test(token)) throw new ConfigError([{ name, message: "the admin token must be at least 16 characters without spaces (e.g. openssl rand -hex 32)" }]);
  return token;
}

/** The policies whose runtime ids a configured node may name: the built-in one, and the one --data-dir restores. */
async function policiesForRuntimes(dataDir: string | undefined): Promise<Engine[]> {
  const { loadPolicy } = await import("../index.ts");
  const engines = [await loadPolicy()];
  if (dataDir) {
    try {
      const { PolicyStore } = await import("../node/store.ts");
      const store = new PolicyStore(dataDir);
      const active = (await store.load()).kept[0];
      const stored = active && !active.builtIn ? await store.readModule(active.moduleSha256) : null;
      // verified when it was stored; here only its runtime ids are read
      if (stored) engines.push(await loadPolicy(stored.bytes));
    } catch { /* nothing usable restored: the agent says so when it starts */ }
  }
  return engines;
}

// commander shows "env: NAME" in the help itself
const env = (flags: string, description: string, variable: string) => new Option(flags, description).env(variable);

export function registerServe(program: Command): void {
  program.command("serve")
    .description("run the agent: the HTTP API on this node (env LOG_LEVEL: fatal, error, warn, info, debug, trace or silent)")
    .addOption(env("--host <address>", "address to listen on", "HOST").default("127.0.0.1"))
    .addOption(env("--port <n>", "port, 0 for any free one", "PORT").default("8787"))
    .addOption(env("--runtimes <ids>", "this node's runtimes, comma-separated", "ISOPLACE_RUNTIMES").argParser(list))
    .option("--detect", "probe this machine for runtimes (/dev/kvm, containerd's socket, shims on PATH), again whenever a new policy changes how")
    .addOption(env("--host-root <dir>", "where the host's file system is mounted, for --detect", "ISOPLACE_HOST_ROOT").default("/"))
    .addOption(env("--policy <file|url|oci>", "a signed policy module: a file (watched, FILE.sig beside it), an http(s) URL (polled, URL.sig beside it) or oci://HOST/REPO:TAG|@sha256:… (a tag is polled)", "ISOPLACE_POLICY"))
    .option("--trusted-key <file>", "a public key (PEM) whose signatures are accepted; repeatable (env ISOPLACE_TRUSTED_KEYS: comma-separated paths)", collect, [])
    .addOption(env("--data-dir <dir>", "keeps the active policy and the last 5 for rollback; restored at start", "ISOPLACE_DATA_DIR"))
    .option("--admin-token-file <file>", "enables PUT /v1/policy and POST /v1/policy/rollback with this bearer token (env ISOPLACE_ADMIN_TOKEN: the token itself)")
    .option("--poll-interval <seconds>", "how often a --policy URL or oci:// tag is polled (plus up to 20% jitter)", "30")
    .option("--insecure-registry <host>", "an oci:// registry host (host or host:port) reached over plain HTTP; repeatable (loopback hosts always are)", collect, [])
    .action(async (o, cmd: Command) => {
      // Where each value came from, so a mistake names the variable when the environment set it.
      const given = <T = string>(key: string, flag: string): Given<T> | undefined => {
        const source = cmd.getOptionValueSource(key);
        if (o[key] === undefined) return undefined;
        const option = cmd.options.find((opt) => opt.attributeName() === key);
        return { value: o[key] as T, name: source === "env" && option?.envVar ? option.envVar : flag };
      };
      const explicit = (key: string, flag: string) => (cmd.getOptionValueSource(key) === "default" ? undefined : given(key, flag));
      const config = checkServeConfig({
        host: given("host", "--host")!, port: given("port", "--port")!, pollInterval: given("pollInterval", "--poll-interval")!,
        logLevel: process.env.LOG_LEVEL === undefined ? undefined : { value: process.env.LOG_LEVEL, name: "LOG_LEVEL" },
        runtimes: given<string[]>("runtimes", "--runtimes"),
        hostRoot: explicit("hostRoot", "--host-root"),
        dataDir: given("dataDir", "--data-dir"),
      });
      const { registeredSchemes, schemeOf } = await import("../node/sources.ts");
      if (o.policy && !registeredSchemes().includes(schemeOf(o.policy))) {
        const supported = `${registeredSchemes().map((s) => `${s}://`).join(", ")} or a file path`;
        throw new ConfigError([{ name: given("policy", "--policy")!.name, message: `the scheme "${schemeOf(o.policy)}://" is not supported, got "${o.policy}"; supported: ${supported}` }]);
      }
      const { loadTrustedKeys, trustedKeyPathsFromEnv } = await import("../node/keys.ts");
      const keyPaths: Given<string[]>[] = [
        { value: o.trustedKey, name: "--trusted-key" },
        { value: trustedKeyPathsFromEnv(process.env.ISOPLACE_TRUSTED_KEYS), name: "ISOPLACE_TRUSTED_KEYS" },
      ];
      const token = await adminToken(o.adminTokenFile === undefined ? undefined : { value: o.adminTokenFile, name: "--admin-token-file" });
      const runtimes = config.runtimes && checkRuntimes(given<string[]>("runtimes", "--runtimes")!, await policiesForRuntimes(o.dataDir));

      // loaded here, not at the top: the other commands start faster without the agent's stack
      const { startAgent } = await import("../node/agent.ts");
      const trustedKeys: TrustedKey[] = [];
      for (const paths of keyPaths) {
        try {
          for (const key of await loadTrustedKeys(paths.value)) if (!trustedKeys.some((k) => k.id === key.id)) trustedKeys.push(key);
        } catch (err) {
          throw new ConfigError([{ name: paths.name, message: (err as Error).message }]);
        }
      }
      const sourceOptions = o.policy && schemeOf(o.policy) === "oci" ? { oci: await (await import("./oci.ts")).ociSettings(o.insecureRegistry, o.policy) } : undefined;
      const agent = await startAgent({
        host: config.host, port: config.port, runtimes, detect: o.detect, hostRoot: o.hostRoot,
        policy: o.policy, trustedKeys, dataDir: o.dataDir, adminToken: token, poll: { intervalMs: config.pollIntervalS * 1000 }, sourceOptions,
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
