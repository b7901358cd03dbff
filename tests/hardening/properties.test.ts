// Property-based tests over the HTTP API: whatever a caller sends, never a 5xx; invalid input is
// a problem naming a field; valid input is a coherent, deterministic answer; nothing leaks into
// the process's prototypes. ISOPLACE_FUZZ_RUNS sets the count (npm run test:fuzz: 100,000+).
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../host/http/app.ts";
import { loadPolicy } from "../../host/index.ts";
import type { Engine } from "../../host/engine/engine.ts";

const RUNS = Number(process.env.ISOPLACE_FUZZ_RUNS ?? 400);
const tally = { inputs: 0, status: new Map<number, number>() };

let engine: Engine;
let app: ReturnType<typeof createApp>;
const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort().join();

beforeAll(async () => {
  engine = await loadPolicy();
  app = createApp({ engine: () => engine });
});
afterAll(() => {
  console.log(`property tests: ${tally.inputs} inputs, statuses ${JSON.stringify(Object.fromEntries(tally.status))}`);
});

async function send(path: string, body: string, contentType = "application/json", method = "POST") {
  const res = await app.request(path, { method, body: method === "GET" ? undefined : body, headers: { "content-type": contentType } });
  const text = await res.text();
  tally.inputs++;
  tally.status.set(res.status, (tally.status.get(res.status) ?? 0) + 1);
  return { status: res.status, type: res.headers.get("content-type") ?? "", text, json: safeJson(text) };
}
const safeJson = (t: string) => {
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
};

// ── arbitraries ────────────────────────────────────────────────────────────
const ids = () => {
  const c = engine.catalogue;
  const group = (g: string) => c.needs.filter((n) => n.group === g).flatMap((n) => [n.id, n.zh]);
  return {
    scenario: c.scenarios.flatMap((s) => [s.id, s.zh]),
    performance: group("performance"),
    security: group("security"),
    cost: group("cost"),
    runtime: c.runtimes.map((r) => r.id),
    metric: c.metrics.flatMap((m) => [m.id, m.zh]),
  };
};
const oneOrMany = (values: string[]) => fc.oneof(fc.constantFrom(...values), fc.uniqueArray(fc.constantFrom(...values), { maxLength: 4 }));
const validRequest = () => {
  const v = ids();
  return fc.record(
    {
      workload: fc.record(
        {
          scenario: fc.constantFrom(...v.scenario),
          performance: oneOrMany(v.performance),
          security: oneOrMany(v.security),
          cost: oneOrMany(v.cost),
          constraints: fc.record(
            {
              maxColdStartMs: fc.double({ min: 0, max: 60_000, noNaN: true }),
              maxMemoryMb: fc.double({ min: 0, max: 512, noNaN: true }),
              maxCpuOverheadPct: fc.double({ min: 0, max: 20, noNaN: true }),
              minIsolation: fc.integer({ min: 1, max: 5 }),
            },
            { requiredKeys: [] },
          ),
          weights: fc.dictionary(fc.constantFrom(...v.metric), fc.double({ min: 0, max: 10, noNaN: true }), { maxKeys: 5 }),
        },
        { requiredKeys: [] },
      ),
      node: fc.record({ runtimes: fc.uniqueArray(fc.constantFrom(...v.runtime), { maxLength: 7 }) }),
    },
    { requiredKeys: [] },
  );
};
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 50 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "\u0000", "\u202e", "L5", "", " edge", "EDGE"),
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ minLength: 5000, maxLength: 20_000 }),
);
const junk = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    nasty,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "prototype", "workload", "node", "scenario")), tie("value"), {
      maxKeys: 4,
    }),
  ),
})).value;

/** A valid request with one field (at any depth) replaced by junk or removed. */
const mutated = () =>
  fc.tuple(validRequest(), fc.nat(), junk, fc.boolean()).map(([req, pick, value, remove]) => {
    const paths: string[][] = [];
    const walk = (o: unknown, path: string[]) => {
      if (o && typeof o === "object")
        for (const [k, v] of Object.entries(o)) {
          paths.push([...path, k]);
          walk(v, [...path, k]);
        }
    };
    walk(req, []);
    if (!paths.length) return req;
    const path = paths[pick % paths.length];
    let target: any = req;
    for (const k of path.slice(0, -1)) target = target[k];
    if (remove) delete target[path.at(-1)!];
    else target[path.at(-1)!] = value;
    return req;
  });

/** JSON text with the things JSON.stringify cannot make: duplicate keys, __proto__ keys, deep nesting, truncation. */
const rawText = () =>
  fc.oneof(
    fc.tuple(validRequest(), fc.nat()).map(([r, n]) => {
      const t = JSON.stringify(r);
      return t.slice(0, n % (t.length + 1));
    }),
    fc.constantFrom(...ids().scenario).map((s) => `{"workload":{"scenario":"edge","scenario":${JSON.stringify(s)}}}`),
    fc.constantFrom("__proto__", "constructor", "prototype").map((k) => `{"${k}":{"polluted":true},"workload":{"${k}":{"polluted":true}}}`),
    fc.constantFrom("__proto__", "constructor").map((k) => `{"workload":{"weights":{"${k}":1}},"node":{"runtimes":["${k}"]}}`),
    fc.integer({ min: 50, max: 5000 }).map((d) => `${"[".repeat(d)}${"]".repeat(d)}`),
    fc.integer({ min: 50, max: 3000 }).map((d) => `{"workload":${'{"a":'.repeat(d)}1${"}".repeat(d)}}`),
    fc.string({ unit: "binary", maxLength: 200 }),
  );

// ── invariants ─────────────────────────────────────────────────────────────
function checkAnswer(r: Awaited<ReturnType<typeof send>>) {
  expect(r.status).toBeLessThan(500);
  if (r.status >= 400) {
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(r.json.status).toBe(r.status);
    if (r.status === 400) {
      expect(r.json.errors.length).toBeGreaterThan(0);
      for (const e of r.json.errors) expect(typeof e.path).toBe("string");
    }
  }
}

function checkDecision(d: any) {
  expect(d.ranking.map((x: any) => x.level).sort()).toEqual(["L1", "L2", "L3", "L4"]);
  if (d.level !== null) expect(d.ranking.find((x: any) => x.level === d.level).feasible).toBe(true);
  else expect(d.ranking.every((x: any) => !x.feasible && x.reasons.length > 0)).toBe(true);
}

const withoutId = (t: string) => t.replace(/"decisionId":"[^"]+"/g, "");

describe(`HTTP properties (${RUNS} runs per property)`, () => {
  it("valid decide requests: coherent, deterministic answers", async () => {
    await fc.assert(
      fc.asyncProperty(validRequest(), async (req) => {
        const body = JSON.stringify(req);
        const a = await send("/v1/decide", body),
          b = await send("/v1/decide", body);
        expect(a.status).toBe(200);
        checkDecision(a.json);
        expect(withoutId(b.text)).toBe(withoutId(a.text));
      }),
      { numRuns: RUNS },
    );
  });

  it("mutated decide, batch and rank requests: never a 5xx; invalid → a problem naming a field", async () => {
    await fc.assert(
      fc.asyncProperty(mutated(), fc.array(mutated(), { maxLength: 5 }), async (req, items) => {
        const d = await send("/v1/decide", JSON.stringify(req));
        checkAnswer(d);
        if (d.status === 200) checkDecision(d.json);
        const b = await send("/v1/decide/batch", JSON.stringify({ items }));
        checkAnswer(b);
        if (b.status === 200) for (const x of b.json.results) if (x.status !== 400) checkDecision(x);
        const r = await send("/v1/rank", JSON.stringify({ weights: req.workload?.weights ?? {}, constraints: req.workload?.constraints, node: req.node }));
        checkAnswer(r);
      }),
      { numRuns: RUNS },
    );
  });

  it("junk of every type into every route: never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(junk, fc.constantFrom("/v1/decide", "/v1/decide/batch", "/v1/rank"), async (value, path) => {
        checkAnswer(await send(path, JSON.stringify(value) ?? "null"));
        checkAnswer(await send(path, JSON.stringify({ items: [value], workload: value, weights: value })));
      }),
      { numRuns: RUNS },
    );
  });

  it("raw text (truncated, duplicate keys, __proto__, deep nesting, binary): never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(rawText(), fc.constantFrom("/v1/decide", "/v1/decide/batch", "/v1/rank"), async (text, path) => {
        checkAnswer(await send(path, text));
      }),
      { numRuns: RUNS },
    );
  });

  it("compare with any query values: never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(nasty, nasty, async (a, b) => {
        const q = new URLSearchParams({ a: String(a), b: String(b) });
        checkAnswer(await send(`/v1/compare?${q}`, "", "", "GET"));
      }),
      { numRuns: RUNS },
    );
  });

  it("left the process's prototypes as they were", () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort().join()).toBe(protoKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, "polluted")).toBe(false);
  });
});
