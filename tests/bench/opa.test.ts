// The placement rules in Rego (bench/peers/opa, docs/OPA.md) decide as isoplace does: on the
// contract's decide requests and a seeded sample of the `policy diff` request space, through
// OPA's Wasm build in-process and, for a smaller sample, through `opa run --server`. Without
// this, the bench's comparison with OPA would time two different things.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { loadPolicy } from "../../host/index.ts";
import type { Engine } from "../../host/engine/engine.ts";
import { freePort } from "../../bench/fleet/registry-server.ts";
import { buildMix } from "../../bench/mix.ts";
import { checkEquivalence, describeMismatch, differences, sampleSpace } from "../../bench/peers/opa/equivalence.ts";
import { DATA_PATH, defaultOpaDataText, opaDataText } from "../../bench/peers/opa/generate.ts";
import {
  DATA_API,
  buildWasm,
  dataApiBody,
  decideWasm,
  loadWasm,
  serverArgs,
  serverDecisions,
  serverGomaxprocs,
  type WasmBuild,
} from "../../bench/peers/opa/opa.ts";
import { firstDecision } from "../../bench/sections/http.ts";
import { BaselinePlacer, scoreUnits } from "../../bench/baseline.ts";
import { PLACEABLE_LEVELS, levelIndex } from "../../host/engine/vocabulary.ts";
import { parsePolicySource } from "../../host/policy/source.ts";
import { spawnChild, type Child } from "../support/child.ts";
import { havePeers, needsPeers, peerBin } from "../support/peers.ts";
import { cases } from "../contract/cases.ts";

let engine: Engine;
beforeAll(async () => {
  engine = await loadPolicy();
});

/** The contract's POST /v1/decide bodies that isoplace answers (the bad ones are answered 400 before any rule). */
const contractRequests = (): unknown[] =>
  cases
    .filter((c) => c.path === "/v1/decide" && typeof c.body === "object" && !(c.body instanceof Uint8Array))
    .map((c) => c.body)
    .filter((body) => {
      try {
        engine.decide(body);
        return true;
      } catch {
        return false;
      }
    });

const expectSame = (eq: ReturnType<typeof checkEquivalence>) =>
  expect(eq.mismatches.map(describeMismatch), `${eq.mismatches.length} of ${eq.checked} differ`).toEqual([]);

describe("data.json for the Rego rules", () => {
  it("is what generate.ts makes of policies/default.yaml (regenerate: node bench/peers/opa/generate.ts)", () => {
    expect(readFileSync(DATA_PATH, "utf8")).toBe(defaultOpaDataText());
  });

  const source = readFileSync(new URL("../../policies/default.yaml", import.meta.url), "utf8");

  it("carries the scores the rules give a level on each runtime: without needs or weights, and for each need alone", () => {
    const data = JSON.parse(defaultOpaDataText()).policy;
    const policy = parsePolicySource(source, "policies/default.yaml");
    const placer = new BaselinePlacer(policy);
    const none = [NaN, NaN, NaN, NaN];
    let compared = 0;
    for (const level of PLACEABLE_LEVELS) {
      for (const on of data.placements[level] as { runtime: number; equal_units: number; need_score: Record<string, number> }[]) {
        // a node with that runtime alone (and those it requires): the level runs on it
        const requires: string[] = data.runtimes[on.runtime].requires;
        const node = requires.reduce((mask, id) => mask | (1 << data.runtimes.findIndex((r: { id: string }) => r.id === id)), 1 << on.runtime);
        const units = (needs: number) => {
          const d = placer.decide(-1, -1, -1, needs, node, none, null);
          expect(d.runtimes[levelIndex(level)], `${level} on ${data.runtimes[on.runtime].id}`).toBe(on.runtime);
          return Math.round(d.scores[levelIndex(level)] * 1e9);
        };
        expect(on.equal_units).toBe(units(0));
        policy.needs.forEach((need, n) => expect(scoreUnits(on.need_score[need.id]), need.id).toBe(units(1 << n)));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(8);
  });

  it("follows the policy source: a changed figure or choice changes the data", () => {
    const changed = source
      .replace(
        "first: L4\n    second: L3\n    levels:\n      L1: { fit: ❌, note: overhead too large",
        "first: L3\n    second: L4\n    levels:\n      L1: { fit: ❌, note: overhead too large",
      )
      .replace('L2: { fit: ⚠️, note: "good performance, still heavy"', 'L2: { fit: ❌, note: "good performance, still heavy"')
      .replace("coldStart: { min: 1000, max: 5000, text: 1–5 s }", "coldStart: { min: 1000, max: 6000, text: 1–6 s }");
    const before = JSON.parse(defaultOpaDataText()).policy,
      after = JSON.parse(opaDataText(changed)).policy;
    expect(before.scenarios.edge).toEqual({ first: "L4", second: "L3", unsuitable: ["L1"] });
    expect(after.scenarios.edge).toEqual({ first: "L3", second: "L4", unsuitable: ["L1", "L2"] });
    const containerd = (data: typeof before) => data.placements.L3.find((p: { runtime: number }) => data.runtimes[p.runtime].id === "containerd");
    expect([containerd(before).max.coldStart, containerd(after).max.coldStart]).toEqual([5000, 6000]);
    expect(containerd(after).norms.coldStart).toBeLessThan(containerd(before).norms.coldStart); // a later midpoint
    expect(containerd(after).need_score["fast-cold-start"]).toBeLessThan(containerd(before).need_score["fast-cold-start"]);
    expect(containerd(after).equal_units).toBeLessThan(containerd(before).equal_units);
    // every alias isoplace accepts, and an open upper end ("128 MB +") as null
    expect(after.aliases.scenario.边缘计算).toBe("edge");
    expect(after.placements.L1.map((p: { max: { memory: number | null } }) => p.max.memory)).toEqual([null, null]);
  });
});

describe.skipIf(!havePeers("opa"))(needsPeers("OPA decides as isoplace does", "opa"), () => {
  let build: WasmBuild;
  let policy: LoadedPolicy;
  beforeAll(async () => {
    build = buildWasm(peerBin("opa"));
    policy = await loadWasm(build);
  });
  const wasm = (r: unknown) => decideWasm(policy, r);

  it("on every decide request of the HTTP contract", () => {
    const requests = contractRequests();
    expect(requests.length).toBeGreaterThanOrEqual(8);
    expectSame(checkEquivalence(engine, requests, wasm));
  });

  it("on 20,000 requests of the policy diff space, each rule among them", () => {
    const { requests, spaceSize } = sampleSpace(engine, 20_000);
    expect(spaceSize).toBeGreaterThan(1_000_000);
    const eq = checkEquivalence(engine, requests, wasm);
    expectSame(eq);
    expect(eq.checked).toBe(20_000);
    for (const rule of ["scenario", "performance", "security", "default", "second-choice", "score", "none"]) expect(eq.byRule[rule], rule).toBeGreaterThan(0);
  });

  it("on the bench's mix: weights, aliases, lists of needs, constraints", () => {
    expectSame(checkEquivalence(engine, buildMix(engine, 2_000).requests, wasm));
  });

  it("and the check sees a difference: the same Rego over data with edge's choices swapped disagrees", async () => {
    const data = structuredClone(build.data) as { policy: { scenarios: Record<string, { first: string; second: string }> } };
    Object.assign(data.policy.scenarios.edge, { first: "L3", second: "L4" });
    const swapped = await loadWasm({ ...build, data });
    const eq = checkEquivalence(engine, [{ workload: { scenario: "edge" } }, { workload: { scenario: "serverless" } }], (r) => decideWasm(swapped, r));
    expect(eq.mismatches.map((m) => m.request)).toEqual([{ workload: { scenario: "edge" } }]);
    expect(eq.mismatches[0].differences.join()).toMatch(/level: isoplace "L4", OPA "L3"/);
    expect(differences(engine.decide({}), undefined)).toEqual(["OPA gave no decision"]);
  });

  describe("through opa run --server", () => {
    let server: Child;
    let url: string;
    beforeAll(async () => {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      server = spawnChild(peerBin("opa"), serverArgs(port));
      // "Server initialized" is logged before OPA binds its port, and no line follows the bind: wait for its first answer
      await firstDecision(url, performance.now(), server.process, DATA_API, dataApiBody({}));
    });
    afterAll(async () => {
      await server?.stop("SIGTERM");
    });

    it("on the contract's requests and 300 of the space, the same decisions as isoplace", async () => {
      const requests = [...contractRequests(), ...sampleSpace(engine, 300, 2).requests];
      const answers = await serverDecisions(url, requests);
      expectSame(checkEquivalence(engine, requests, (r) => answers.get(r)));
    });

    it("reports its GOMAXPROCS (the threads that run Go code at once) in its metrics", async () => {
      expect(await serverGomaxprocs(url)).toBeGreaterThanOrEqual(1);
    });
  });
});
