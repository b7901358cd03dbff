// The CLI as a user runs it: a real process (the package's Node 22, host/cli/main.ts from
// source) over the default policy module in dist/, checked against the library's answers.
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, it } from "vitest";
import type { Engine } from "../../host/engine/engine.ts";
import { loadPolicy } from "../../host/index.ts";
import { DEFAULT_POLICY_MODULE, PACKAGE_ROOT } from "../../host/package.ts";

const NODE = join(PACKAGE_ROOT, "node_modules/.bin/node");
const MAIN = join(PACKAGE_ROOT, "host/cli/main.ts");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `isoplace …` (stdin, when given, is written and closed), once per distinct command:
 * each process costs most of a second of CPU. */
const runs = new Map<string, Promise<Run>>();
function isoplace(args: string[], stdin?: string, env: Record<string, string> = {}): Promise<Run> {
  const key = JSON.stringify([args, stdin, env]);
  if (!runs.has(key)) runs.set(key, spawnIsoplace(args, stdin, env));
  return runs.get(key)!;
}

function spawnIsoplace(args: string[], stdin?: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [MAIN, ...args], { cwd: PACKAGE_ROOT, env: { ...process.env, ISOPLACE_RUNTIMES: "", ...env } });
    let stdout = "",
      stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

const json = (r: Run) => JSON.parse(r.stdout);
const withoutId = ({ decisionId: _id, ...rest }: { decisionId?: string }) => rest;
const EXAMPLE = ["--scenario", "edge", "--performance", "fast-cold-start", "--security", "zero-trust", "--cost", "lowest-infrastructure-cost"];
const EXAMPLE_ZH = ["--scenario", "边缘计算", "--performance", "极致启动速度", "--security", "零信任架构", "--cost", "最低基础设施成本"];

let engine: Engine;
beforeAll(async () => {
  if (!existsSync(DEFAULT_POLICY_MODULE)) {
    await promisify(execFile)(NODE, [join(PACKAGE_ROOT, "scripts/build.mjs"), "--if-missing"], { cwd: PACKAGE_ROOT });
  }
  engine = await loadPolicy(); // the same module file the CLI loads
}, 120_000);

describe.concurrent("isoplace decide: the ranking table", () => {
  it("says which row is the answer, the fallback and by score, and why a fallback sits above a higher-scoring level", async ({ expect }) => {
    const r = await isoplace(["decide", "--scenario", "microservices"]);
    expect(r.code).toBe(0);
    const rows = r.stdout
      .split("\n")
      .filter((l) => /^\d {2}L\d/.test(l))
      .map((l) => l.split(/\s{2,}/).slice(1, 3));
    expect(rows).toEqual([
      ["L3", "answer"],
      ["L4", "fallback"],
      ["L2", "by score"],
      ["L1", "by score"],
    ]);
    const scores = engine.decide({ workload: { scenario: "microservices" } }).ranking.map((x) => x.score!);
    expect(scores[0]).toBeLessThan(scores[1]); // the answer's score is below the fallback's, and said so:
    expect(r.stdout).toContain(
      "(L3 is the answer as the scenario's first choice, L4 its fallback: they come first whatever their score; the rest are ordered by score)",
    );
    // no note where the order is the scores' own
    const edge = await isoplace(["decide", "--scenario", "edge"]);
    expect(edge.stdout).not.toContain("whatever their score");
    expect(edge.stdout).toMatch(/^4 +L1 +– +kata +no /m);
  });
});

describe.concurrent("isoplace decide --artifact", () => {
  it("a container on containerd + WasmEdge: L3, the reason naming what runs what; as the library", async ({ expect }) => {
    const r = await isoplace(["decide", "--scenario", "serverless", "--artifact", "container", "--runtimes", "containerd,wasmedge", "--json"]);
    expect(r.code).toBe(0);
    const library = engine.decide({ workload: { scenario: "serverless", artifact: "container" }, node: { runtimes: ["containerd", "wasmedge"] } });
    expect(withoutId(json(r))).toEqual(withoutId(JSON.parse(JSON.stringify(library))));
    expect(json(r)).toMatchObject({ level: "L3", runtime: "containerd", artifact: "container" });
    const text = await isoplace(["decide", "--scenario", "serverless", "--artifact", "container", "--runtimes", "containerd,wasmedge"]);
    expect(text.stdout).toMatch(/^artifact +container$/m);
    expect(text.stdout).toMatch(/no runtime for container images at L4 on this node \(WasmEdge runs Wasm modules; gVisor or Firecracker would run it\)/);
  });

  it("nothing runs a Wasm module on a container-only node: exit 3", async ({ expect }) => {
    const r = await isoplace(["decide", "--artifact", "wasm", "--runtimes", "containerd,gvisor", "--json"]);
    expect(r.code).toBe(3);
    expect(json(r)).toMatchObject({ level: null, artifact: "wasm" });
  });

  it("rank --artifact", async ({ expect }) => {
    const r = await isoplace(["rank", "--weight", "coldStart=1", "--artifact", "container", "--runtimes", "containerd,wasmedge", "--json"]);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ best: "L3", artifact: "container" });
  });

  it("levels shows each runtime's own figures beside its level's", async ({ expect }) => {
    const r = await isoplace(["levels"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^L4 +gvisor +container +81–280 ms +\(< 1 %\)|^L4 +gvisor +container +81–280 ms/m);
    expect(r.stdout).toMatch(/Firecracker SPECIFICATION\.md/);
  });
});

describe.concurrent("isoplace decide", () => {
  it("the source's example answers L4 with K3s + WasmEdge, and --json is the engine's answer", async ({ expect }) => {
    const r = await isoplace(["decide", ...EXAMPLE, "--json"]);
    expect(r.code).toBe(0);
    const answer = json(r);
    expect(answer.level).toBe("L4");
    expect(answer.stack).toContain("K3s + WasmEdge");
    expect(answer.decisionId).toMatch(/^[0-9a-f-]{36}$/);
    const library = engine.decide({
      workload: { scenario: "edge", performance: ["fast-cold-start"], security: ["zero-trust"], cost: ["lowest-infrastructure-cost"] },
    });
    expect(withoutId(answer)).toEqual(withoutId(JSON.parse(JSON.stringify(library))));
  });

  it("the same with the Chinese ids, answered with English ids", async ({ expect }) => {
    const [zh, en] = await Promise.all([isoplace(["decide", ...EXAMPLE_ZH, "--json"]), isoplace(["decide", ...EXAMPLE, "--json"])]);
    expect(zh.code).toBe(0);
    expect(json(zh)).toMatchObject({ level: "L4", runtime: "wasmedge", stack: "K3s + WasmEdge 0.14.1" });
    expect(withoutId(json(zh))).toEqual(withoutId(json(en)));
  });

  it("prints a readable table by default", async ({ expect }) => {
    const r = await isoplace(["decide", ...EXAMPLE]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("L4 sandbox — runtime wasmedge (RuntimeClass wasmedge)");
    expect(r.stdout).toMatch(/^stack +K3s \+ WasmEdge 0\.14\.1$/m);
    expect(r.stdout).toMatch(/^fallback +L3 container — K3s \+ containerd 2\.0$/m);
    expect(r.stdout).toMatch(/^# +level +place +runtime +feasible +score +reasons$/m);
    expect(r.stdout).toMatch(/^1 +L4 +answer +wasmedge +yes +1\.000 /m);
    expect(r.stdout).toMatch(/^4 +L1 +– +kata +no +– +not suitable for edge computing/m);
    expect(r.stdout.trimStart().startsWith("{")).toBe(false);
  });

  it("--input - reads the request from stdin; flags override its fields", async ({ expect }) => {
    const request = { workload: { scenario: "microservices", constraints: { minIsolation: 4 } }, node: { runtimes: ["kvm", "containerd", "wasmtime"] } };
    const r = await isoplace(["decide", "--input", "-", "--scenario", "serverless", "--json"], JSON.stringify(request));
    expect(r.code).toBe(0);
    const merged = { ...request, workload: { ...request.workload, scenario: "serverless" } };
    expect(withoutId(json(r))).toEqual(withoutId(JSON.parse(JSON.stringify(engine.decide(merged)))));
    expect(json(r)).toMatchObject({ level: "L4", runtime: "wasmtime", rule: "scenario", node: { source: "request" } });
  });

  it("no feasible level: exit 3, still a full answer; constraint and runtime flags reach the engine", async ({ expect }) => {
    const r = await isoplace(["decide", "--scenario", "serverless", "--runtimes", "kvm,containerd", "--max-cold-start-ms", "4000", "--json"]);
    expect(r.code).toBe(3);
    expect(json(r)).toMatchObject({ level: null, explanation: expect.stringMatching(/^0\/4 levels are available/) });
    const library = engine.decide({ workload: { scenario: "serverless", constraints: { maxColdStartMs: 4000 } }, node: { runtimes: ["kvm", "containerd"] } });
    expect(withoutId(json(r))).toEqual(withoutId(JSON.parse(JSON.stringify(library))));
  });
});

describe.concurrent("usage errors exit 2 with a message naming the problem", () => {
  it("an unknown flag", async ({ expect }) => {
    const r = await isoplace(["decide", "--scenery", "edge"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--scenery'/);
  });

  it("an unknown id names the allowed ids", async ({ expect }) => {
    const r = await isoplace(["decide", "--scenario", "datacenter"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /workload\.scenario: unknown scenario "datacenter"; allowed: edge \(边缘计算\), microservices \(微服务\), serverless \(Serverless\), ai-inference \(AI推理\)/,
    );
  });

  it("an unknown artifact names the allowed ones", async ({ expect }) => {
    const r = await isoplace(["decide", "--artifact", "docker"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /workload\.artifact: unknown artifact "docker"; allowed: container \(oci, image, 容器镜像\), wasm \(webassembly, component, WebAssembly模块\), vm \(vm-image, disk-image, 虚拟机镜像\)/,
    );
  });

  it("a flag that wants a number", async ({ expect }) => {
    const r = await isoplace(["decide", "--max-cold-start-ms", "fast"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--max-cold-start-ms expects a number, got "fast"/);
  });

  it("bad --input", async ({ expect }) => {
    const r = await isoplace(["decide", "--input", "-"], "{ not json");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--input: - is not a JSON object/);
  });

  it("compare with an unknown level, rank with a bad weight", async ({ expect }) => {
    const c = await isoplace(["compare", "L3", "L9"]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/b: unknown level "L9"; allowed: L0/);
    const w = await isoplace(["rank", "--weight", "speed=1"]);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/unknown metric "speed"; allowed: isolation/);
  });
});

describe.concurrent("isoplace compare | rank | levels", () => {
  it("compare L3 L4: a table, and --json equal to the engine's", async ({ expect }) => {
    const [table, asJson] = await Promise.all([isoplace(["compare", "L3", "L4"]), isoplace(["compare", "L3", "L4", "--json"])]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^isolation +higher +★★★ \(3\) +★★★★★ \(5\) +L4$/m);
    expect(table.stdout).toMatch(/^coldStart +lower +1–5 s +< 10 ms +L4$/m);
    expect(table.stdout).toMatch(/^wins: L3 2, L4 7, tie 3$/m);
    expect(json(asJson)).toEqual(JSON.parse(JSON.stringify(engine.compare("L3", "L4"))));
  });

  it("rank --weight …: the source's weighted example answers L4, as the engine does", async ({ expect }) => {
    const weights = ["--weight", "coldStart=0.4", "--weight", "memory=0.3", "--weight", "isolation=0.3"];
    const r = await isoplace(["rank", ...weights, "--json"]);
    expect(r.code).toBe(0);
    expect(json(r)).toEqual(JSON.parse(JSON.stringify(engine.rank({ weights: { coldStart: 0.4, memory: 0.3, isolation: 0.3 } }))));
    expect(json(r).best).toBe("L4");
  });

  it("levels: both matrices as a table", async ({ expect }) => {
    const table = await isoplace(["levels"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^L0 +hardware-assisted \(硬件辅助\)/m);
    expect(table.stdout).toMatch(/^memory +N\/A +128 MB \+ +64–128 MB +10–50 MB +1–5 MB$/m);
    expect(table.stdout).toMatch(/^coreTechnology +VT-x\/AMD-V\/SEV +KVM\/QEMU +virtio\/Xen PV +namespace\/cgroup +syscall filtering \/ bytecode VM$/m);
  });

  it("ISOPLACE_RUNTIMES sets the node profile", async ({ expect }) => {
    const r = await isoplace(["decide", "--scenario", "edge", "--json"], undefined, { ISOPLACE_RUNTIMES: "containerd" });
    expect(json(r)).toMatchObject({ level: "L3", node: { source: "configured", runtimes: ["containerd"] } });
  });
});
