// The staged rollout's pure parts (host/delivery/rollout.ts): the bucket hash (stable, and spread
// evenly: 10,000 node names, a chi-square bound), the plan and the guard as `policy sign` reads
// them and as an agent checks them inside a signed statement, when a step opens on a skewed
// clock, and the guard's verdicts.
import { describe, expect, it } from "vitest";
import {
  formatDuration,
  judge,
  parseDuration,
  parseGuardFlag,
  parseRolloutFlag,
  planClock,
  rolloutBucket,
  rolloutProblem,
  StagingFlagError,
  stepFor,
  type Staged,
} from "../../host/delivery/rollout.ts";
import { signBytes, toBase64 } from "../../host/delivery/signing.ts";
import { inTotoStatement, pae, signStatement, STATEMENT_TYPE, verifyStatement } from "../../host/delivery/statement.ts";
import { build, defaultSource, keyFiles, statementFor, tempDir } from "./support/fixtures.ts";

describe("the bucket: a stable hash of node name and policy name onto [0, 100)", () => {
  it("is the same for the same node and policy, in [0, 100), and independent across policies", async () => {
    const a = await rolloutBucket("edge-node-17", "default");
    expect(await rolloutBucket("edge-node-17", "default")).toBe(a);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(100);
    expect(await rolloutBucket("edge-node-17", "other-policy")).not.toBe(a);
    expect(await rolloutBucket("edge-node-18", "default")).not.toBe(a);
  });

  it("spreads 10,000 node names evenly over 100 one-percent bins (chi-square below the 0.1 % critical value)", async () => {
    const bins = new Array(100).fill(0);
    const names = Array.from({ length: 10_000 }, (_, i) => `node-${String(i).padStart(5, "0")}.edge.example`);
    for (const n of names) bins[Math.floor(await rolloutBucket(n, "default"))]++;
    const expected = names.length / bins.length;
    const chi2 = bins.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    // 99 degrees of freedom: P(chi² > 148.23) = 0.001 for a uniform spread
    expect(chi2, `bins ${bins.join(",")}`).toBeLessThan(148.23);
    // the first-percent canaries of a 10,000-node fleet: about 100 of them
    expect(bins[0]).toBeGreaterThan(60);
    expect(bins[0]).toBeLessThan(140);
  });
});

describe("--rollout and --guard, as policy sign reads them", () => {
  it("reads steps and durations", () => {
    expect(parseRolloutFlag("1%@0s,10%@30m,50%@2h,100%@6h")).toEqual([
      { percent: 1, after: 0 },
      { percent: 10, after: 1800 },
      { percent: 50, after: 7200 },
      { percent: 100, after: 21_600 },
    ]);
    expect(parseRolloutFlag("0.5%@0s, 100%@1d")).toEqual([
      { percent: 0.5, after: 0 },
      { percent: 100, after: 86_400 },
    ]);
    expect(parseRolloutFlag("100%@0s")).toEqual([{ percent: 100, after: 0 }]);
    expect(parseGuardFlag("max-changed=5%,min-decisions=200,bake=10m")).toEqual({ maxChangedShare: 0.05, minShadowDecisions: 200, bake: 600 });
    expect(parseGuardFlag("bake=0s, min-decisions=0, max-changed=0.5%")).toEqual({ maxChangedShare: 0.005, minShadowDecisions: 0, bake: 0 });
    expect(parseDuration("2w")).toBe(1_209_600);
    expect(formatDuration(5400)).toBe("90m");
    expect(formatDuration(90)).toBe("90s");
  });

  const mistakes: [string, string, RegExp][] = [
    ["--rollout", "1%@0s,1%@30m,100%@1h", /percents must increase: step 2 \(1%\)/],
    ["--rollout", "10%@0s,5%@1h,100%@2h", /percents must increase/],
    ["--rollout", "1%@0s,150%@1h", /percent must be more than 0 and at most 100, got 150/],
    ["--rollout", "0%@0s,100%@1h", /percent must be more than 0/],
    ["--rollout", "1%@0s,100%@1x", /duration .* must be a whole number with s, m, h, d or w/],
    ["--rollout", "1%@-5m,100%@1h", /duration/],
    ["--rollout", "10%@1h,100%@30m", /cannot open before the one before it/],
    ["--rollout", "1%@0s,50%@1h", /the last step must be 100%/],
    ["--rollout", "1%,100%@1h", /PERCENT%@DURATION/],
    ["--rollout", "1%@0s,,100%@1h", /separated by commas/],
    ["--guard", "max-changed=5%", /needs min-decisions, bake too/],
    ["--guard", "max-changed=5,min-decisions=200,bake=10m", /max-changed must be a percent/],
    ["--guard", "max-changed=101%,min-decisions=200,bake=10m", /max-changed must be a percent from 0% to 100%/],
    ["--guard", "max-changed=5%,min-decisions=-1,bake=10m", /min-decisions must be a whole number/],
    ["--guard", "max-changed=5%,min-decisions=200,bake=soon", /bake must be/],
    ["--guard", "max-changed=5%,min-decisions=200,bake=31d", /at most 30d/],
    ["--guard", "max-changed=5%,max-changed=6%,min-decisions=1,bake=0s", /given twice/],
    ["--guard", "speed=fast", /expects max-changed=…,min-decisions=…,bake=…/],
  ];
  for (const [flag, value, message] of mistakes) {
    it(`${flag} ${value} is refused, naming the flag`, () => {
      const parse = flag === "--rollout" ? () => parseRolloutFlag(value) : () => parseGuardFlag(value);
      expect(parse).toThrow(StagingFlagError);
      expect(parse).toThrow(new RegExp(`^${flag}: `));
      expect(parse).toThrow(message);
    });
  }
});

describe("the plan and the guard inside a signed statement", () => {
  it("an agent refuses a statement whose plan or guard is malformed (reason statement), and accepts a good one", async () => {
    const keys = await keyFiles(`${await tempDir()}/keys`);
    const bytes = await build(await defaultSource());
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ rollout: { steps: [{ percent: 50, after: 0 }] } }, /rollout\.steps: the last step must be 100%/],
      [{ rollout: { steps: [{ percent: 100, after: -1 }] } }, /after must be a whole number of seconds/],
      [{ rollout: { steps: [{ percent: 100, after: 0, speed: 2 }] } }, /unknown field "speed"/],
      [{ rollout: { steps: [], start: "2026-01-01T00:00:00Z" } }, /non-empty list/],
      [{ rollout: { steps: [{ percent: 100, after: 0 }], start: "soon" } }, /rollout\.start must be an RFC 3339 time/],
      [{ guard: { maxChangedShare: 5, minShadowDecisions: 200, bake: 600 } }, /maxChangedShare must be a number from 0 to 1/],
      [{ guard: { maxChangedShare: 0.05, minShadowDecisions: 2.5, bake: 600 } }, /minShadowDecisions must be an integer/],
      [{ guard: { maxChangedShare: 0.05, minShadowDecisions: 200 } }, /guard\.bake must be a whole number/],
      [{ guard: { maxChangedShare: 0.05, minShadowDecisions: 200, bake: 600, lenient: true } }, /unknown field "lenient"/],
    ];
    for (const [fields, message] of bad) {
      const st = { ...(await statementFor(bytes)), ...fields };
      // signed as it is (signStatement refuses a malformed statement): what a hand-made envelope would carry
      const payload = Buffer.from(JSON.stringify(inTotoStatement(st)));
      const envelope = {
        payloadType: STATEMENT_TYPE,
        payload: payload.toString("base64"),
        signatures: [{ keyid: keys.signer.fingerprint, sig: toBase64(await signBytes(pae(STATEMENT_TYPE, payload), keys.signer.key)) }],
      };
      const check = await verifyStatement(JSON.stringify(envelope), keys.trusted);
      expect(check, JSON.stringify(fields)).toMatchObject({ ok: false, reason: "statement", message: expect.stringMatching(message) });
      expect(rolloutProblem(st)).toMatch(message);
    }
    const good = await signStatement(
      await statementFor(bytes, {
        rollout: {
          steps: [
            { percent: 1, after: 0 },
            { percent: 100, after: 3600 },
          ],
        },
        guard: { maxChangedShare: 0.05, minShadowDecisions: 200, bake: 600 },
      }),
      [keys.signer],
    );
    expect(await verifyStatement(JSON.stringify(good), keys.trusted)).toMatchObject({
      ok: true,
      statement: { rollout: { steps: [{ percent: 1 }, { percent: 100 }] }, guard: { bake: 600 } },
    });
  });
});

describe("when an agent adopts", () => {
  const issuedAt = "2026-12-01T12:00:00.000Z",
    t0 = Date.parse(issuedAt);
  const plan: Staged = {
    issuedAt,
    rollout: {
      steps: [
        { percent: 1, after: 0 },
        { percent: 10, after: 1800 },
        { percent: 50, after: 7200 },
        { percent: 100, after: 21_600 },
      ],
    },
  };
  const none = { decisions: 0, changed: 0 };

  it("its step is the first whose percent is above its bucket", () => {
    expect(stepFor(plan, 0).step.percent).toBe(1);
    expect(stepFor(plan, 0.99).step.percent).toBe(1);
    expect(stepFor(plan, 1).step.percent).toBe(10);
    expect(stepFor(plan, 49.99).opensAt).toBe(t0 + 7200_000);
    expect(stepFor(plan, 99.99).opensAt).toBe(t0 + 21_600_000);
    expect(stepFor({ ...plan, rollout: { ...plan.rollout!, start: "2026-12-02T00:00:00Z" } }, 5).opensAt).toBe(Date.parse("2026-12-02T00:30:00Z"));
  });

  it("no guard: adopts when its step opens; a clock behind adopts late, one ahead early by its skew only", () => {
    const opens = t0 + 1800_000;
    expect(judge(plan, 5, t0, none, opens - 1)).toEqual({ kind: "wait", until: opens });
    expect(judge(plan, 5, t0, none, opens)).toMatchObject({ kind: "adopt", guard: "none" });
    // the agent judges by its own clock: 10 minutes behind, it still waits at the real opening
    const behind = 10 * 60_000;
    expect(judge(plan, 5, t0, none, opens - behind).kind).toBe("wait");
    // a clock reading before issuedAt is behind by at least that much: the first step (after 0) opens at once
    expect(planClock(plan, t0 - 3_600_000)).toBe(t0);
    expect(judge(plan, 0.5, t0, none, t0 - 3_600_000)).toMatchObject({ kind: "adopt" });
    // one step of 100 % at 0 s, no guard: today's behaviour, adopted on receipt whatever the clock
    expect(judge({ issuedAt, rollout: { steps: [{ percent: 100, after: 0 }] } }, 99, t0, none, t0 - 86_400_000)).toMatchObject({
      kind: "adopt",
      guard: "none",
    });
  });

  it("with a guard: waits out the bake, then passes, refuses, or cannot speak", () => {
    const guarded: Staged = { ...plan, guard: { maxChangedShare: 0.05, minShadowDecisions: 200, bake: 600 } };
    const opens = t0 + 1800_000,
      baked = opens + 600_000;
    expect(judge(guarded, 5, t0, none, opens)).toEqual({ kind: "wait", until: baked });
    // held only after its step opened: the bake counts from then
    expect(judge(guarded, 5, opens + 3_600_000, none, opens + 3_600_000)).toEqual({ kind: "wait", until: opens + 4_200_000 });
    expect(judge(guarded, 5, t0, { decisions: 400, changed: 20 }, baked)).toMatchObject({
      kind: "adopt",
      guard: "passed",
      message: /20 of 400 shadow decisions changed \(5%\)/,
    });
    expect(judge(guarded, 5, t0, { decisions: 400, changed: 21 }, baked)).toMatchObject({
      kind: "refuse",
      message: /21 of 400 shadow decisions changed \(5\.25%\); at most 5% of at least 200/,
    });
    // fewer than 200: the guard cannot vouch for it, but still refuses a share seen above 5 %
    expect(judge(guarded, 5, t0, { decisions: 0, changed: 0 }, baked)).toMatchObject({
      kind: "adopt",
      guard: "silent",
      message: /could not speak: 0 shadow decisions/,
    });
    expect(judge(guarded, 5, t0, { decisions: 150, changed: 7 }, baked)).toMatchObject({
      kind: "adopt",
      guard: "silent",
      message: /150 shadow decisions seen \(7 changed\) of the 200/,
    });
    expect(judge(guarded, 5, t0, { decisions: 150, changed: 8 }, baked)).toMatchObject({
      kind: "refuse",
      message: /8 of only 150 shadow decisions changed \(5\.33%\)/,
    });
    expect(judge(guarded, 5, t0, { decisions: 1, changed: 1 }, baked).kind).toBe("refuse");
    // short of decisions because it was too busy to decide them all (unsampled), not for want of traffic: it waits for more
    expect(judge(guarded, 5, t0, { decisions: 0, changed: 0, unsampled: 5000 }, baked)).toMatchObject({ kind: "wait" });
    expect(judge(guarded, 5, t0, { decisions: 150, changed: 7, unsampled: 5000 }, baked).kind).toBe("wait");
    expect(judge(guarded, 5, t0, { decisions: 200, changed: 7, unsampled: 5000 }, baked)).toMatchObject({ kind: "adopt", guard: "passed" });
  });
});
