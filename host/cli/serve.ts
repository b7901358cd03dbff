// isoplace serve: the agent, until SIGTERM/SIGINT (then it drains and exits 0).
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import type { TrustedKey } from "../delivery/signing.ts";
import type { Engine } from "../engine/engine.ts";
import { addAgentOptions, envOption, givenOf, listenFailure, readAgentConfig, runUntilStopped } from "./agent-command.ts";
import { checkRuntimes, ConfigError, type Given } from "./config.ts";
import { list } from "./input.ts";
import { SERVER_LIMITS } from "../node/server-limits.ts";

async function adminToken(file: Given | undefined): Promise<string | undefined> {
  let token = process.env.ISOPLACE_ADMIN_TOKEN,
    name = "ISOPLACE_ADMIN_TOKEN";
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
  if (token.length < 16 || /\s/.test(token))
    throw new ConfigError([{ name, message: "the admin token must be at least 16 characters without spaces (e.g. openssl rand -hex 32)" }]);
  return token;
}

/** The policies whose runtime ids a configured node may name: the built-in one, and the one --data-dir restores. */
async function policiesForRuntimes(dataDir: string | undefined, trustedKeys: TrustedKey[]): Promise<Engine[]> {
  const { loadPolicy } = await import("../index.ts");
  const engines = [await loadPolicy()];
  if (dataDir) {
    try {
      const { PolicyStore } = await import("../node/store.ts");
      const { checkCandidate } = await import("../delivery/pipeline.ts");
      const store = new PolicyStore(dataDir);
      for (const entry of (await store.load()).kept) {
        if (entry.builtIn) break;
        const stored = await store.readModule(entry.moduleSha256);
        // the statement verified before any of the module's code runs, as when the agent restores it
        const checked = stored && (await checkCandidate({ ...stored, source: entry.source }, { trustedKeys }).catch(() => undefined));
        if (checked) {
          engines.push(checked.engine);
          break;
        }
      }
    } catch {
      /* nothing usable restored: the agent says so when it starts */
    }
  }
  return engines;
}

export function registerServe(program: Command): void {
  const serve = program
    .command("serve")
    .description("run the agent: the HTTP API on this node (env LOG_LEVEL: fatal, error, warn, info, debug, trace or silent)");
  addAgentOptions(serve, { host: "127.0.0.1", port: "8787", limits: SERVER_LIMITS })
    .addOption(envOption("--runtimes <ids>", "this node's runtimes, comma-separated", "ISOPLACE_RUNTIMES").argParser(list))
    .option("--detect", "probe this machine for runtimes (/dev/kvm, containerd's socket, shims on PATH), again whenever a new policy changes how")
    .addOption(envOption("--host-root <dir>", "where the host's file system is mounted, for --detect", "ISOPLACE_HOST_ROOT").default("/"))
    .option(
      "--admin-token-file <file>",
      "enables PUT /v1/policy and POST /v1/policy/rollback with this bearer token (env ISOPLACE_ADMIN_TOKEN: the token itself)",
    )
    .action(async (o, cmd: Command) => {
      const given = givenOf(o, cmd);
      const config = await readAgentConfig(o, cmd, {
        runtimes: given<string[]>("runtimes", "--runtimes"),
        hostRoot: cmd.getOptionValueSource("hostRoot") === "default" ? undefined : given("hostRoot", "--host-root"),
      });
      const token = await adminToken(o.adminTokenFile === undefined ? undefined : { value: o.adminTokenFile, name: "--admin-token-file" });
      const runtimes =
        config.runtimes && (await checkRuntimes(given<string[]>("runtimes", "--runtimes")!, await policiesForRuntimes(o.dataDir, config.trustedKeys)));

      // loaded here, not at the top: the other commands start faster without the agent's stack
      const { startAgent } = await import("../node/agent.ts");
      const agent = await startAgent({
        host: config.host,
        port: config.port,
        runtimes,
        detect: o.detect,
        hostRoot: o.hostRoot,
        policy: config.policy,
        requirePolicy: config.requirePolicy,
        trustedKeys: config.trustedKeys,
        dataDir: config.dataDir,
        adminToken: token,
        poll: { intervalMs: config.pollIntervalS * 1000 },
        sourceOptions: config.sourceOptions,
        limits: config.limits,
        nodeName: config.nodeName,
        rolloutBucket: config.rolloutBucket,
      }).catch(listenFailure(config));
      runUntilStopped(agent);
    });
}
