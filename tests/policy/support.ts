// Policy variants for the policy test/diff suites: the default source with small YAML edits,
// built in-process (cached on disk by the shipping suites' build cache), and the CLI run as a
// real process.
import { isoplace as cli } from "../support/cli.ts";
import { build, defaultSource, DEFAULT_VERSION, tempDir } from "../shipping/support/fixtures.ts";

export { build, defaultSource, tempDir };

/** The default source with `edits` applied (each [from, to] must match exactly once) and another version. */
export async function variant(version: string, ...edits: [string, string][]): Promise<string> {
  let text = (await defaultSource()).replace(`version: ${DEFAULT_VERSION}`, `version: ${version}`);
  for (const [from, to] of edits) {
    if (text.split(from).length !== 2) throw new Error(`the default policy source changed: "${from}" is not there exactly once`);
    text = text.replace(from, to);
  }
  return text;
}

/** serverless: first choice L3, second L4 (was L4, then L3); its own test that expected L4 for serverless follows. */
export const SERVERLESS_L3: [string, string][] = [
  [
    "  - id: serverless\n    name: serverless\n    zh: Serverless\n    first: L4\n    second: L3\n",
    "  - id: serverless\n    name: serverless\n    zh: Serverless\n    first: L3\n    second: L4\n",
  ],
  [
    "    request: { workload: { scenario: serverless, artifact: container }, node: { runtimes: [containerd, wasmedge, gvisor] } }\n    expect: L4\n    runtime: gvisor\n",
    "    request: { workload: { scenario: serverless, artifact: container }, node: { runtimes: [containerd, wasmedge, gvisor] } }\n    expect: L3\n    runtime: containerd\n",
  ],
];

/**
 * gVisor's cold start 61–300 ms (was 81–280): the same midpoint, so every score stays; only the
 * worst case moves, across any maxColdStartMs in [280, 300).
 */
export const GVISOR_COLD_START_300: [string, string] = [
  "      coldStart: { min: 81, max: 280, text: 81–280 ms,",
  "      coldStart: { min: 61, max: 300, text: 61–300 ms,",
];

/** `isoplace ARGS` from the sources, to its end. */
export const isoplace = (...args: string[]) => cli(args);

/** A new scenario, batch (first choice L3): requests naming it are invalid under the default policy. */
export const BATCH_SCENARIO: [string, string] = [
  "\n# Runtimes → the levels",
  [
    "  - id: batch",
    "    name: batch jobs",
    "    zh: 批处理",
    "    first: L3",
    "    levels:",
    "      L1: { fit: ⚠️, note: heavy, stack: KubeVirt + KVM }",
    "      L2: { fit: ⚠️, note: heavy, stack: { runtime: kata } }",
    "      L3: { fit: ✅✅✅, note: standard, stack: { orchestrator: K8s, runtime: containerd } }",
    "      L4: { fit: ✅, note: sandboxed, stack: { orchestrator: K8s, runtime: gvisor } }",
    "",
    "# Runtimes → the levels",
  ].join("\n"),
];
