// The default policy's catalogue against REFERENCE.md, figure by figure and row by row, from the
// literal tables in ./support/reference.ts (transcribed by hand, not read from the policy).
import { beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../host/engine/engine.ts";
import { ALL_RUNTIMES, PLACEABLE, defaultEngine } from "./support/policy.ts";
import {
  CORE,
  DENSITY_WORDS,
  LEVELS,
  METRICS,
  METRIC_ZH,
  NEEDS,
  PROVIDERS,
  RANGE_TEXT,
  SCENARIOS,
  TECHNICAL,
  UNITS,
  VERSIONS,
  type Level,
} from "./support/reference.ts";

let engine: Engine;
beforeAll(async () => {
  engine = await defaultEngine();
});

const LEVEL_IDS: Level[] = ["L0", "L1", "L2", "L3", "L4"];

describe("the five levels and both matrices", () => {
  it("L0–L4 with their names (en, zh) and example technologies", () => {
    const { levels } = engine.levels();
    expect(levels.map((l) => l.id)).toEqual(LEVEL_IDS);
    for (const l of levels) {
      expect(l, l.id).toMatchObject({ name: LEVELS[l.id].name, zh: LEVELS[l.id].zh, examples: LEVELS[l.id].examples });
      expect(l.placeable).toBe(l.id !== "L0");
    }
  });

  it("the core matrix: every figure, with ranges, units, open bounds, N/A as null", () => {
    const { levels, metrics } = engine.levels();
    expect(metrics.map((m) => m.id)).toEqual(METRICS);
    for (const metric of METRICS) {
      LEVEL_IDS.forEach((id, i) => {
        const got = levels[i].figures[metric];
        const want = CORE[metric][i];
        if (want === null) return expect(got, `${id} ${metric}`).toBeNull();
        expect(got, `${id} ${metric}`).toMatchObject({ min: want[0], max: want[1], unit: UNITS[metric] });
        expect(got!.text).toMatch(/\S/);
      });
    }
  });

  it("range figures keep the source's wording; density its words", () => {
    const { levels } = engine.levels();
    for (const [metric, texts] of Object.entries(RANGE_TEXT)) {
      LEVEL_IDS.forEach((id, i) => expect(levels[i].figures[metric as keyof typeof UNITS]?.text ?? null, `${id} ${metric}`).toBe(texts![i]));
    }
    LEVEL_IDS.forEach((id, i) => {
      const text = levels[i].figures.density?.text ?? null;
      if (DENSITY_WORDS[i] === null) expect(text).toBeNull();
      else expect(text!.startsWith(DENSITY_WORDS[i]!), `${id}: ${text}`).toBe(true);
    });
    expect(levels[1].figures.memory).toEqual({ min: 128, max: null, unit: "MB", text: "128 MB +" });
    expect(levels[4].figures.coldStart).toEqual({ min: 0, max: 10, unit: "ms", text: "< 10 ms" });
  });

  it("the technical implementation matrix, every cell", () => {
    const { levels, technical } = engine.levels();
    expect(technical.map((t) => t.zh)).toEqual(TECHNICAL.map(([zh]) => zh));
    for (const [zh, cells] of TECHNICAL) {
      const dim = technical.find((t) => t.zh === zh)!;
      LEVEL_IDS.forEach((id, i) => expect((levels[i].technical as Record<string, string>)[dim.id], `${id} ${zh}`).toBe(cells[i]));
    }
  });

  it("metric names in Chinese are the source's", () => {
    const { metrics } = engine.levels();
    for (const m of metrics) expect(m.zh, m.id).toBe(METRIC_ZH[m.id as keyof typeof METRIC_ZH]);
  });
});

describe("selection by need", () => {
  it("all 15 needs, in their groups, with the source's level(s) and reason", () => {
    const { needs } = engine.scenarios();
    expect(needs.map((n) => n.id)).toEqual(NEEDS.map((n) => n.id));
    for (const want of NEEDS) {
      const got = needs.find((n) => n.id === want.id)!;
      expect(got, want.id).toMatchObject({ group: want.group, zh: want.zh, levels: want.levels, reason: want.reason });
    }
  });
});

describe("scenarios", () => {
  it("the four scenarios with suitability per level and the source's stacks", () => {
    const { scenarios } = engine.scenarios();
    expect(scenarios.map((s) => [s.id, s.zh])).toEqual(SCENARIOS.map((s) => [s.id, s.zh]));
    for (const ref of SCENARIOS) {
      const s = scenarios.find((x) => x.id === ref.id)!;
      expect(s.first!.level, ref.id).toBe(ref.recommended);
      if (!ref.levels) continue;
      for (const level of PLACEABLE) {
        const row = s.levels[level];
        expect(row.symbol, `${ref.id} ${level}`).toBe(ref.levels[level].fit);
        expect(row.fit).toBe(["❌", "⚠️", "✅", "✅✅", "✅✅✅"].indexOf(ref.levels[level].fit));
        if (ref.levels[level].stack) expect(row.stack.startsWith(ref.levels[level].stack!), `${ref.id} ${level}: ${row.stack}`).toBe(true);
      }
    }
  });

  it("the 2025 first and second choices, with versions", () => {
    const { scenarios, versions } = engine.scenarios();
    expect(versions).toMatchObject(VERSIONS);
    for (const ref of SCENARIOS.filter((s) => s.first)) {
      const s = scenarios.find((x) => x.id === ref.id)!;
      expect(s.first, ref.id).toEqual(ref.first);
      expect(s.second, ref.id).toEqual(ref.second);
    }
    const text = JSON.stringify(scenarios);
    expect(text).toContain("WasmEdge 0.14.1");
    expect(text).toContain("containerd 2.0");
  });

  it("the source's reported outcomes", () => {
    const text = JSON.stringify(engine.scenarios().outcomes);
    for (const fact of ["K3s + WasmEdge 0.14.1", "K8s + containerd 2.0", "99.99 %", "< 5 ms", "85 %", "< 3 MB", "1000+"]) expect(text).toContain(fact);
  });
});

describe("runtimes", () => {
  // RuntimeClass names: the conventional handler names of each project's docs (not in REFERENCE).
  const RUNTIME_CLASS: Record<string, string | null> = {
    kvm: null,
    kata: "kata",
    containerd: null,
    wasmedge: "wasmedge",
    wasmtime: "wasmtime",
    gvisor: "gvisor",
    firecracker: "kata-fc",
  };

  it("the seven runtimes of docs/API.md, the levels they provide, their RuntimeClass names", () => {
    const { runtimes } = engine.scenarios();
    expect(runtimes.map((r) => r.id)).toEqual([...ALL_RUNTIMES]);
    for (const r of runtimes) {
      const provides = PLACEABLE.filter((l) => PROVIDERS[l].some((g) => g[0] === r.id));
      expect(r.levels, r.id).toEqual(provides);
      expect(r.runtimeClassName, r.id).toBe(RUNTIME_CLASS[r.id]);
    }
    expect(runtimes.find((r) => r.id === "firecracker")!.requires).toEqual(["kvm"]);
    expect(runtimes.filter((r) => r.id !== "firecracker").every((r) => r.requires.length === 0)).toBe(true);
  });
});

describe("Chinese aliases: accepted everywhere, answers in English", () => {
  const strip = <T extends { decisionId?: string }>(d: T) => ({ ...d, decisionId: undefined });

  it("every scenario alias decides as its id does", () => {
    for (const s of SCENARIOS) {
      const zh = engine.decide({ workload: { scenario: s.zh } });
      expect(strip(zh), s.zh).toEqual(strip(engine.decide({ workload: { scenario: s.id } })));
      expect(zh.level).toMatch(/^L[1-4]$/);
    }
  });

  it("every need alias decides as its id does, alone and in lists", () => {
    for (const n of NEEDS) {
      const zh = engine.decide({ workload: { [n.group]: n.zh } });
      expect(strip(zh), n.zh).toEqual(strip(engine.decide({ workload: { [n.group]: n.id } })));
    }
    for (const group of ["performance", "security", "cost"] as const) {
      const list = NEEDS.filter((n) => n.group === group);
      expect(strip(engine.decide({ workload: { [group]: list.map((n) => n.zh) } }))).toEqual(
        strip(engine.decide({ workload: { [group]: list.map((n) => n.id) } })),
      );
    }
  });

  it("every metric alias weighs as its id does", () => {
    for (const [id, zh] of Object.entries(METRIC_ZH)) {
      expect(engine.rank({ weights: { [zh]: 1 } }), zh).toEqual(engine.rank({ weights: { [id]: 1 } }));
      expect(strip(engine.decide({ workload: { performance: "high-network", weights: { [zh]: 2 } }, node: { runtimes: ["containerd", "wasmedge"] } }))).toEqual(
        strip(engine.decide({ workload: { performance: "high-network", weights: { [id]: 2 } }, node: { runtimes: ["containerd", "wasmedge"] } })),
      );
    }
  });

  it("every level alias compares as its id does", () => {
    for (const a of LEVEL_IDS) {
      const c = engine.compare(LEVELS[a].zh, "L4");
      expect(c, LEVELS[a].zh).toEqual(engine.compare(a, "L4"));
      expect(c.a).toBe(a);
    }
  });

  it("the source's example in Chinese answers as in English, with English ids", () => {
    const zh = engine.decide({ workload: { scenario: "边缘计算", performance: "极致启动速度", security: "零信任架构", cost: "最低基础设施成本" } });
    const en = engine.decide({ workload: { scenario: "edge", performance: "fast-cold-start", security: "zero-trust", cost: "lowest-infrastructure-cost" } });
    expect(strip(zh)).toEqual(strip(en));
    expect(zh).toMatchObject({ level: "L4", runtime: "wasmedge", stack: "K3s + WasmEdge 0.14.1" });
  });
});
