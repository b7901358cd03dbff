// The staged rollout from the operator's side, as real processes: `policy sign --rollout --guard`
// writes the plan and the guard into the signed statement, every mistake exits 2 naming its flag;
// `policy inspect` shows the plan in absolute times; `policy halt` re-signs the running module
// with a higher serial and no plan; `serve --node-name` puts the agent in the bucket that name
// hashes to, as GET /v1/policy shows for a pending candidate.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { rolloutBucket } from "../../host/delivery/rollout.ts";
import { startServe } from "../operator/support/run.ts";
import { isoplace as cli, SOURCE_MAIN as MAIN } from "../support/cli.ts";
import { build, defaultSource, tempDir, variantSource } from "./support/fixtures.ts";

const isoplace = (...args: string[]) => cli(args);

/** The signed predicate (name, serial, rollout, guard…) of the in-toto statement in an envelope file. */
const payloadOf = async (sig: string) => JSON.parse(Buffer.from(JSON.parse(await readFile(sig, "utf8")).payload, "base64").toString("utf8")).predicate;

let dir: string, wasm: string, key: string, pub: string;
beforeAll(async () => {
  dir = await tempDir();
  wasm = join(dir, "policy.wasm");
  await writeFile(wasm, await variantSource("2025.11.15-2", "K3s + WasmEdge 0.15.0 (v2)").then(build));
  expect((await isoplace("policy", "keygen", "--out", join(dir, "keys"))).code).toBe(0);
  key = join(dir, "keys", "policy.key");
  pub = join(dir, "keys", "policy.pub");
}, 120_000);

describe("policy sign --rollout --guard, policy inspect", () => {
  it("signs the plan and the guard into the statement; inspect shows when each step opens", async () => {
    const before = Date.now();
    const r = await isoplace(
      "policy",
      "sign",
      wasm,
      "--key",
      key,
      "--rollout",
      "1%@0s,10%@30m,50%@2h,100%@6h",
      "--guard",
      "max-changed=5%,min-decisions=200,bake=10m",
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/rollout 1% at .*, 10% at .*, 50% at .*, 100% at .*, guard max-changed 5% of min 200 decisions, bake 10m/);
    const st = await payloadOf(`${wasm}.sig`);
    expect(st.rollout).toEqual({
      steps: [
        { percent: 1, after: 0 },
        { percent: 10, after: 1800 },
        { percent: 50, after: 7200 },
        { percent: 100, after: 21_600 },
      ],
    });
    expect(st.guard).toEqual({ maxChangedShare: 0.05, minShadowDecisions: 200, bake: 600 });
    expect((await isoplace("policy", "verify", wasm, "--pub", pub)).code).toBe(0);

    const inspected = JSON.parse((await isoplace("policy", "inspect", wasm)).stdout);
    const start = Date.parse(st.issuedAt);
    expect(start).toBeGreaterThanOrEqual(before - 1000);
    expect(inspected.plan).toEqual({
      start: st.issuedAt,
      steps: [
        { percent: 1, after: "0s", opensAt: new Date(start).toISOString() },
        { percent: 10, after: "30m", opensAt: new Date(start + 1800_000).toISOString() },
        { percent: 50, after: "2h", opensAt: new Date(start + 7200_000).toISOString() },
        { percent: 100, after: "6h", opensAt: new Date(start + 21_600_000).toISOString() },
      ],
      guard: { maxChanged: "5%", minDecisions: 200, bake: "10m" },
    });
  });

  it("--rollout-start moves the plan's start", async () => {
    const r = await isoplace(
      "policy",
      "sign",
      wasm,
      "--key",
      key,
      "--rollout",
      "50%@0s,100%@1h",
      "--rollout-start",
      "2030-01-01T00:00:00Z",
      "--out",
      join(dir, "later.sig"),
    );
    expect(r.code, r.stderr).toBe(0);
    expect((await payloadOf(join(dir, "later.sig"))).rollout).toEqual({
      start: "2030-01-01T00:00:00.000Z",
      steps: [
        { percent: 50, after: 0 },
        { percent: 100, after: 3600 },
      ],
    });
  });

  const mistakes: [string[], string, RegExp][] = [
    [["--rollout", "1%@0s,1%@1h,100%@2h"], "--rollout", /percents must increase/],
    [["--rollout", "1%@0s,120%@1h"], "--rollout", /at most 100, got 120/],
    [["--rollout", "1%@0s,100%@an-hour"], "--rollout", /must be a whole number with s, m, h, d or w/],
    [["--rollout", "10%@0s,50%@1h"], "--rollout", /the last step must be 100%/],
    [["--guard", "max-changed=5%,bake=10m"], "--guard", /needs min-decisions too/],
    [["--guard", "max-changed=five,min-decisions=1,bake=1m"], "--guard", /max-changed must be a percent/],
    [["--rollout", "100%@0s", "--rollout-start", "tomorrow"], "--rollout-start", /a day .*, an RFC 3339 time .* or a duration from now/],
    [["--rollout-start", "2h"], "--rollout-start", /needs --rollout/],
  ];
  for (const [args, flag, message] of mistakes) {
    it(`${args.join(" ")}: exit 2 naming ${flag}, nothing written`, async () => {
      const out = join(dir, `mistake-${Math.random().toString(36).slice(2)}.sig`);
      const r = await isoplace("policy", "sign", wasm, "--key", key, "--out", out, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^isoplace: ${flag}`));
      expect(r.stderr).toMatch(message);
      await expect(readFile(out)).rejects.toThrow(/ENOENT/);
    });
  }
});

describe("policy halt", () => {
  it("signs the running module again with a higher serial and no plan, and says how to publish it", async () => {
    const running = join(dir, "running.wasm");
    await writeFile(running, await defaultSource().then(build));
    const r = await isoplace("policy", "halt", running, "--key", key, "--serial", "9000000000");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/halt statement for default 2025\.11\.15-1, serial 9000000000/);
    expect(r.stdout).toMatch(/a pending candidate with a lower serial is dropped at each agent's next poll/);
    const st = await payloadOf(`${running}.sig`);
    expect(st).toMatchObject({ name: "default", serial: 9_000_000_000 });
    expect(st.rollout).toBeUndefined();
    expect(st.guard).toBeUndefined();
    expect((await isoplace("policy", "halt", running, "--key", key, "--rollout", "1%@0s,100%@1h")).code).toBe(2);
  });
});

describe("serve --node-name", () => {
  it("hashes the node name with the policy's name into the agent's bucket", async () => {
    const served = join(dir, "served");
    await writeFile(`${served}.wasm`, await readFile(wasm));
    expect((await isoplace("policy", "sign", `${served}.wasm`, "--key", key, "--rollout", "100%@1d")).code).toBe(0);
    const agent = await startServe(["--policy", `${served}.wasm`, "--trusted-key", pub, "--node-name", "edge-node-17"], {
      main: MAIN,
      env: { LOG_LEVEL: "info" },
    });
    try {
      await agent.waitForLine((l) => l.includes('"msg":"policy pending: held until its rollout step opens"'), "the pending candidate");
      const { pending: status } = await (await fetch(`${agent.url}/v1/policy`)).json();
      expect(status).toMatchObject({ version: "2025.11.15-2", percent: 100, bucket: Math.round((await rolloutBucket("edge-node-17", "default")) * 100) / 100 });
    } finally {
      await agent.stop();
    }
  });
});
