// The live traffic of the rollout simulation: what an agent decides all day — a scenario (the four
// of the catalogue in equal shares), half the time with a performance need, a third with a
// security need — seeded, so every run sees the same requests. Unlike the bench's request mix
// (bench/mix.ts: constraints, weights and needs chosen to exercise every rule), most of these
// requests are placed by their scenario's first choice, as a fleet's workloads mostly are.
import type { Engine } from "../../host/engine/engine.ts";
import { random } from "../mix.ts";

export function liveMix(engine: Engine, size: number, seed = 20261126): unknown[] {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const c = engine.catalogue;
  const scenarios = c.scenarios.map((s) => s.id);
  const group = (g: string) => c.needs.filter((n) => n.group === g).map((n) => n.id);
  const performance = group("performance"),
    security = group("security");
  const out: unknown[] = [];
  for (let i = 0; i < size; i++) {
    out.push({
      workload: {
        scenario: pick(scenarios),
        ...(rnd() < 0.5 ? { performance: pick(performance) } : {}),
        ...(rnd() < 1 / 3 ? { security: pick(security) } : {}),
      },
    });
  }
  return out;
}
