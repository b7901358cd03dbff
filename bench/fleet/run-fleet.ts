// Builds what the fleet simulation needs (the default module, a v2 of it, a key pair) and runs
// it: shared by `npm run bench:fleet` (bench/fleet.ts) and the bench's fleet section.
import { readFile } from "node:fs/promises";
import { buildPolicy } from "../../host/policy/compile.ts";
import { generateKeyPair, importPublicKey, importSigningKey } from "../../host/delivery/signing.ts";
import { envelopeJson, signModuleStatement } from "../../host/delivery/statement.ts";
import { DEFAULT_POLICY_SOURCE } from "../../host/package.ts";
import { parsePolicySource } from "../../host/policy/source.ts";
import { runRollouts, type RolloutOptions, type RolloutResult } from "./rollout.ts";
import { simulateFleet, type AgentKind, type FleetResult } from "./simulate.ts";
import { serverlessMovedSource } from "./variants.ts";

export interface FleetRun {
  registry?: boolean;
  agents: number;
  kinds: AgentKind[];
  intervalMs: number;
  jitter: number;
  log: (m: string) => void;
  v1?: Uint8Array;
}

/** The default policy source with another version: what an operator publishes next. */
async function nextVersionSource(): Promise<{ text: string; v1: string; v2: string }> {
  const text = await readFile(DEFAULT_POLICY_SOURCE, "utf8");
  const v1 = parsePolicySource(text, "policies/default.yaml").version;
  const v2 = `${v1}.fleet`;
  const next = text.replace(/^version: .*$/m, `version: ${v2}`);
  if (next === text) throw new Error("bench/fleet: cannot find the version line in policies/default.yaml");
  return { text: next, v1, v2 };
}

/** One simulation per kind of agent, on the same modules and key. */
export async function runFleet(r: FleetRun): Promise<FleetResult[]> {
  const src = await nextVersionSource();
  r.log("fleet: building v1 (the default) and v2 (the default with another version)");
  const v1 = r.v1 ?? (await buildPolicy(await readFile(DEFAULT_POLICY_SOURCE, "utf8"), "policies/default.yaml")).wasm;
  const v2 = (await buildPolicy(src.text, "fleet-v2.yaml")).wasm;
  const pair = await generateKeyPair();
  const key = await importSigningKey(pair.privatePem);
  const trusted = await importPublicKey(pair.publicPem, "bench key");
  const signed = {
    v1: { bytes: v1, signature: envelopeJson(await signModuleStatement(v1, [key], { serial: 1 })), version: src.v1 },
    v2: { bytes: v2, signature: envelopeJson(await signModuleStatement(v2, [key], { serial: 2 })), version: src.v2 },
  };
  const out: FleetResult[] = [];
  for (const kind of r.kinds) {
    out.push(
      await simulateFleet({
        registry: r.registry,
        agents: r.agents,
        kind,
        intervalMs: r.intervalMs,
        jitter: r.jitter,
        builtIn: v1,
        trustedKeys: [trusted],
        ...signed,
        log: r.log,
      }),
    );
  }
  return out;
}

/** The staged-rollout runs (rollout.ts): v1 (the default), v2 (another version, the same answers), and a candidate that moves every serverless decision. */
export async function runRolloutFleet(r: Omit<RolloutOptions, "modules" | "key" | "trustedKeys"> & { v1?: Uint8Array }): Promise<RolloutResult> {
  const src = await nextVersionSource();
  r.log?.("rollout: building v1 (the default), v2 (another version) and a candidate that moves every serverless decision");
  const v1 = r.v1 ?? (await buildPolicy(await readFile(DEFAULT_POLICY_SOURCE, "utf8"), "policies/default.yaml")).wasm;
  const v2 = (await buildPolicy(src.text, "fleet-v2.yaml")).wasm;
  const moved = (await buildPolicy(await serverlessMovedSource(`${src.v1}.serverless-moved`), "fleet-moved.yaml")).wasm;
  const pair = await generateKeyPair();
  return runRollouts({
    ...r,
    modules: { v1, v2, moved },
    key: await importSigningKey(pair.privatePem),
    trustedKeys: [await importPublicKey(pair.publicPem, "bench key")],
  });
}
