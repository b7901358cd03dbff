// The fleet section: 1000 agents' pollers against a local bundle server (fleet/simulate.ts), the
// protocol alone (signature agents) and with every agent's full activation pipeline.
import { describeFleet, fleetRows } from "../fleet/report.ts";
import { runFleet } from "../fleet/run-fleet.ts";
import type { Section } from "../section.ts";

export const fleetSection: Section = {
  name: "fleet",
  title: "Fleet: policy rollout to N agents, in one process",
  async run(ctx) {
    const agents = ctx.quick ? 20 : 1000;
    const results = await runFleet({
      agents,
      kinds: ["signature", "full"],
      intervalMs: ctx.quick ? 1000 : 5000,
      jitter: 0.2,
      log: ctx.log,
      v1: ctx.moduleBytes,
    });
    for (const r of results) ctx.log(describeFleet(r));
    return {
      figures: { fleet: Object.fromEntries(results.map((r) => [r.kind, r])) },
      rows: results.flatMap(fleetRows),
    };
  },
};
