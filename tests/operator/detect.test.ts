// `serve --detect` probes again when an activated policy changes its runtimes' detect rules:
// a real agent, a fake host root holding a runtime's binary, and a policy variant that adds
// that runtime, built in-process from the default source.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createEngine } from "../../host/engine/engine.ts";
import { nodeProfile, startAgent, type Agent } from "../../host/node/agent.ts";
import { DEFAULT_POLICY_SOURCE, PACKAGE_ROOT } from "../../host/package.ts";
import { buildPolicy } from "../../host/policy/compile.ts";

const BINARY = "isoplace-test-youki";
let root: string, agent: Agent | undefined;
const logs: { msg: string; runtimes?: string[]; evidence?: Record<string, string>; why?: string }[] = [];

/** The default source with one more runtime, a copy of containerd's entry detected by BINARY. */
async function withYouki(): Promise<string> {
  const text = await readFile(DEFAULT_POLICY_SOURCE, "utf8");
  const line = text.split("\n").find((l) => /^\s*- \{ id: containerd,/.test(l));
  if (!line) throw new Error("the default policy source has no containerd runtime line: update tests/operator/detect.test.ts");
  const youki = line
    .replace("id: containerd", "id: youki")
    .replace("name: containerd", "name: youki")
    .replace(/detect: \{[^}]*\}/, `detect: { binary: [${BINARY}] }`);
  return text.replace(line, `${line}\n${youki}`);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "isoplace-detect-"));
  await mkdir(join(root, "usr/local/bin"), { recursive: true });
  await writeFile(join(root, "usr/local/bin", BINARY), "#!/bin/sh\n");
  await chmod(join(root, "usr/local/bin", BINARY), 0o755);
  const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  agent = await startAgent({ port: 0, detect: true, hostRoot: root, logger });
});

afterAll(async () => {
  await agent?.close();
  await rm(root, { recursive: true, force: true });
});

it("probes again, with the new rules, when a policy adding a runtime is activated, and logs what it found", async () => {
  const probes = () => logs.filter((l) => l.msg === "node profile: detected");
  expect(probes()).toHaveLength(1);
  expect(probes()[0].runtimes).not.toContain("youki");

  const built = await buildPolicy(await withYouki(), "youki.yaml");
  agent!.policy.activate(await createEngine(built.wasm), "test");
  expect(probes()).toHaveLength(2);
  const probe = probes()[1];
  expect(probe.runtimes).toContain("youki");
  expect(probe.evidence?.youki).toBe(join(root, "usr/local/bin", BINARY));
  expect(probe.why).toBe("new detect rules");
  // the active policy answers for the new profile
  const answer = agent!.policy.engine.decide({});
  expect(answer.node).toMatchObject({ source: "detected" });
  expect(answer.node.runtimes).toContain("youki");

  // the same rules again: no new probe
  agent!.policy.activate(await createEngine(built.wasm), "test again");
  expect(probes()).toHaveLength(2);
}, 120_000);

it("finding no runtime is a warning naming what it looked for (and the agent stays ready)", async () => {
  const engine = await createEngine(await readFile(join(PACKAGE_ROOT, "dist/policies/default.wasm")));
  // KVM's device is looked for at its own path too (a pod gets it there): moved under the empty root
  const catalogue = {
    ...engine.catalogue,
    runtimes: engine.catalogue.runtimes.map((r) => (r.detect?.device ? { ...r, detect: { device: "/dev/isoplace-test-none" } } : r)),
  };
  const lines: { level: number; msg: string; looked?: Record<string, string[]>; hostRoot?: string }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const empty = await mkdtemp(join(tmpdir(), "isoplace-detect-none-"));
  try {
    expect(nodeProfile({ detect: true, hostRoot: empty }, { catalogue }, logger)).toEqual({ source: "detected", runtimes: [] });
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
  const warning = lines.find((l) => l.level === 40);
  expect(warning?.msg).toBe(
    '--detect found no runtime: every decision is "none" until one is installed (or --runtimes names them); check --host-root and the mounts',
  );
  expect(warning?.hostRoot).toBe(empty);
  expect(warning?.looked?.containerd).toContain("/run/containerd/containerd.sock");
  expect(warning?.looked?.kvm).toEqual(["/dev/isoplace-test-none"]);
});
