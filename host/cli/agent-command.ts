// What `serve` and `webhook` share: the options of an agent that takes its policy from a source
// (address, port, policy, trusted keys, data directory, polling, registries), checked up front
// — every mistake named by the flag or variable it came from, exit 2, before any policy is loaded
// or port opened — and the graceful stop on SIGTERM/SIGINT.
import { Option, type Command } from "commander";
import type { TrustedKey } from "../delivery/signing.ts";
import type { SourceContext } from "../delivery/source.ts";
import type { ServerLimits } from "../node/server-limits.ts";
import { checkServeConfig, ConfigError, type ConfigProblem, type Given, type ServeConfig } from "./config.ts";
import { collect } from "./input.ts";

// commander shows "env: NAME" in the help itself
export const envOption = (flags: string, description: string, variable: string) => new Option(flags, description).env(variable);

/** The options every agent-like command takes; `defaults` are its address, port and server limits. */
export function addAgentOptions(cmd: Command, defaults: { host: string; port: string; limits: ServerLimits }): Command {
  return cmd
    .addOption(envOption("--host <address>", "address to listen on", "HOST").default(defaults.host))
    .addOption(envOption("--port <n>", "port, 0 for any free one", "PORT").default(defaults.port))
    .addOption(
      envOption("--max-connections <n>", "connections open at once; one more is closed when it is accepted", "ISOPLACE_MAX_CONNECTIONS").default(
        String(defaults.limits.maxConnections),
      ),
    )
    .addOption(
      envOption(
        "--headers-timeout <seconds>",
        "a request's headers must arrive within this, else its connection is closed",
        "ISOPLACE_HEADERS_TIMEOUT",
      ).default(String(defaults.limits.headersTimeoutMs / 1000)),
    )
    .addOption(
      envOption("--request-timeout <seconds>", "the whole request, body included, must arrive within this (else 408)", "ISOPLACE_REQUEST_TIMEOUT").default(
        String(defaults.limits.requestTimeoutMs / 1000),
      ),
    )
    .addOption(
      envOption(
        "--policy <file|url|oci>",
        "a signed policy module: a file (watched, FILE.sig beside it), an http(s) URL (polled, URL.sig beside it) or oci://HOST/REPO:TAG|@sha256:… (a tag is polled)",
        "ISOPLACE_POLICY",
      ),
    )
    .option(
      "--trusted-key <file>",
      "a public key (PEM) whose signatures are accepted; repeatable (env ISOPLACE_TRUSTED_KEYS: comma-separated paths); --policy needs one",
      collect,
      [],
    )
    .option("--require-policy", "not ready (GET /readyz 503) until a policy from --policy is active; meanwhile the built-in default answers")
    .addOption(envOption("--data-dir <dir>", "keeps the active policy and the last 5 for rollback; restored at start", "ISOPLACE_DATA_DIR"))
    .option("--poll-interval <seconds>", "how often a --policy URL or oci:// tag is polled (plus up to 20% jitter)", "30")
    .option(
      "--insecure-registry <host>",
      "an oci:// registry host (host or host:port) reached over plain HTTP; repeatable (loopback hosts always are)",
      collect,
      [],
    )
    .addOption(
      envOption(
        "--node-name <name>",
        "this node's name, hashed with a policy's name into its bucket of a staged rollout (the DaemonSet sets it from spec.nodeName; default: the hostname)",
        "ISOPLACE_NODE_NAME",
      ),
    )
    .option("--rollout-bucket <percent>", "pin this agent's rollout bucket instead (0 ≤ P < 100; 0: it adopts with the first step — a canary)");
}

/** Where an option's value came from: the flag, or the variable when the environment set it. */
export function givenOf(o: Record<string, unknown>, cmd: Command) {
  return <T = string>(key: string, flag: string): Given<T> | undefined => {
    if (o[key] === undefined) return undefined;
    const option = cmd.options.find((opt) => opt.attributeName() === key);
    return { value: o[key] as T, name: cmd.getOptionValueSource(key) === "env" && option?.envVar ? option.envVar : flag };
  };
}

export interface AgentConfig extends ServeConfig {
  policy?: string;
  requirePolicy: boolean;
  /** Where --host and --port came from (the flag, or HOST and PORT), for messages about them. */
  names: { host: string; port: string };
  dataDir?: string;
  nodeName?: string;
  rolloutBucket?: number;
  trustedKeys: TrustedKey[];
  sourceOptions?: SourceContext["options"];
}

/**
 * Checks the shared options (and `more`, the command's own checks of the same kind), then loads
 * the trusted keys and the policy source's settings. Throws ConfigError naming every mistake.
 */
export async function readAgentConfig(o: Record<string, any>, cmd: Command, more: { runtimes?: Given<string[]>; hostRoot?: Given } = {}): Promise<AgentConfig> {
  const given = givenOf(o, cmd);
  const problems: ConfigProblem[] = [];
  const nodeName = given("nodeName", "--node-name");
  if (nodeName && (nodeName.value.trim() === "" || nodeName.value.length > 253))
    problems.push({ name: nodeName.name, message: `must be a non-empty name of at most 253 characters, got ${JSON.stringify(nodeName.value.slice(0, 64))}` });
  const bucketGiven = given("rolloutBucket", "--rollout-bucket");
  const rolloutBucket = bucketGiven === undefined ? undefined : Number(bucketGiven.value);
  if (bucketGiven && !(/^\d+(\.\d+)?$/.test(bucketGiven.value.trim()) && rolloutBucket! >= 0 && rolloutBucket! < 100)) {
    problems.push({
      name: bucketGiven.name,
      message: `must be a number from 0 up to (not including) 100, got ${JSON.stringify(bucketGiven.value.slice(0, 20))}`,
    });
  }
  let config: ServeConfig;
  try {
    config = checkServeConfig({
      host: given("host", "--host")!,
      port: given("port", "--port")!,
      pollInterval: given("pollInterval", "--poll-interval")!,
      maxConnections: given("maxConnections", "--max-connections"),
      headersTimeout: given("headersTimeout", "--headers-timeout"),
      requestTimeout: given("requestTimeout", "--request-timeout"),
      logLevel: process.env.LOG_LEVEL === undefined ? undefined : { value: process.env.LOG_LEVEL, name: "LOG_LEVEL" },
      dataDir: given("dataDir", "--data-dir"),
      ...more,
    });
  } catch (err) {
    // every mistake at once: the rollout flags' beside the others
    throw err instanceof ConfigError && problems.length ? new ConfigError([...err.problems, ...problems]) : err;
  }
  if (problems.length) throw new ConfigError(problems);
  const { registeredSchemes, schemeOf } = await import("../node/sources.ts");
  if (o.policy && !registeredSchemes().includes(schemeOf(o.policy))) {
    const supported = `${registeredSchemes()
      .map((s) => `${s}://`)
      .join(", ")} or a file path`;
    throw new ConfigError([
      {
        name: given("policy", "--policy")!.name,
        message: `the scheme "${schemeOf(o.policy)}://" is not supported, got "${o.policy}"; supported: ${supported}`,
      },
    ]);
  }
  const { loadTrustedKeys, trustedKeyPathsFromEnv } = await import("../node/keys.ts");
  const trustedKeys: TrustedKey[] = [];
  for (const paths of [
    { value: o.trustedKey as string[], name: "--trusted-key" },
    { value: trustedKeyPathsFromEnv(process.env.ISOPLACE_TRUSTED_KEYS), name: "ISOPLACE_TRUSTED_KEYS" },
  ]) {
    try {
      for (const key of await loadTrustedKeys(paths.value)) if (!trustedKeys.some((k) => k.id === key.id)) trustedKeys.push(key);
    } catch (err) {
      throw new ConfigError([{ name: paths.name, message: (err as Error).message }]);
    }
  }
  const sourceOptions =
    o.policy && schemeOf(o.policy) === "oci" ? { oci: await (await import("./oci.ts")).ociSettings(o.insecureRegistry, o.policy) } : undefined;
  const policyName = given("policy", "--policy")?.name ?? "--policy";
  if (o.policy && trustedKeys.length === 0) {
    throw new ConfigError([
      {
        name: policyName,
        message: `needs a key to verify what it delivers: give --trusted-key FILE (or ISOPLACE_TRUSTED_KEYS), the public key the policy is signed with; without one every module from ${o.policy} would be rejected`,
      },
    ]);
  }
  if (o.requirePolicy && !o.policy)
    throw new ConfigError([{ name: "--require-policy", message: "waits for a policy from --policy (or ISOPLACE_POLICY), which is not set" }]);
  return {
    ...config,
    policy: o.policy,
    requirePolicy: Boolean(o.requirePolicy),
    dataDir: o.dataDir,
    trustedKeys,
    sourceOptions,
    nodeName: nodeName?.value.trim(),
    rolloutBucket,
    names: { host: given("host", "--host")!.name, port: given("port", "--port")!.name },
  };
}

/**
 * The listen errors an operator can fix by a flag, as usage errors (exit 2) naming it: a port in
 * use, a port below 1024 without the privilege, an address this machine does not have.
 */
export function listenFailure(config: AgentConfig): (err: unknown) => never {
  return (err) => {
    const e = err as NodeJS.ErrnoException;
    const where = `${config.host}:${config.port}`;
    const port = config.names.port,
      other = `choose another with ${port === "PORT" ? "PORT=N" : `${port} N (or PORT=N)`}, or 0 for any free port`;
    if (e.code === "EADDRINUSE") throw new ConfigError([{ name: port, message: `${where} is already in use (another isoplace, or another server): ${other}` }]);
    if (e.code === "EACCES")
      throw new ConfigError([{ name: port, message: `listening on ${where} is not permitted for this user (ports below 1024 need privileges): ${other}` }]);
    if (e.code === "EADDRNOTAVAIL")
      throw new ConfigError([
        { name: config.names.host, message: `${config.host} is not an address of this machine (127.0.0.1 for this machine only, 0.0.0.0 for every interface)` },
      ]);
    throw err;
  };
}

interface Stoppable {
  logger: { info(obj: object | string, msg?: string): void; warn(msg: string): void };
  close(): Promise<void>;
}

/** Drains and exits 0 on SIGTERM/SIGINT. */
export function runUntilStopped(running: Stoppable): void {
  const { logger } = running;
  const stop = async (signal: string) => {
    logger.info({ signal }, "stopping: draining in-flight requests");
    await running.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}
