// policy diff: a policy against itself changes nothing; moving serverless's first choice from L4
// to L3 changes serverless requests only, in the groups and numbers an independent brute force
// over the same space finds (through engine.decide); every example reproduces under decide; a
// figure that crosses a constraint threshold is found. And the CLI over sources and modules.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { diffPolicies, type Outcome } from "../../host/engine/diff.ts";
import { createEngine, type Decision, type Engine } from "../../host/engine/engine.ts";
import { CONTRACT_RUNTIMES } from "../../host/engine/diff-space.ts";
import { ARTIFACT_IDS } from "../../host/engine/vocabulary.ts";
import { BATCH_SCENARIO, build, defaultSource, GVISOR_COLD_START_300, isoplace, SERVERLESS_L3, tempDir, variant } from "./support.ts";

type Req = { workload: Record<string, unknown>; node?: { runtimes: string[] } };

const placed = (d: Decision | Outcome) => (d === null ? null : { level: d.level, runtime: d.runtime, runtimeClassName: d.runtimeClassName, stack: d.stack });
const label = (d: Decision) => (d.level === null ? "none" : `${d.level}/${d.runtime}`);

/** A request's identity, however its needs and runtimes are spelled. */
function canonical(r: Req): string {
  const w = r.workload;
  const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return JSON.stringify([
    w.scenario ?? null,
    w.artifact ?? null,
    list(w.performance),
    list(w.security),
    list(w.cost),
    w.constraints ?? {},
    r.node ? [...r.node.runtimes].sort() : null,
  ]);
}

/**
 * The diff's request space, restated from its definition (not from its code): for one scenario,
 * need sets × artifacts × node profiles, and the simple need sets × each constraint at the figure
 * boundaries of both policies.
 */
function bruteForceSpace(a: Engine, b: Engine, scenario: string): Req[] {
  const needs = a.catalogue.needs;
  const sets: Record<string, string[]>[] = [{}, ...needs.map((n) => ({ [n.group]: [n.id] }))];
  const simple = sets.length;
  for (let i = 0; i < needs.length; i++)
    for (let j = i + 1; j < needs.length; j++) {
      if (needs[i].group !== needs[j].group) sets.push({ [needs[i].group]: [needs[i].id], [needs[j].group]: [needs[j].id] });
    }
  // the need sets of the policies' own vectors with two needs or more (the source's example)
  for (const v of a.vectors()) {
    const w = v.request.workload as Record<string, string[]>;
    const set = Object.fromEntries(["performance", "security", "cost"].filter((g) => w[g]).map((g) => [g, w[g]]));
    if (Object.values(set).flat().length >= 2 && !sets.some((s) => JSON.stringify(s) === JSON.stringify(set))) sets.push(set);
  }
  const profiles: (string[] | null)[] = [null];
  for (let m = 0; m < 1 << CONTRACT_RUNTIMES.length; m++) profiles.push(CONTRACT_RUNTIMES.filter((_, i) => (m >> i) & 1));
  const artifacts: (string | null)[] = [null, ...ARTIFACT_IDS];
  const thresholds: [string, number][] = [];
  for (const [key, metric, end] of [
    ["maxColdStartMs", "coldStart", "max"],
    ["maxMemoryMb", "memory", "max"],
    ["maxCpuOverheadPct", "cpu", "max"],
    ["minIsolation", "isolation", "min"],
  ] as const) {
    // the figure ends of L1–L4 and of every runtime's own figures, in both policies
    const figures = [a, b].flatMap((e) =>
      e
        .levels()
        .levels.slice(1)
        .flatMap((l) => [l.figures[metric], ...l.runtimes.map((r) => r.figures[metric])]),
    );
    const ends = [...new Set(figures.map((f) => f?.[end]).filter((v): v is number => typeof v === "number"))].sort((x, y) => x - y);
    const lo = key === "minIsolation" ? 1 : 0,
      hi = key === "minIsolation" ? 5 : Infinity;
    const values = new Set<number>();
    ends.forEach((e, i) => {
      const prev = i === 0 ? lo : ends[i - 1];
      if (prev < e) values.add((prev + e) / 2);
      values.add(e);
    });
    if (ends.at(-1)! + 1 <= hi) values.add(ends.at(-1)! + 1);
    for (const v of values) thresholds.push([key, v]);
  }
  const out: Req[] = [];
  const add = (set: Record<string, string[]>, artifact: string | null, profile: string[] | null, constraint: [string, number] | null) => {
    const workload: Record<string, unknown> = { scenario, ...set };
    if (artifact) workload.artifact = artifact;
    if (constraint) workload.constraints = { [constraint[0]]: constraint[1] };
    out.push(profile ? { workload, node: { runtimes: profile } } : { workload });
  };
  for (const set of sets) for (const art of artifacts) for (const p of profiles) add(set, art, p, null);
  for (const t of thresholds) for (const set of sets.slice(0, simple)) for (const art of artifacts) for (const p of profiles) add(set, art, p, t);
  return out;
}

describe("diffPolicies", () => {
  let base: Engine, serverless: Engine, coldStart: Engine, batch: Engine;
  beforeAll(async () => {
    // each variant built once for this file
    [base, serverless, coldStart, batch] = await Promise.all([
      defaultSource()
        .then(build)
        .then((w) => createEngine(w)),
      variant("2025.11.15-serverless-l3", ...SERVERLESS_L3)
        .then(build)
        .then((w) => createEngine(w)),
      variant("2025.11.15-gvisor-300ms", GVISOR_COLD_START_300)
        .then(build)
        .then((w) => createEngine(w)),
      variant("2025.11.15-batch", BATCH_SCENARIO)
        .then(build)
        .then((w) => createEngine(w)),
    ]);
  }, 120_000);

  it("a policy against itself: no change, over the whole space", () => {
    const d = diffPolicies(base, base);
    expect(d.changed).toBe(0);
    expect(d.transitions).toEqual([]);
    expect(d.catalogue).toEqual([]);
    expect(d.space.requests).toBeGreaterThan(300_000);
    expect(d.space.profiles).toBe(1 + 2 ** 7);
    expect(d.space.artifacts).toBe(1 + ARTIFACT_IDS.length);
    expect(d.decisionsPerSecond).toBeGreaterThan(0);
  }, 180_000);

  it("serverless's first choice L4 → L3: only serverless requests change, in the groups and numbers a brute force finds", () => {
    const changed: string[] = [];
    const d = diffPolicies(base, serverless, { maxExamples: 3, onChange: (req) => changed.push(canonical(req)) });
    expect(d.changed).toBeGreaterThan(0);
    expect(changed).toHaveLength(d.changed);
    expect(changed.every((c) => JSON.parse(c)[0] === "serverless")).toBe(true);
    expect(d.catalogue).toEqual([
      { what: "scenarios.serverless.first", a: "L4", b: "L3" },
      { what: "scenarios.serverless.second", a: "L3", b: "L4" },
    ]);

    // independent: every serverless request of the space, each decided by engine.decide under both
    const brute = new Map<string, number>();
    const bruteChanged = new Set<string>();
    const requests = bruteForceSpace(base, serverless, "serverless");
    for (const req of requests) {
      const x = base.decide(req),
        y = serverless.decide(req);
      if (JSON.stringify(placed(x)) === JSON.stringify(placed(y))) continue;
      bruteChanged.add(canonical(req));
      const key = `${label(x)} → ${label(y)}`;
      brute.set(key, (brute.get(key) ?? 0) + 1);
    }
    expect(new Set(changed)).toEqual(bruteChanged);
    expect(Object.fromEntries(d.transitions.map((t) => [t.label, t.count]))).toEqual(Object.fromEntries(brute));
    expect(d.counts.level).toBe(d.changed);
    expect(d.counts.becameInfeasible).toBe(0);
    const byLabel = Object.fromEntries(d.transitions.map((t) => [t.label, t]));
    expect(byLabel["L4/wasmedge → L3/containerd"].examples.map((e) => e.request)[0]).toEqual({ workload: { scenario: "serverless" } });
    expect(byLabel["L4/gvisor → L3/containerd"].examples.map((e) => e.request)[0]).toEqual({ workload: { scenario: "serverless", artifact: "container" } });
    expect(byLabel["L4/gvisor → L3/containerd"].examples).toHaveLength(3);

    // the whole space's serverless share is what the brute force walked
    expect(requests.length * d.space.scenarios).toBe(d.space.requests);
  }, 180_000);

  it("every example reproduces its change through engine.decide under each policy", () => {
    for (const [old, next] of [
      [base, serverless],
      [coldStart, base],
    ]) {
      const d = diffPolicies(old, next, { maxExamples: 2 });
      expect(d.transitions.length).toBeGreaterThan(0);
      for (const t of d.transitions) {
        for (const e of t.examples) {
          expect(placed(old.decide(e.request)), t.label).toEqual(placed(e.a));
          expect(placed(next.decide(e.request)), t.label).toEqual(placed(e.b));
          expect(placed(e.a)).not.toEqual(placed(e.b));
        }
        const [first] = t.examples;
        expect(
          `${first.a!.level ? `${first.a!.level}/${first.a!.runtime}` : "none"} → ${first.b!.level ? `${first.b!.level}/${first.b!.runtime}` : "none"}`,
        ).toBe(t.label);
      }
    }
  }, 180_000);

  it("finds a changed figure that crosses a constraint threshold", () => {
    const changed: Req[] = [];
    const d = diffPolicies(base, coldStart, { onChange: (r) => changed.push(r) });
    expect(d.catalogue).toEqual([{ what: "runtimeFigures.gvisor.coldStart", a: "81–280 ms [81–280]", b: "61–300 ms [61–300]" }]);
    expect(d.changed).toBeGreaterThan(0);
    expect(changed.length).toBe(d.changed);
    // exactly the requests whose cold-start budget lies between the old and the new worst case,
    // at the old end (280) and between it and the new one (290); the scores did not move
    expect(new Set(changed.map((r) => (r.workload.constraints as { maxColdStartMs?: number } | undefined)?.maxColdStartMs))).toEqual(new Set([280, 290]));
    // every change takes gVisor away: its worst case no longer meets the budget
    expect(d.transitions.every((t) => t.from.endsWith("/gvisor"))).toBe(true);
    expect(d.counts.becameInfeasible).toBeGreaterThan(0);
    const toFirecracker = d.transitions.find((t) => t.label === "L4/gvisor → L4/firecracker")!;
    expect(toFirecracker.examples[0].request).toEqual({ workload: { artifact: "container", constraints: { maxColdStartMs: 280 } } });
    const lost = d.transitions.find((t) => t.label === "L4/gvisor → none")!;
    expect(lost.examples[0].request).toEqual({ workload: { constraints: { maxColdStartMs: 280 } }, node: { runtimes: ["gvisor"] } });
  }, 180_000);

  it("a scenario only the new policy has: its requests are invalid under the old one, decided under the new", () => {
    const d = diffPolicies(base, batch);
    expect(d.space.scenarios).toBe(1 + 5);
    expect(d.changed).toBe(d.space.requests / d.space.scenarios);
    expect(d.counts.invalid).toBe(d.changed);
    expect(d.transitions.every((t) => t.from === "invalid")).toBe(true);
    for (const t of d.transitions) {
      const [e] = t.examples;
      expect(e.request.workload.scenario).toBe("batch");
      expect(() => base.decide(e.request)).toThrow(/unknown scenario "batch"/);
      expect(placed(batch.decide(e.request))).toEqual(placed(e.b));
    }
    expect(d.transitions.find((t) => t.label === "invalid → L3/containerd")!.examples[0].request).toEqual({ workload: { scenario: "batch" } });
    expect(d.transitions.find((t) => t.label === "invalid → none")!.examples[0].request).toEqual({ workload: { scenario: "batch" }, node: { runtimes: [] } });
    expect(d.catalogue).toContainEqual({ what: "scenarios.batch.first", a: null, b: "L3" });
  }, 180_000);
});

describe("isoplace policy diff", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir("isoplace-policy-diff-");
    await writeFile(join(dir, "old.wasm"), await build(await defaultSource()));
    const next = await variant("2025.11.15-serverless-l3", ...SERVERLESS_L3);
    await writeFile(join(dir, "new.yaml"), next);
    await writeFile(join(dir, "new.wasm"), await build(next));
  }, 120_000);

  it("a module against itself: no change, exit 0 (also with --fail-on-change)", async () => {
    const r = await isoplace("policy", "diff", join(dir, "old.wasm"), join(dir, "old.wasm"), "--fail-on-change");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^space: [\d,]+ requests — /m);
    expect(r.stdout).toMatch(/\ndecided under both in [\d.]+ s \([\d.]+ s of CPU\): [\d,]+ decisions\/s\n\nno change\n$/);
  }, 180_000);

  it("a module against a source: the transitions with examples and the catalogue side by side; --fail-on-change exits 1", async () => {
    const r = await isoplace("policy", "diff", join(dir, "old.wasm"), join(dir, "new.yaml"), "--max-examples", "2");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /\n {2}L4\/wasmedge → L3\/containerd: [\d,]+\n {4}e\.g\. \{"workload":\{"scenario":"serverless"\}\}\n {6}old: L4\/wasmedge \(RuntimeClass wasmedge\) · Knative \+ WasmEdge 0\.14\.1\n {6}new: L3\/containerd · Knative \+ containerd 2\.0\n {4}e\.g\. /,
    );
    expect(r.stdout).toMatch(/scenarios\.serverless\.first +L4 +L3/);

    const json = await isoplace("policy", "diff", join(dir, "old.wasm"), join(dir, "new.wasm"), "--json", "--fail-on-change");
    expect(json.code).toBe(1);
    const d = JSON.parse(json.stdout);
    expect(d.changed).toBe(d.transitions.reduce((n: number, t: { count: number }) => n + t.count, 0));
    expect(d.b.version).toBe("2025.11.15-serverless-l3");

    const bad = await isoplace("policy", "diff", join(dir, "old.wasm"), join(dir, "new.wasm"), "--max-examples", "many");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-examples expects a whole number/);
  }, 240_000);
});
