// Staged rollouts end to end: real agents on 127.0.0.1 polling a real bundle server, live
// requests on POST /v1/decide (and admissions on the webhook), each agent's clock injected and
// moved instead of waited for; after a move the test asks the manager to look at its pending
// candidate (what its timer does). What each agent shows in GET /v1/policy, /metrics and its logs.
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BundleServer } from "../../bench/fleet/bundle-server.ts";
import { liveMix } from "../../bench/fleet/live-mix.ts";
import { serverlessMovedSource } from "../../bench/fleet/variants.ts";
import { createEngine } from "../../host/engine/engine.ts";
import type { Guard, Rollout } from "../../host/delivery/rollout.ts";
import { startAgent, type Agent, type AgentOptions } from "../../host/node/agent.ts";
import { admit, call, reviewOf, startTestWebhook, type TestWebhook } from "../k8s/support/webhook.ts";
import { build, DEFAULT_VERSION, defaultSource, keyFiles, sign, silent, tempDir, variantSource, type KeyFiles } from "./support/fixtures.ts";

const V2 = "2025.11.15-2",
  MOVED = "2025.11.15-moved";
const TOKEN = "test-admin-token-0123456789abcdef";
const MIN = 60_000,
  HOUR = 60 * MIN;

let v1: Uint8Array, v2: Uint8Array, moved: Uint8Array, keys: KeyFiles, requests: unknown[];
const servers: BundleServer[] = [];
const agents: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  const dir = await tempDir();
  [v1, v2, moved, keys] = await Promise.all([
    defaultSource().then(build),
    variantSource(V2, "K3s + WasmEdge 0.15.0 (v2)").then(build),
    serverlessMovedSource(MOVED).then(build),
    keyFiles(join(dir, "keys")),
  ]);
  requests = liveMix(await createEngine(v1), 400);
}, 120_000);

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** An agent's clock: the real one moved by `shift` (the test moves it). */
interface Clock {
  shift: number;
  now: () => Date;
}
function clock(skew = 0): Clock {
  const c: Clock = { shift: skew, now: () => new Date(Date.now() + c.shift) };
  return c;
}

/** Log lines of an agent, parsed. */
function logLines(): { logger: pino.Logger; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk, _e, done) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level: "info" }, stream), lines };
}

async function server(): Promise<BundleServer> {
  const s = await BundleServer.start();
  servers.push(s);
  return s;
}

async function agent(s: BundleServer, o: Partial<AgentOptions> = {}): Promise<Agent> {
  const a = await startAgent({
    port: 0,
    logger: silent,
    builtIn: async () => v1,
    trustedKeys: keys.trusted,
    policy: s.url,
    poll: { intervalMs: 40, jitter: 0, firstDelayMs: 0 },
    adminToken: TOKEN,
    ...o,
  });
  agents.push(a);
  await polled(a);
  return a;
}

/** Waits until the agent has finished a poll that started after now, and its offer is settled. */
async function polled(a: Agent): Promise<void> {
  await a.source!.checks!.more(2);
  await a.manager.idle();
}

async function publish(
  agentsToWait: Agent[],
  s: BundleServer,
  bytes: Uint8Array,
  over: { serial?: number; rollout?: Rollout; guard?: Guard; issuedAt?: string } = {},
): Promise<{ serial: number; issuedAt: string }> {
  const sig = await sign(bytes, keys, over);
  s.publish(bytes, sig);
  await Promise.all(agentsToWait.map(polled));
  const { predicate } = JSON.parse(Buffer.from(JSON.parse(sig).payload, "base64").toString("utf8"));
  return { serial: predicate.serial, issuedAt: predicate.issuedAt };
}

const put = async (a: Agent, bytes: Uint8Array, over: { serial?: number; rollout?: Rollout; guard?: Guard }) =>
  fetch(`${a.url}/v1/policy`, {
    method: "PUT",
    body: bytes as BufferSource,
    headers: {
      "content-type": "application/wasm",
      authorization: `Bearer ${TOKEN}`,
      "isoplace-signature": Buffer.from(await sign(bytes, keys, over)).toString("base64"),
    },
  });
const status = async (a: { url: string }) => (await fetch(`${a.url}/v1/policy`)).json() as Promise<Record<string, any>>;
const decide = (a: Agent, body: unknown) =>
  fetch(`${a.url}/v1/decide`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.json());

/** Live requests until the shadow has decided `n` more of them (it may sample: it decides after the answers, within its budget). */
async function traffic(a: Agent, n: number): Promise<void> {
  const target = ((await status(a)).pending?.shadow.decisions ?? 0) + n;
  for (let i = 0; i < 50 * n; i++) {
    await decide(a, requests[i % requests.length]);
    if (i >= n - 1 && (await status(a)).pending?.shadow.decisions >= target) return;
  }
  throw new Error(`the shadow did not decide ${n} requests`);
}

async function metric(a: { url: string }, line: RegExp): Promise<number | undefined> {
  const text = await (await fetch(`${a.url}/metrics`)).text();
  const m = text.split("\n").find((l) => line.test(l));
  return m ? Number(m.split(" ").at(-1)) : undefined;
}

const GUARD: Guard = { maxChangedShare: 0.05, minShadowDecisions: 40, bake: 600 };

describe("a statement without staging, or with one step of 100 % at 0 s, is adopted as it always was", () => {
  it("adopted at the first poll, whatever the agent's bucket or clock", async () => {
    const s = await server();
    const behind = clock(-6 * HOUR);
    const a = await agent(s, { rolloutBucket: 99.5, now: behind.now });
    await publish([a], s, v2, { rollout: { steps: [{ percent: 100, after: 0 }] } });
    const st = await status(a);
    expect(st.active).toMatchObject({ version: V2, adoption: { guard: "none", percent: 100, bucket: 99.5 } });
    expect(st.pending).toBeNull();
  });
});

describe("a candidate whose step has not opened", () => {
  it("is held pending, decided in the shadow of live requests, and adopted once its step opens and the bake has passed", async () => {
    const s = await server();
    const c = clock();
    const a = await agent(s, { rolloutBucket: 50, now: c.now });
    const { serial, issuedAt } = await publish([a], s, v2, {
      rollout: {
        steps: [
          { percent: 10, after: 0 },
          { percent: 60, after: 3600 },
          { percent: 100, after: 7200 },
        ],
      },
      guard: GUARD,
    });
    const opensAt = new Date(Date.parse(issuedAt) + HOUR).toISOString();
    let st = await status(a);
    expect(st.active.version).toBe(DEFAULT_VERSION);
    expect(st.pending).toMatchObject({
      name: "default",
      version: V2,
      serial,
      bucket: 50,
      percent: 60,
      opensAt,
      guard: GUARD,
      shadow: { decisions: 0, changed: 0 },
    });
    expect(await metric(a, new RegExp(`^isoplace_policy_pending_info\\{name="default",version="${V2}",serial="${serial}",bucket="50.00"\\}`))).toBe(1);
    expect((await decide(a, requests[0])).policy.version).toBe(DEFAULT_VERSION);

    await traffic(a, 60);
    st = await status(a);
    // v2 changes a stack, not a level or runtime: no shadow decision changes
    expect(st.pending.shadow).toMatchObject({ changed: 0, transitions: [] });
    expect(await metric(a, /^isoplace_shadow_decisions_total /)).toBeGreaterThanOrEqual(60);

    c.shift = HOUR - 1000; // a second before its step opens
    await a.manager.review();
    expect((await status(a)).pending?.version).toBe(V2);
    c.shift = HOUR + 5 * MIN; // open, still baking
    await a.manager.review();
    expect((await status(a)).pending?.version).toBe(V2);
    c.shift = HOUR + 10 * MIN + 1000; // the bake has passed
    await a.manager.review();
    st = await status(a);
    expect(st.pending).toBeNull();
    expect(st.active).toMatchObject({
      version: V2,
      serial,
      adoption: {
        guard: "passed",
        bucket: 50,
        percent: 60,
        opensAt,
        changed: 0,
        message: expect.stringMatching(/the guard passed: 0 of \d+ shadow decisions changed/),
      },
    });
    expect(st.active.adoption.decisions).toBeGreaterThanOrEqual(60);
    expect((await decide(a, requests[0])).policy.version).toBe(V2);
    expect(await metric(a, /^isoplace_policy_pending_info\{/)).toBeUndefined();
  });

  it("on an agent that sees no traffic, is adopted when its step opens and the bake has passed, saying its guard could not speak", async () => {
    const s = await server();
    const c = clock();
    const a = await agent(s, { rolloutBucket: 0, now: c.now });
    await publish([a], s, v2, {
      rollout: {
        steps: [
          { percent: 1, after: 0 },
          { percent: 100, after: 3600 },
        ],
      },
      guard: GUARD,
    });
    expect((await status(a)).pending?.version).toBe(V2);
    c.shift = 10 * MIN + 1000;
    await a.manager.review();
    const st = await status(a);
    expect(st.active).toMatchObject({
      version: V2,
      adoption: { guard: "silent", decisions: 0, message: expect.stringMatching(/the guard could not speak: 0 shadow decisions seen/) },
    });
  });
});

describe("the guard", () => {
  it("refuses a candidate that moves every serverless decision: reason guard, its transitions and examples; never tried again", async () => {
    const s = await server();
    const c = clock();
    const { logger, lines } = logLines();
    const a = await agent(s, { rolloutBucket: 0, now: c.now, logger });
    const { serial } = await publish([a], s, moved, {
      rollout: {
        steps: [
          { percent: 1, after: 0 },
          { percent: 100, after: 3600 },
        ],
      },
      guard: GUARD,
    });
    await traffic(a, 80);
    const pending = (await status(a)).pending;
    expect(pending.shadow.transitions[0]).toMatchObject({
      from: "L4/wasmedge",
      to: "L3/containerd",
      example: expect.stringContaining('"scenario":"serverless"'),
    });
    expect(pending.shadow.changed).toBe(pending.shadow.transitions[0].count);

    c.shift = 10 * MIN + 1000;
    await a.manager.review();
    const st = await status(a);
    expect(st.active.version).toBe(DEFAULT_VERSION);
    expect(st.pending).toBeNull();
    expect(st.lastError).toMatchObject({
      reason: "guard",
      message: expect.stringMatching(
        new RegExp(`${MOVED} \\(serial ${serial}\\) is not adopted and not tried again: the guard refused it: \\d+ of \\d+ shadow decisions changed`),
      ),
      transitions: [{ from: "L4/wasmedge", to: "L3/containerd", count: pending.shadow.changed, example: expect.stringContaining("serverless") }],
    });
    expect(await metric(a, /^isoplace_policy_rejections_total\{reason="guard"\}/)).toBe(1);
    expect(await metric(a, /^isoplace_shadow_changed_total\{from="L4\/wasmedge",to="L3\/containerd"\}/)).toBeGreaterThanOrEqual(pending.shadow.changed);
    const refusal = lines.find((l) => l.msg === "policy refused by its guard");
    expect(refusal).toMatchObject({
      reason: "guard",
      serial,
      transitions: [{ from: "L4/wasmedge", to: "L3/containerd", example: expect.stringContaining("serverless") }],
    });

    // the same serial again (the admin, here) is refused at once; the URL is not offered again
    const again = await put(a, moved, {
      serial,
      rollout: {
        steps: [
          { percent: 1, after: 0 },
          { percent: 100, after: 3600 },
        ],
      },
      guard: GUARD,
    });
    expect(again.status).toBe(422);
    expect(await again.json()).toMatchObject({ reason: "guard", detail: expect.stringMatching(/refused by its guard .* not tried again/) });
    c.shift = 2 * HOUR;
    await a.manager.review();
    await polled(a);
    expect((await status(a)).active.version).toBe(DEFAULT_VERSION);
    // signed again with a new serial (the same bytes: the URL answers 304, its .sig is new), it is tried again
    const retry = await publish([a], s, moved, { rollout: { steps: [{ percent: 100, after: 0 }] }, guard: GUARD });
    expect((await status(a)).pending).toMatchObject({ version: MOVED, serial: retry.serial, shadow: { decisions: 0 } });
    // so through the admin: held, 202
    const put2 = await put(a, moved, { rollout: { steps: [{ percent: 100, after: 0 }] }, guard: GUARD });
    expect(put2.status).toBe(202);
    expect(await put2.json()).toMatchObject({ result: "pending", pending: { version: MOVED, serial: retry.serial + 1 } });
  });

  it("speaks for the webhook's replicas too: admissions are decided in the shadow and the candidate refused", async () => {
    const s = await server();
    const c = clock();
    const w: TestWebhook = await startTestWebhook({
      policy: s.url,
      trustedKeys: keys.trusted,
      builtIn: async () => v1,
      poll: { intervalMs: 40, jitter: 0, firstDelayMs: 0 },
      rolloutBucket: 0,
      now: c.now,
    });
    agents.push(w);
    const a = w.webhook.agent;
    const status = async () => (await call(w.webhook.port, w.ca, "GET", "/v1/policy")).json;
    await polled(a);
    await publish([a], s, moved, { rollout: { steps: [{ percent: 100, after: 0 }] }, guard: GUARD });
    expect((await status()).pending?.version).toBe(MOVED);
    for (let i = 0; i < 50; i++) {
      const annotations = i % 2 ? { "isoplace.io/scenario": "serverless" } : { "isoplace.io/scenario": "edge" };
      expect((await admit(w, reviewOf({ annotations, uid: `uid-${i}` }))).status).toBe(200);
    }
    // each admission's shadow decision is made at the turn after its request (setImmediate), before its answer reaches us
    expect((await status()).pending?.shadow.decisions).toBe(50);
    c.shift = 10 * MIN + 1000;
    await a.manager.review();
    const st = await status();
    expect(st.active.version).toBe(DEFAULT_VERSION);
    expect(st.lastError).toMatchObject({ reason: "guard", transitions: [{ from: "L4/wasmedge", to: "L3/containerd", count: 25 }] });
  });
});

describe("halt", () => {
  it("a higher serial of the running module supersedes the pending candidate at the next poll, and brings back an agent that adopted it", async () => {
    const s = await server();
    const c = clock();
    const { logger, lines } = logLines();
    const canary = await agent(s, { rolloutBucket: 0, now: c.now });
    const later = await agent(s, { rolloutBucket: 50, now: c.now, logger });
    // the fleet runs v2 (signed); the candidate is staged: the canary adopts it at once, the other holds it
    const running = await publish([canary, later], s, v2);
    const { serial } = await publish([canary, later], s, moved, {
      rollout: {
        steps: [
          { percent: 1, after: 0 },
          { percent: 100, after: 3600 },
        ],
      },
    });
    expect((await status(canary)).active).toMatchObject({ version: MOVED, adoption: { guard: "none" } });
    expect((await status(later)).pending?.version).toBe(MOVED);

    // what `policy halt v2.wasm` publishes: the module the fleet ran, under a higher serial, no plan
    await publish([canary, later], s, v2, { serial: serial + 1 });
    expect((await status(later)).pending).toBeNull();
    expect(lines.find((l) => l.msg === "staged rollout halted: a newer statement supersedes the pending candidate")).toMatchObject({
      serial,
      by: { serial: serial + 1 },
    });
    expect((await status(later)).active).toMatchObject({ version: V2, serial: serial + 1 });
    expect((await status(canary)).active).toMatchObject({ version: V2, serial: serial + 1 });
    expect(running.serial).toBeLessThan(serial);
    c.shift = 2 * HOUR;
    for (const a of [canary, later]) await a.manager.review();
    for (const a of [canary, later]) expect((await status(a)).active.version).toBe(V2);
    // the superseded statement, delivered again, is below the mark now
    await publish([canary, later], s, moved, { serial, rollout: { steps: [{ percent: 100, after: 0 }] } });
    for (const a of [canary, later]) expect((await status(a)).lastError).toMatchObject({ reason: "serial-lower" });
  });
});

describe("the pending module signed again", () => {
  it("with a later serial and another plan: the URL's .sig is seen, the new plan applies, what the shadow saw is kept", async () => {
    const s = await server();
    const c = clock();
    const a = await agent(s, { rolloutBucket: 50, now: c.now });
    await publish([a], s, v2, {
      rollout: {
        steps: [
          { percent: 10, after: 0 },
          { percent: 100, after: 3600 },
        ],
      },
      guard: GUARD,
    });
    await traffic(a, 20);
    const before = (await status(a)).pending;
    // slowed down: its step now opens after two hours
    const { serial } = await publish([a], s, v2, {
      rollout: {
        steps: [
          { percent: 10, after: 0 },
          { percent: 100, after: 7200 },
        ],
      },
      guard: GUARD,
    });
    const after = (await status(a)).pending;
    expect(after).toMatchObject({ serial, since: before.since, shadow: { decisions: before.shadow.decisions } });
    expect(Date.parse(after.opensAt) - Date.parse(before.opensAt)).toBeGreaterThanOrEqual(HOUR);
    c.shift = HOUR + 11 * MIN;
    await a.manager.review();
    expect((await status(a)).pending?.serial).toBe(serial);
  });
});

describe("a restart while a candidate is pending", () => {
  it("keeps the candidate and its shadow counts in the data directory; the module is not downloaded again", async () => {
    const s = await server();
    const c = clock();
    const dataDir = await tempDir("isoplace-staged-data-");
    let a = await agent(s, { rolloutBucket: 50, now: c.now, dataDir });
    const { serial } = await publish([a], s, v2, {
      rollout: {
        steps: [
          { percent: 10, after: 0 },
          { percent: 100, after: 3600 },
        ],
      },
      guard: GUARD,
    });
    await traffic(a, 30);
    const before = (await status(a)).pending;
    await a.close();
    agents.splice(agents.indexOf(a), 1);

    const saved = JSON.parse(await readFile(join(dataDir, "state.json"), "utf8"));
    expect(saved.pending).toMatchObject({ version: V2, serial, since: before.since, shadow: { decisions: before.shadow.decisions } });
    expect(await readdir(join(dataDir, "modules"))).toContain(`${before.moduleSha256}.wasm`);

    const downloads = s.counts.full;
    a = await agent(s, { rolloutBucket: 50, now: c.now, dataDir });
    const restored = (await status(a)).pending;
    expect(restored).toMatchObject({ version: V2, serial, since: before.since, shadow: { decisions: before.shadow.decisions } });
    expect(s.counts.full, "the pending module's ETag was kept: 304, not a download").toBe(downloads);
    await traffic(a, 10);
    c.shift = HOUR + 10 * MIN + 1000;
    await a.manager.review();
    expect((await status(a)).active).toMatchObject({ version: V2, adoption: { guard: "passed", decisions: before.shadow.decisions + 10 } });
  });
});

describe("clock skew", () => {
  it("an agent whose clock is behind adopts late; one whose clock is ahead adopts early by no more than its skew", async () => {
    const s = await server();
    const behind = clock(-HOUR),
      ahead = clock(5 * MIN);
    const late = await agent(s, { rolloutBucket: 50, now: behind.now });
    const early = await agent(s, { rolloutBucket: 50, now: ahead.now });
    // one step, two hours after the signing
    await publish([late, early], s, v2, { rollout: { steps: [{ percent: 100, after: 7200 }] } });
    const at = async (real: number) => {
      behind.shift = real - HOUR;
      ahead.shift = real + 5 * MIN;
      for (const a of [late, early]) await a.manager.review();
      return [(await status(late)).active.version, (await status(early)).active.version];
    };
    expect(await at(2 * HOUR - 6 * MIN)).toEqual([DEFAULT_VERSION, DEFAULT_VERSION]);
    expect(await at(2 * HOUR - 5 * MIN + 1000)).toEqual([DEFAULT_VERSION, V2]); // early by its 5 minutes, not more
    expect(await at(2 * HOUR + 1000)).toEqual([DEFAULT_VERSION, V2]); // the step has opened; the clock behind still says 1 h
    expect(await at(3 * HOUR + 1000)).toEqual([V2, V2]); // late by its hour
  });
});

afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
