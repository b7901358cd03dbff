// The WASI command (dist/isoplace.wasi.wasm) answers as the engine does: for a table of
// requests, given as flags and as JSON on stdin, and for random ones; bad input is refused
// naming the same fields; exit codes as the CLI's. Under three WASI preview1 implementations —
// node:wasi, Wasmtime (PyPI's wasmtime) and Wasmer's WASI for JavaScript — which must also agree
// with one another, byte for byte, on 1,000 random requests.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Decision, Engine } from "../../host/engine/engine.ts";
import type { InvalidRequestError } from "../../host/engine/errors.ts";
import { loadPolicy } from "../../host/index.ts";
import { needsPeers } from "../support/peers.ts";
import { flagsOf, nodeWasiCrashes, RUNTIMES, runWasi, stopWasiHost, wasiModule, type WasiRuntime } from "./run.ts";

type Request = { workload?: Record<string, unknown>; node?: { runtimes: string[] } };

let engine: Engine;
beforeAll(async () => {
  engine = await loadPolicy();
  wasiModule();
});
afterAll(async () => {
  if (nodeWasiCrashes.hosts)
    console.log(`node:wasi's host died of SIGSEGV ${nodeWasiCrashes.hosts} time(s); ${nodeWasiCrashes.callsSentAgain} call(s) sent again to a fresh one`);
  await stopWasiHost();
});

/** The parts of an answer both must agree on; the engine's reasons (sentences) are counted against the command's codes. */
function essentials(d: Decision | Record<string, any>, reasons: "reasons" | "rejectedBy") {
  return {
    level: d.level,
    levelName: d.levelName,
    runtime: d.runtime,
    runtimeClassName: d.runtimeClassName,
    artifact: d.artifact,
    stack: d.stack,
    fallback: d.fallback,
    rule: d.rule,
    node: d.node,
    policy: d.policy,
    ranking: (d.ranking as Record<string, any>[]).map((r) => ({
      level: r.level,
      feasible: r.feasible,
      score: r.score,
      rejections: r.feasible ? 0 : r[reasons].length,
      runtime: r.runtime,
      runtimeClassName: r.runtimeClassName,
    })),
  };
}

function expectSameAnswer(run: { code: number; stdout: string; stderr: string }, request: Request, on: Engine = engine) {
  const d = on.decide(request);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(d.level === null ? 3 : 0);
  const answer = JSON.parse(run.stdout);
  expect(essentials(answer, "rejectedBy")).toEqual(essentials(d, "reasons"));
  for (const r of answer.ranking) if (!r.feasible) expect(r.rejectedBy.length).toBeGreaterThan(0);
}

const TABLE: Request[] = [
  {},
  { workload: { scenario: "edge" } },
  { workload: { scenario: "microservices" } },
  { workload: { scenario: "serverless" } },
  { workload: { scenario: "ai-inference" } },
  { workload: { scenario: "边缘计算" } },
  { workload: { scenario: "edge", performance: "fast-cold-start", security: "zero-trust", cost: "lowest-infrastructure-cost" } },
  { workload: { scenario: "edge" }, node: { runtimes: ["containerd"] } },
  { workload: { scenario: "edge" }, node: { runtimes: ["kvm", "firecracker"] } },
  { workload: { scenario: "edge" }, node: { runtimes: ["firecracker"] } },
  { workload: { scenario: "microservices" }, node: { runtimes: ["kvm"] } },
  { workload: { scenario: "serverless" }, node: { runtimes: ["containerd", "kata"] } },
  { workload: { performance: ["high-network", "fast-cold-start"] } },
  { workload: { performance: "high-utilization" }, node: { runtimes: ["wasmedge"] } },
  { workload: { security: "strongest-isolation" } },
  { workload: { security: ["multi-tenant"], constraints: { maxMemoryMb: 1000 } } },
  { workload: { security: "compliance" }, node: { runtimes: ["containerd", "gvisor"] } },
  { workload: { cost: ["best-tco", "lowest-migration-cost"] } },
  { workload: { constraints: { maxColdStartMs: 50 } } },
  { workload: { constraints: { maxColdStartMs: 5000, maxCpuOverheadPct: 3, minIsolation: 4 } } },
  { workload: { constraints: { maxMemoryMb: 0.5 } } },
  { workload: { weights: { coldStart: 0.4, memory: 0.3, isolation: 0.3 } } },
  { workload: { scenario: "microservices", weights: { network: 2, 网络性能: 1 } }, node: { runtimes: ["kvm", "wasmtime"] } },
  { workload: { scenario: "ai-inference", constraints: { minIsolation: 5 } }, node: { runtimes: ["kata", "containerd"] } },
  { node: { runtimes: [] } },
  { node: { runtimes: ["wasmtime", "wasmtime", "gvisor"] } },
  { workload: { scenario: "serverless", artifact: "container" }, node: { runtimes: ["containerd", "wasmedge"] } },
  { workload: { scenario: "serverless", artifact: "container" }, node: { runtimes: ["containerd", "wasmedge", "gvisor", "firecracker", "kvm"] } },
  { workload: { artifact: "wasm", constraints: { maxColdStartMs: 50 } } },
  { workload: { artifact: "container", constraints: { maxColdStartMs: 200 } } },
  { workload: { artifact: "oci", performance: "fast-cold-start" }, node: { runtimes: ["gvisor", "firecracker", "kvm"] } },
  { workload: { security: "multi-tenant", artifact: "虚拟机镜像" }, node: { runtimes: ["kata", "kvm"] } },
  { workload: { artifact: "wasm" }, node: { runtimes: ["containerd", "gvisor"] } },
  { workload: { constraints: { maxCpuOverheadPct: 0.1, maxMemoryMb: 1e300 } } },
];

/** A suite title naming the runtime (and, for Wasmtime, the peer it needs). */
const titled = (rt: WasiRuntime, title: string) =>
  rt.name === "wasmtime" ? needsPeers(`${title}, under ${rt.title}`, "python-wasmtime") : `${title}, under ${rt.title}`;

for (const rt of RUNTIMES)
  describe.skipIf(!rt.available)(titled(rt, "the WASI command answers as the engine"), () => {
    const wasi = (args: string[], stdin = "", env: Record<string, string> = {}) => runWasi(args, stdin, env, rt.name);

    it("imports WASI preview1 only and exports _start", () => {
      const imports = WebAssembly.Module.imports(wasiModule()).map((i) => i.module);
      expect(new Set(imports)).toEqual(new Set(["wasi_snapshot_preview1"]));
      expect(
        WebAssembly.Module.exports(wasiModule())
          .map((e) => e.name)
          .sort(),
      ).toEqual(["_start", "memory"]);
    });

    it.each(TABLE.map((r) => [JSON.stringify(r), r] as const))("flags: %s", async (_, request) => {
      expectSameAnswer(await wasi(["decide", ...flagsOf(request)]), request);
    });

    it.each(TABLE.map((r) => [JSON.stringify(r), r] as const))("stdin: %s", async (_, request) => {
      expectSameAnswer(await wasi(["decide", "--input", "-"], JSON.stringify(request)), request);
    });

    it("flags override the stdin request's fields, as the CLI's do", async () => {
      const stdin = { workload: { scenario: "edge", constraints: { maxMemoryMb: 10 } }, node: { runtimes: ["kvm"] } };
      const run = await wasi(
        ["decide", "--input", "-", "--scenario", "microservices", "--max-cold-start-ms=6000", "--runtimes", "containerd,kvm"],
        JSON.stringify(stdin),
      );
      expectSameAnswer(run, { workload: { scenario: "microservices", constraints: { maxColdStartMs: 6000 } }, node: { runtimes: ["containerd", "kvm"] } });
    });

    it("takes the node profile from ISOPLACE_RUNTIMES, as the CLI does", async () => {
      const configured = await loadPolicy(undefined, { node: { source: "configured", runtimes: ["containerd", "bogus"] } });
      const run = await wasi(["decide", "--scenario", "edge"], "", { ISOPLACE_RUNTIMES: "containerd,bogus" });
      expectSameAnswer(run, { workload: { scenario: "edge" } }, configured);
      expect(JSON.parse(run.stdout).node).toEqual({ source: "configured", runtimes: ["containerd"] });
    });
  });

/** The fields an invalid-input message names, one per "  path: message" line. */
function namedPaths(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("  "))
    .map((l) => l.slice(2, l.indexOf(": ")))
    .map((p) => (p === "(request)" ? "" : p));
}

const BAD: unknown[] = [
  { workload: { scenario: "mainframe" } },
  { workload: { performance: ["fast-cold-start", "warp-speed"] } },
  { workload: { performance: "zero-trust" } },
  { workload: { cost: "free", security: 7 } },
  { node: { runtimes: ["docker"] } },
  { node: { runtimes: "containerd" } },
  { node: {} },
  { workload: { constraints: { maxColdStartMs: -5, maxMemoryMb: "64", minIsolation: 9, maxPrice: 3 } } },
  { workload: { weights: { speed: 1 } } },
  { workload: { weights: [1] } },
  { workload: { artifact: "jar" } },
  { workload: { artifact: 3, scenario: "edge" } },
  { workload: 5 },
  { workload: {}, extra: true },
  { workload: { scenario: null, constraints: [] }, node: { runtimes: ["kvm"], cpu: 4 } },
];

for (const rt of RUNTIMES)
  describe.skipIf(!rt.available)(titled(rt, "the WASI command refuses bad input as the engine does"), () => {
    const wasi = (args: string[], stdin = "", env: Record<string, string> = {}) => runWasi(args, stdin, env, rt.name);

    it.each(BAD.map((r) => [JSON.stringify(r), r] as const))("%s", async (_, request) => {
      let expected: string[] = [];
      try {
        engine.decide(request);
      } catch (err) {
        expected = (err as InvalidRequestError).errors.map((e) => e.path);
      }
      expect(expected.length).toBeGreaterThan(0);
      const run = await wasi(["decide", "--input", "-"], JSON.stringify(request));
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/^isoplace: /);
      expect(namedPaths(run.stderr).sort()).toEqual([...new Set(expected)].sort());
    });

    it("names the artifacts allowed for an unknown one, as the engine does", async () => {
      const run = await wasi(["decide", "--artifact", "jar"]);
      expect(run.code).toBe(2);
      let message = "";
      try {
        engine.decide({ workload: { artifact: "jar" } });
      } catch (err) {
        message = (err as InvalidRequestError).errors[0].message;
      }
      expect(message).toMatch(/^unknown artifact "jar"; allowed: container \(oci/);
      expect(run.stderr).toContain(`workload.artifact: ${message}`);
    });

    it("names the ids allowed for an unknown one", async () => {
      const run = await wasi(["decide", "--scenario", "mainframe"]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('workload.scenario: unknown scenario "mainframe"; allowed: edge (边缘计算), microservices (微服务)');
    });

    it.each([
      [["decide", "--bogus"], /unknown option '--bogus'/],
      [["decide", "--scenario"], /option '--scenario' argument missing/],
      [["decide", "--max-memory-mb", "lots"], /--max-memory-mb expects a number, got "lots"/],
      [["decide", "--weight", "coldStart"], /--weight expects metric=number/],
      [["decide", "--input", "request.json"], /stdin only/],
      [["decide", "extra"], /too many arguments/],
      [["rank"], /unknown command 'rank'/],
      [[], /a command is required/],
    ])("usage error: %j", async (args, message) => {
      const run = await wasi(args as string[]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(message);
    });

    it.each([['{"workload": {'], ["[]"], ['"edge"'], [""]])("stdin that is not a JSON object: %j", async (stdin) => {
      const run = await wasi(["decide", "--input", "-"], stdin);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^isoplace: --input: - is not a JSON object/);
    });

    it("prints its usage on --help, exit 0", async () => {
      const run = await wasi(["decide", "--help"]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: isoplace\.wasi\.wasm decide/);
    });
  });

/** Random decide requests over the catalogue's ids (Chinese names too), constraints and weights. */
function randomRequest(c: Engine["catalogue"]) {
  const ids = (group: string) => c.needs.filter((n) => n.group === group).flatMap((n) => [n.id, n.zh]);
  return fc.record(
    {
      workload: fc.record(
        {
          scenario: fc.constantFrom(...c.scenarios.flatMap((s) => [s.id, s.zh])),
          artifact: fc.constantFrom("container", "wasm", "vm", "oci", "webassembly"),
          performance: fc.subarray(ids("performance")),
          security: fc.subarray(ids("security")),
          cost: fc.subarray(ids("cost")),
          constraints: fc.record(
            {
              maxColdStartMs: fc.constantFrom(5, 10, 50, 999, 5000, 10_000, 30_000),
              maxMemoryMb: fc.constantFrom(1, 5, 50, 64, 128, 4096),
              maxCpuOverheadPct: fc.constantFrom(0.5, 1, 3, 5, 10),
              minIsolation: fc.integer({ min: 1, max: 5 }),
            },
            { requiredKeys: [] },
          ),
          weights: fc.dictionary(
            fc.constantFrom(...c.metrics.map((m) => m.id)),
            fc.integer({ min: 0, max: 8 }).map((n) => n / 4),
            { maxKeys: 4 },
          ),
        },
        { requiredKeys: [] },
      ),
      node: fc.record({ runtimes: fc.subarray(c.runtimes.map((r) => r.id)) }),
    },
    { requiredKeys: [] },
  );
}

const RANDOM_REQUESTS = 1000;
/** A tenth of the random requests give their node profile through ISOPLACE_RUNTIMES instead (when it names runtimes). */
const fromEnv = (i: number, node: Request["node"]) => i % 10 === 0 && Boolean(node?.runtimes.length);
const available = RUNTIMES.filter((r) => r.available);

describe.skipIf(available.length < RUNTIMES.length)(
  needsPeers(`${RUNTIMES.map((r) => r.title).join(", ")} agree with the engine and with one another`, "python-wasmtime"),
  () => {
    it(`on ${RANDOM_REQUESTS} random requests on stdin (exit codes 0 and 3), and with the node profile from ISOPLACE_RUNTIMES`, async () => {
      const seed = Number(process.env.ISOPLACE_WASI_SEED ?? Date.now() % 2 ** 31);
      const requests = fc.sample(randomRequest(engine.catalogue), { numRuns: RANDOM_REQUESTS, seed });
      // every runtime's host works through its queue in its own process, all at once
      const answers = await Promise.all(
        available.map((rt) =>
          Promise.all(
            requests.map(async (r, i) => {
              // a tenth of them take the node profile from the environment instead of the request
              const { node, ...rest } = r as Request;
              try {
                return await (fromEnv(i, node)
                  ? runWasi(["decide", "--input", "-"], JSON.stringify(rest), { ISOPLACE_RUNTIMES: node!.runtimes.join(",") }, rt.name)
                  : runWasi(["decide", "--input", "-"], JSON.stringify(r), {}, rt.name));
              } catch (err) {
                throw new Error(`seed ${seed} (ISOPLACE_WASI_SEED=${seed} repeats it), request ${i} under ${rt.name}: ${(err as Error).message}`);
              }
            }),
          ),
        ),
      );
      const codes = new Set<number>();
      const profiled = new Map<string, Engine>();
      for (const [i, r] of requests.entries()) {
        const [first, ...others] = answers.map((a) => a[i]);
        for (const [k, other] of others.entries())
          expect(other, `seed ${seed}, request ${i} under ${available[k + 1].name}: ${JSON.stringify(r)}`).toEqual(first);
        codes.add(first.code);
        const { node, ...rest } = r as Request;
        if (fromEnv(i, node)) {
          const key = node!.runtimes.join(",");
          if (!profiled.has(key)) profiled.set(key, await loadPolicy(undefined, { node: { source: "configured", runtimes: node!.runtimes } }));
          expectSameAnswer(first, rest, profiled.get(key));
        } else expectSameAnswer(first, r as Request);
      }
      expect([...codes].sort()).toEqual([0, 3]);
    }, 180_000); // 3,000 command runs: a fixed amount of work, not a wait
  },
);
