// Issue 22, findings 3 and 7, over the webhook's real HTTPS port. On main at 5930eb5 each unknown
// isoplace.io/ annotation added ~280 bytes to the denial, answered and logged in full: one 3 MiB
// review with 130,259 of them gave a 38.6 MB answer and a 38.6 MB log line and blocked the event
// loop 3.6 s; and annotation names were looked up with `in`, so isoplace.io/__proto__ was
// accepted silently (the pod mutated) and isoplace.io/toString denied with a confusing path. Now
// at most 32 isoplace.io/ keys are read from a pod, a denial lists at most 10 errors with the
// count of the rest, and its message and audit line are bounded.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_REVIEW_BYTES } from "../../host/k8s/route.ts";
import { floodedReview } from "../hardening/support/bounds.ts";
import { admit, call, reviewOf, startTestWebhook, type TestWebhook } from "./support/webhook.ts";

const KiB = 1024;
let w: TestWebhook;
const lines: string[] = [];

beforeAll(async () => {
  w = await startTestWebhook({ logger: pino({ level: "info" }, { write: (line: string) => void lines.push(line) }) });
});
afterAll(async () => {
  await w?.close();
});

describe("a 3 MiB review of unknown annotations", () => {
  it("is denied in an answer of at most 64 KiB, and its audit line is bounded", async () => {
    const { review, count } = floodedReview(MAX_REVIEW_BYTES - 1024);
    const body = JSON.stringify(review);
    expect(body.length).toBeLessThanOrEqual(MAX_REVIEW_BYTES);
    lines.length = 0;
    const t0 = performance.now();
    const res = await call(w.webhook.port, w.ca, "POST", "/v1/admission/pods", body);
    const ms = performance.now() - t0;
    const bytes = Buffer.byteLength(res.text);
    console.log(
      `bounds: a ${(body.length / 1024 / 1024).toFixed(2)} MiB review with ${count} unknown annotations denied in ${ms.toFixed(0)} ms, answer ${bytes} bytes`,
    );
    expect(res.status).toBe(200);
    const response = res.json.response;
    expect(response.allowed).toBe(false);
    expect(response.status.message).toMatch(/more than 32 isoplace\.io\/ annotations/);
    expect(response.status.message).toMatch(/and \d+ more$/);
    expect(bytes).toBeLessThanOrEqual(64 * KiB);
    const audit = lines.find((l) => l.includes('"msg":"admission"'));
    expect(audit).toBeDefined();
    expect(Buffer.byteLength(audit!)).toBeLessThanOrEqual(8 * KiB);
    for (const l of lines) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(8 * KiB);
  });

  it("a pod name of a megabyte is cut in the answer and the audit line", async () => {
    lines.length = 0;
    const res = await admit(w, reviewOf({ name: "n".repeat(1024 * 1024), annotations: { "isoplace.io/bogus": "1" } }));
    expect(res.json.response.allowed).toBe(false);
    expect(Buffer.byteLength(res.text)).toBeLessThanOrEqual(8 * KiB);
    for (const l of lines) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(8 * KiB);
  });
});

describe("annotation names are looked up among the webhook's own, never inherited", () => {
  it.each(["__proto__", "toString", "constructor", "hasOwnProperty"])("isoplace.io/%s is an unknown annotation: denied, naming it", async (name) => {
    const res = await admit(w, reviewOf({ annotations: { "isoplace.io/scenario": "edge", [`isoplace.io/${name}`]: "edge" } }));
    expect(res.status).toBe(200);
    expect(res.json.response).toMatchObject({
      allowed: false,
      status: { code: 400, message: expect.stringContaining(`unknown annotation isoplace.io/${name};`) },
    });
    expect(res.json.response.patch).toBeUndefined();
  });

  it("33 isoplace.io/ annotations: more than are read, denied", async () => {
    const annotations = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`isoplace.io/scenario${i}`, "edge"]));
    const res = await admit(w, reviewOf({ annotations }));
    expect(res.json.response.status.message).toMatch(/more than 32 isoplace\.io\/ annotations/);
  });
});
