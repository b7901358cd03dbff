// Golden AdmissionReviews: one fixture per row of the contract's table and per mode, each the
// full review sent and the full answer expected (the patch shown decoded, the policy as $POLICY).
// ISOPLACE_UPDATE_GOLDEN=1 rewrites the answers from what the webhook answers now: review the diff.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Mode } from "../../host/k8s/admit.ts";
import { admit, decodePatch, patched, reviewOf, startTestWebhook, type ReviewOf, type TestWebhook } from "./support/webhook.ts";

const DIR = join(import.meta.dirname, "fixtures");
const UPDATE = process.env.ISOPLACE_UPDATE_GOLDEN === "1";

interface Fixture {
  description: string;
  mode: Mode;
  denyInfeasible?: boolean;
  review: Record<string, any>;
  answer?: Record<string, any>;
}

const serverless = { "isoplace.io/scenario": "serverless", "isoplace.io/security": "zero-trust" };
const impossible = { "isoplace.io/scenario": "edge", "isoplace.io/max-cold-start-ms": "0" };
/** The fixtures' reviews; their answers live in the files. */
const CASES: Record<string, { description: string; mode: Mode; denyInfeasible?: boolean; r: ReviewOf }> = {
  "01-no-annotation": { description: "no isoplace.io/ annotation: allowed, unchanged", mode: "fill", r: { name: "plain", annotations: { team: "a" } } },
  "02-update": {
    description: "an operation other than CREATE: allowed, unchanged",
    mode: "override",
    r: { name: "p", operation: "UPDATE", annotations: serverless },
  },
  "03-unknown-id": {
    description: "an unknown id: denied, naming the annotation and the allowed ids",
    mode: "fill",
    r: { name: "p", annotations: { "isoplace.io/scenario": "batch" } },
  },
  "04-bad-number": {
    description: "a bad number: denied, naming the annotation",
    mode: "fill",
    r: { name: "p", annotations: { "isoplace.io/max-memory-mb": "64Mi" } },
  },
  "05-class-unset-fill": { description: "a decision with a class, the pod has none (fill): sets it", mode: "fill", r: { name: "fn", annotations: serverless } },
  "06-class-unset-override": {
    description: "a decision with a class, the pod has none (override): sets it",
    mode: "override",
    r: { name: "fn", annotations: serverless },
  },
  "07-class-unset-advise": {
    description: "a decision with a class, the pod has none (advise): annotations only",
    mode: "advise",
    r: { name: "fn", annotations: serverless },
  },
  "08-class-other-fill": {
    description: "the pod names another class (fill): unchanged, with a warning",
    mode: "fill",
    r: { name: "fn", annotations: serverless, runtimeClassName: "kata" },
  },
  "09-class-other-override": {
    description: "the pod names another class (override): replaced",
    mode: "override",
    r: { name: "fn", annotations: serverless, runtimeClassName: "kata" },
  },
  "10-class-other-advise": {
    description: "the pod names another class (advise): never changed",
    mode: "advise",
    r: { name: "fn", annotations: serverless, runtimeClassName: "kata" },
  },
  "11-level-without-class": {
    description: "L3 on the default handler: runtimeClassName untouched",
    mode: "override",
    r: { name: "svc", annotations: { "isoplace.io/scenario": "microservices", "isoplace.io/cost": "best-tco" } },
  },
  "12-infeasible-allowed": { description: "no feasible level: allowed with a warning", mode: "fill", r: { name: "p", annotations: impossible } },
  "13-infeasible-denied": {
    description: "no feasible level, --deny-infeasible: denied",
    mode: "fill",
    denyInfeasible: true,
    r: { name: "p", annotations: impossible },
  },
  "14-dry-run": { description: "dryRun: answered the same", mode: "fill", r: { name: "fn", annotations: serverless, dryRun: true } },
};

const servers = new Map<string, TestWebhook>();
let policy: string;
const key = (f: { mode: Mode; denyInfeasible?: boolean }) => `${f.mode}${f.denyInfeasible ? "+deny" : ""}`;

beforeAll(async () => {
  for (const f of Object.values(CASES))
    if (!servers.has(key(f))) servers.set(key(f), await startTestWebhook({ mode: f.mode, denyInfeasible: f.denyInfeasible }));
  const p = [...servers.values()][0].webhook.agent.policy.engine.policy;
  policy = `${p.name}@${p.version}`;
});
afterAll(async () => {
  await Promise.all([...servers.values()].map((w) => w.close()));
});

/** The answer as stored: the patch decoded, the policy's name@version as $POLICY. */
function readable(answer: Record<string, any>): Record<string, any> {
  const { patch, ...response } = answer.response;
  const shown = { ...answer, response: { ...response, ...(patch ? { patch: decodePatch(answer.response) } : {}) } };
  return JSON.parse(JSON.stringify(shown).replaceAll(policy, "$POLICY"));
}

describe("golden AdmissionReviews", () => {
  it("every fixture file is a case here, and every case has its file", () => {
    if (UPDATE) mkdirSync(DIR, { recursive: true });
    const files = existsSync(DIR)
      ? readdirSync(DIR)
          .filter((f) => f.endsWith(".json"))
          .map((f) => f.slice(0, -5))
      : [];
    if (!UPDATE) expect(files.sort()).toEqual(Object.keys(CASES).sort());
  });

  it.each(Object.keys(CASES))("%s", async (name) => {
    const c = CASES[name];
    const file = join(DIR, `${name}.json`);
    const review = reviewOf(c.r);
    const res = await admit(servers.get(key(c))!, review);
    expect(res.status).toBe(200);
    patched(review.request.object, res.json.response); // applies and validates
    const got = readable(res.json);
    if (UPDATE) {
      const fixture: Fixture = { description: c.description, mode: c.mode, ...(c.denyInfeasible ? { denyInfeasible: true } : {}), review, answer: got };
      writeFileSync(file, `${JSON.stringify(fixture, null, 2)}\n`);
      return;
    }
    const fixture: Fixture = JSON.parse(readFileSync(file, "utf8"));
    expect(fixture.review).toEqual(review);
    expect(got).toEqual(fixture.answer);
  });
});
