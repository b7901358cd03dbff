// Numbers JSON.stringify cannot write: the property tests build bodies with JSON.stringify, which
// turns Infinity and NaN into null, so non-finite values never reached the server that way. Here
// the JSON text is written by hand, with literals that parse to ±Infinity (1e999), the largest
// and smallest doubles (whose sums overflow), -0, 5e-324, 30-digit integers and exponents from
// -400 to 400, in every numeric field of decide, batch and rank. Invariants: never a 5xx; a 400
// names the field; a 200 is coherent — every feasible level has a finite score in [0, 1] — and
// the same for the same text. ISOPLACE_FUZZ_RUNS sets the count (npm run test:fuzz).
import fc from "fast-check";
import { beforeAll, expect, it } from "vitest";
import type { Engine } from "../../host/engine/engine.ts";
import { createApp } from "../../host/http/app.ts";
import { loadPolicy } from "../../host/index.ts";

const RUNS = Number(process.env.ISOPLACE_FUZZ_RUNS ?? 400);
let engine: Engine;
let app: ReturnType<typeof createApp>;
const tally = { inputs: 0, status: {} as Record<number, number> };

beforeAll(async () => {
  engine = await loadPolicy();
  app = createApp({ engine: () => engine });
});

const literal = fc.oneof(
  fc.constantFrom(
    "1e999",
    "-1e999",
    "1e308",
    "1.7976931348623157e308",
    "-1e308",
    "5e-324",
    "-5e-324",
    "1e-400",
    "-0",
    "0",
    "0.0",
    "1e21",
    "123456789012345678901234567890",
    "9007199254740993",
    "1E2",
    "-1.5",
    "4.9999999999999999",
  ),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: -400, max: 400 })).map(([m, e]) => `${m}e${e}`),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => d.toExponential()),
  fc.integer({ min: -10, max: 100 }).map(String),
);

const CONSTRAINTS = ["maxColdStartMs", "maxMemoryMb", "maxCpuOverheadPct", "minIsolation"];
/** `"key":literal` pairs for some of `keys`, as JSON text. */
const fields = (keys: string[]) =>
  fc
    .uniqueArray(fc.constantFrom(...keys), { minLength: 1, maxLength: keys.length })
    .chain((ks) => fc.tuple(...ks.map((k) => literal.map((v) => `"${k}":${v}`))).map((pairs) => `{${pairs.join(",")}}`));

async function send(path: string, text: string) {
  const res = await app.request(path, { method: "POST", body: text, headers: { "content-type": "application/json" } });
  tally.inputs++;
  tally.status[res.status] = (tally.status[res.status] ?? 0) + 1;
  return { status: res.status, text: await res.text() };
}

function checkRanking(ranking: { level: string; feasible: boolean; score: number | null }[]) {
  expect(ranking.map((r) => r.level).sort()).toEqual(["L1", "L2", "L3", "L4"]);
  for (const r of ranking.filter((x) => x.feasible)) {
    expect(Number.isFinite(r.score)).toBe(true);
    expect(r.score).toBeGreaterThanOrEqual(0);
    expect(r.score).toBeLessThanOrEqual(1);
  }
}

function check(r: { status: number; text: string }, kind: "decide" | "rank") {
  expect(r.status).toBeLessThan(500);
  const body = JSON.parse(r.text);
  if (r.status === 400) {
    expect(body.errors.length).toBeGreaterThan(0);
    expect(body.errors.some((e: { path: string }) => e.path !== "")).toBe(true);
    return;
  }
  expect(r.status).toBe(200);
  checkRanking(body.ranking);
  if (kind === "decide" && body.level !== null) expect(body.ranking.find((x: { level: string }) => x.level === body.level).feasible).toBe(true);
}

const withoutId = (t: string) => t.replace(/"decisionId":"[^"]+"/g, "");

it(
  `hand-written numeric literals in every numeric field (${RUNS} runs): never a 5xx, coherent answers`,
  async () => {
    const metrics = engine.catalogue.metrics.map((m) => m.id);
    await fc.assert(
      fc.asyncProperty(
        fields(CONSTRAINTS),
        fields(metrics),
        fc.constantFrom(...engine.catalogue.scenarios.map((s) => s.id)),
        async (constraints, weights, scenario) => {
          const decide = `{"workload":{"scenario":"${scenario}","constraints":${constraints},"weights":${weights}}}`;
          const a = await send("/v1/decide", decide);
          check(a, "decide");
          if (a.status === 200) expect(withoutId((await send("/v1/decide", decide)).text)).toBe(withoutId(a.text));
          const batch = await send("/v1/decide/batch", `{"items":[${decide},{"workload":{"weights":${weights}}}]}`);
          expect(batch.status).toBe(200);
          for (const item of JSON.parse(batch.text).results) check({ status: item.status ?? 200, text: JSON.stringify(item) }, "decide");
          check(await send("/v1/rank", `{"weights":${weights},"constraints":${constraints}}`), "rank");
        },
      ),
      { numRuns: RUNS },
    );
    console.log(`numeric literals: ${tally.inputs} inputs, statuses ${JSON.stringify(tally.status)}`);
  },
  30_000 + RUNS * 20,
);
