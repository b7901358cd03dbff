// Policy variants the rollout simulation and tests publish, made from the default source: another
// version with the same answers (a benign change), and one that moves every serverless decision
// (first choice L3 instead of L4: the kind of valid but wrong change a guard exists for).
import { readFile } from "node:fs/promises";
import { DEFAULT_POLICY_SOURCE } from "../../host/package.ts";

const replaceOnce = (text: string, from: RegExp | string, to: string, what: string) => {
  const next = text.replace(from, to);
  if (next === text) throw new Error(`bench/fleet/variants.ts: cannot find ${what} in policies/default.yaml`);
  return next;
};

/** The default source with another version line. */
async function versionedSource(version: string, text?: string): Promise<string> {
  return replaceOnce(text ?? (await readFile(DEFAULT_POLICY_SOURCE, "utf8")), /^version: .*$/m, `version: ${version}`, "the version line");
}

/** The default source, version `version`, whose serverless scenario prefers L3 (L4 second): every serverless decision changes. */
export async function serverlessMovedSource(version: string): Promise<string> {
  const text = await versionedSource(version);
  const moved = replaceOnce(
    text,
    /(\n {2}- id: serverless\n(?: {4}.*\n)*? {4})first: L4\n {4}second: L3\n/,
    "$1first: L3\n    second: L4\n",
    "serverless' first and second choice",
  );
  // the self-test vector that pins gVisor as a container's L4 sandbox asks it of edge instead (still L4 there)
  return replaceOnce(
    moved,
    "request: { workload: { scenario: serverless, artifact: container }, node: { runtimes: [containerd, wasmedge, gvisor] } }",
    "request: { workload: { scenario: edge, artifact: container }, node: { runtimes: [containerd, wasmedge, gvisor] } }",
    "the gVisor self-test vector",
  );
}
