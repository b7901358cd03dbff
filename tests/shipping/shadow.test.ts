// Shadow evaluation (host/delivery/shadow.ts): live decisions are decided again with the
// candidate after the turn (never inside observe()), counted by transition with an example; over
// its budget of wall time it samples, and every live decision is either decided or counted unsampled.
import { beforeAll, describe, expect, it } from "vitest";
import { liveMix } from "../../bench/fleet/live-mix.ts";
import { serverlessMovedSource } from "../../bench/fleet/variants.ts";
import { createEngine, type Engine } from "../../host/engine/engine.ts";
import { Shadow } from "../../host/delivery/shadow.ts";
import { build, defaultSource } from "./support/fixtures.ts";

let active: Engine, moved: Engine, requests: unknown[];
const turn = () => new Promise((r) => setImmediate(r));

beforeAll(async () => {
  [active, moved] = await Promise.all([
    defaultSource()
      .then(build)
      .then((b) => createEngine(b)),
    serverlessMovedSource("2025.11.15-moved")
      .then(build)
      .then((b) => createEngine(b)),
  ]);
  requests = liveMix(active, 2000);
}, 120_000);

function feed(shadow: Shadow, from: number, n: number): void {
  for (let i = from; i < from + n; i++) {
    const r = requests[i % requests.length],
      d = active.decide(r);
    shadow.observe(r, d.level, d.runtime);
  }
}

describe("shadow evaluation", () => {
  it("decides after the turn, and counts each change by transition with its first request", async () => {
    const seen: string[] = [];
    const shadow = new Shadow(moved, {
      budgetShare: 1,
      onDecision: (from, to) => {
        if (from !== to) seen.push(`${from}>${to}`);
      },
    });
    feed(shadow, 0, 200);
    expect(shadow.decisions).toBe(0); // nothing decided inside observe(): off the answer path
    await turn();
    const counts = shadow.counts();
    expect(counts.decisions).toBe(200);
    const serverless = requests.slice(0, 200).filter((r) => (r as { workload: { scenario: string } }).workload.scenario === "serverless").length;
    expect(counts.changed).toBe(serverless);
    expect(counts.transitions).toEqual([
      { from: "L4/wasmedge", to: "L3/containerd", count: serverless, example: expect.stringContaining('"scenario":"serverless"') },
    ]);
    expect(seen.length).toBe(serverless);
    // the same policy in the shadow changes nothing
    const same = new Shadow(active, { budgetShare: 1 });
    feed(same, 0, 200);
    await turn();
    expect(same.counts()).toMatchObject({ decisions: 200, changed: 0, transitions: [] });
  });

  it("over its budget it samples: every live decision is decided or counted unsampled", async () => {
    // 0.01 % of wall time: once the initial allowance (50 ms of deciding) is spent, next to nothing is
    // decided; fed until that happens, however fast this machine decides
    const shadow = new Shadow(moved, { budgetShare: 0.0001 });
    let observed = 0;
    for (let round = 0; round < 1000 && shadow.unsampled === 0; round++) {
      feed(shadow, round * 512, 512);
      observed += 512;
      await turn();
    }
    const { decisions, unsampled } = shadow.counts();
    expect(decisions + unsampled).toBe(observed);
    expect(unsampled).toBeGreaterThan(0);
    expect(decisions).toBeGreaterThan(0);
    expect(decisions).toBeLessThan(observed);
  });

  it("carries counts over (a restart) and stops deciding once stopped", async () => {
    const shadow = new Shadow(moved, {
      budgetShare: 1,
      counts: { decisions: 10, changed: 3, unsampled: 1, transitions: [{ from: "L4/wasmedge", to: "L3/containerd", count: 3, example: "{}" }] },
    });
    feed(shadow, 0, 50);
    await turn();
    const counts = shadow.counts();
    expect(counts.decisions).toBe(60);
    expect(counts.transitions[0]).toMatchObject({ from: "L4/wasmedge", to: "L3/containerd", example: "{}" });
    shadow.stop();
    feed(shadow, 0, 50);
    await turn();
    expect(shadow.counts().decisions).toBe(60);
  });
});

it("however small its share, the shadow closes for at most a minute (no timer past Node's limit)", async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on("warning", onWarning);
  try {
    const shadow = new Shadow(moved, { budgetShare: 1e-12 });
    for (let round = 0; round < 1000 && shadow.unsampled === 0; round++) {
      feed(shadow, round * 512, 512);
      await turn();
    }
    expect(shadow.unsampled).toBeGreaterThan(0);
    // a timer set past Node's limit warns (on the next turn) and fires after 1 ms
    await turn();
    expect(warnings).not.toContain("TimeoutOverflowWarning");
    // closed: what comes now is not decided
    const before = shadow.decisions;
    feed(shadow, 0, 512);
    await turn();
    expect(shadow.decisions).toBe(before);
  } finally {
    process.off("warning", onWarning);
  }
});
