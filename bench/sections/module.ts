// The module itself: its size on disk, and what loading it costs: createEngine (compile +
// instantiate + verify + self-test + catalogue), cold — the first call in a fresh process, a
// child process per sample (bench/cold-engine.mjs), as an agent start or a Worker cold start
// pays it — and warm: from bytes, from a precompiled WebAssembly.Module (as a Worker gets it),
// and the module's part alone (compile + instantiate + its self-test, no engine), median of
// many loads in this process.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createEngine } from "../../host/engine/engine.ts";
import type { BenchContext } from "../section.ts";
import type { Section } from "../section.ts";
import { round, summarise } from "../stats.ts";

/** Times each way of loading once per round, in turn, so warm-up and noise fall on all alike. */
async function timeInTurn(rounds: number, ways: (() => Promise<unknown>)[]): Promise<ReturnType<typeof summarise>[]> {
  const out = ways.map(() => new Float64Array(rounds));
  for (let i = 0; i < rounds; i++) {
    for (let w = 0; w < ways.length; w++) {
      const t0 = process.hrtime.bigint();
      await ways[w]();
      out[w][i] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
  }
  return out.map(summarise);
}

/** createEngine's first call in fresh processes, one after another. */
function coldLoads(ctx: BenchContext, samples: number): { importMs: number[]; firstMs: number[]; secondMs: number[] } {
  const out = { importMs: [] as number[], firstMs: [] as number[], secondMs: [] as number[] };
  const engineUrl = pathToFileURL(join(ctx.root, "dist/host/engine/engine.js")).href;
  for (let i = 0; i < samples; i++) {
    const line = execFileSync(process.execPath, [join(ctx.root, "bench/cold-engine.mjs"), ctx.modulePath, engineUrl], {
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, NODE_OPTIONS: undefined },
    });
    const r = JSON.parse(line.trim().split("\n").at(-1)!);
    out.importMs.push(r.importMs);
    out.firstMs.push(r.firstMs);
    out.secondMs.push(r.secondMs);
  }
  return out;
}

export const moduleSection: Section = {
  name: "module",
  title: "Module: size and load",
  async run(ctx) {
    const runs = ctx.quick ? 5 : 300;
    const bytes = ctx.moduleBytes;
    const imports = {
      env: {
        abort: () => {
          throw new Error("policy module aborted");
        },
      },
    };
    const ways = [
      () => createEngine(bytes),
      () => createEngine(ctx.module),
      () => WebAssembly.compile(bytes),
      async () => {
        const { instance } = await WebAssembly.instantiate(bytes, imports);
        if ((instance.exports.selfTest as () => number)() !== 0) throw new Error("module: self-test failed");
      },
    ];
    await timeInTurn(ctx.quick ? 2 : 50, ways); // warm-up
    ctx.log(`module: ${runs} loads each way, in turn`);
    const [fromBytes, fromModule, compile, raw] = await timeInTurn(runs, ways);
    const coldSamples = ctx.quick ? 2 : 15;
    ctx.log(`module: createEngine cold, ${coldSamples} fresh processes`);
    const cold = coldLoads(ctx, coldSamples);
    const coldFirst = summarise(cold.firstMs),
      coldImport = summarise(cold.importMs),
      coldSecond = summarise(cold.secondMs);
    const ms = (s: typeof fromBytes) => ({ medianMs: round(s.p50, 3), p99Ms: round(s.p99, 3) });
    return {
      figures: {
        moduleBytes: bytes.length,
        instantiateMs: round(fromBytes.p50, 3),
        createEngineCold: {
          firstMs: round(coldFirst.p50, 3),
          firstP99Ms: round(coldFirst.p99, 3),
          secondMs: round(coldSecond.p50, 3),
          importMs: round(coldImport.p50, 3),
          samples: coldSamples,
          method:
            "a fresh node process per sample (bench/cold-engine.mjs on dist/): import the engine, then time its first createEngine(bytes) (cold: nothing compiled or warmed yet) and a second one; medians",
        },
        instantiate: {
          fromBytes: ms(fromBytes),
          fromModule: ms(fromModule),
          compileOnly: ms(compile),
          moduleOnly: ms(raw),
          runs,
          method:
            "createEngine(bytes): hash + compile + verify imports/meta/ABI + instantiate + inflate and parse the catalogue + self-test + id tables; fromModule: the same from a precompiled WebAssembly.Module; moduleOnly: WebAssembly.instantiate(bytes) + selfTest(), no engine",
        },
      },
      rows: [
        { id: "moduleBytes", label: "module size", value: bytes.length, unit: "bytes", target: { op: "<=", limit: 8192 } },
        {
          id: "createEngineCold.firstMs",
          label: "createEngine(bytes), cold: first call in a fresh process",
          value: coldFirst.p50,
          unit: "ms",
          note: `${coldSamples} processes; second call ${round(coldSecond.p50, 3)} ms; importing the engine ${round(coldImport.p50, 1)} ms`,
        },
        {
          id: "instantiateMs",
          label: "createEngine(bytes), warm: median of repeated loads",
          value: fromBytes.p50,
          unit: "ms",
          target: { op: "<=", limit: 1 },
          note: `p99 ${round(fromBytes.p99, 3)} ms`,
        },
        {
          id: "instantiate.fromModule.medianMs",
          label: "createEngine(Module) median",
          value: fromModule.p50,
          unit: "ms",
          note: `compile alone ${round(compile.p50, 3)} ms`,
        },
        { id: "instantiate.moduleOnly.medianMs", label: "module alone: compile + instantiate + self-test", value: raw.p50, unit: "ms" },
      ],
    };
  },
};
