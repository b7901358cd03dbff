// `kubectl isoplace plan …`: the package's bin entry kubectl-isoplace, put on PATH as npm links
// it, found and run by a real kubectl as a plugin (.peers/bin/kubectl; outside CI, a kubectl on
// PATH will do). kubectl runs a plugin in its own place, so the answer and the exit code are the
// command's own.
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { runChild } from "../support/child.ts";
import { missingPeers, needsPeers, peerBin } from "../support/peers.ts";

const IN_CI = /^(1|true)$/i.test(process.env.CI ?? "");
const onPath = (name: string) =>
  (process.env.PATH ?? "")
    .split(delimiter)
    .map((d) => join(d, name))
    .find((p) => {
      try {
        accessSync(p, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
const kubectl = missingPeers("kubectl").length === 0 || IN_CI ? peerBin("kubectl") : onPath("kubectl");

const bin: Record<string, string> = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")).bin;
const binDir = mkdtempSync(join(tmpdir(), "isoplace-kubectl-plugin-"));
afterAll(() => rmSync(binDir, { recursive: true, force: true }));
for (const [name, target] of Object.entries(bin)) symlinkSync(join(PACKAGE_ROOT, target), join(binDir, name));
// the plugin first, then Node 22 (the bin's `#!/usr/bin/env node`), then the rest
const env = { ...process.env, PATH: [binDir, dirname(process.execPath), process.env.PATH].join(delimiter), KUBECONFIG: join(binDir, "no-kubeconfig") };
const run = (command: string, args: string[]) => runChild(command, args, { cwd: PACKAGE_ROOT, env, timeoutMs: 60_000 });
const TREE = "tests/k8s/fixtures/plan/tree";

describe("the kubectl-isoplace bin entry", () => {
  it("names the CLI's entry, which the build leaves executable", () => {
    expect(bin["kubectl-isoplace"]).toBe(bin.isoplace);
    expect(statSync(join(PACKAGE_ROOT, bin["kubectl-isoplace"])).mode & 0o111).toBe(0o111);
  });
});

describe.skipIf(!kubectl)(needsPeers("kubectl isoplace plan: a kubectl plugin", "kubectl"), () => {
  it("kubectl lists the plugin and runs it: the same plan as isoplace plan, its help under kubectl's name, its exit code", async () => {
    const list = await run(kubectl!, ["plugin", "list"]);
    expect(list.stdout).toContain(join(binDir, "kubectl-isoplace"));
    const args = ["plan", "-f", TREE, "-R", "--runtime-classes", "wasmedge,gvisor,kata", "-o", "json"];
    const [viaKubectl, direct, help, failing] = await Promise.all([
      run(kubectl!, ["isoplace", ...args]),
      run(join(binDir, "isoplace"), args),
      run(kubectl!, ["isoplace", "plan", "--help"]),
      run(kubectl!, ["isoplace", "plan", "-f", TREE, "-R", "--fail-on", "deny"]),
    ]);
    expect(viaKubectl.code, viaKubectl.stderr).toBe(0);
    expect(JSON.parse(viaKubectl.stdout)).toEqual(JSON.parse(direct.stdout));
    expect(JSON.parse(viaKubectl.stdout).summary.workloads).toBe(9);
    expect(help.stdout).toMatch(/^Usage: kubectl isoplace plan \[options\]/);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain("isoplace: --fail-on deny: 1 workload denied");
  });
});
