// Crash safety: a real agent (`isoplace serve`, a child process) is killed with SIGKILL in the
// middle of a policy write (PUT /v1/policy or rollback: check, persist, swap), then restarted on
// the same data directory, many times over. The kill lands at a named point of the write that the
// child announces and holds at (ISOPLACE_CRASH_POINT, host/node/crash-point.ts): before anything
// is written, after each temporary file is fsynced, after each rename, after the whole save —
// every point in turn, so each run covers them all and each trial knows its outcome: the new
// policy is served exactly when the state file's rename happened, the previous one otherwise.
// Every restart must serve that verified policy with /readyz 200, a decision that matches it, a
// data directory whose state, modules and signed statements agree (no temporary file left), and
// the highest serial activated — a replayed older statement is still refused.
// ISOPLACE_CRASH_TRIALS sets the count (npm run test:crash: 150; npm test: 16, every point once).
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { request } from "node:http";
import { readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { verifyStatement } from "../../host/delivery/statement.ts";
import {
  build,
  DEFAULT_EDGE_STACK,
  DEFAULT_VERSION,
  edgeDecision,
  keyFiles,
  policyStatus,
  signHeader,
  tempDir,
  variantSource,
  type KeyFiles,
} from "../shipping/support/fixtures.ts";
import { spawnAgent, type AgentProcess } from "./support/agent-process.ts";

const TRIALS = Number(process.env.ISOPLACE_CRASH_TRIALS ?? 16);
const TOKEN = randomBytes(24).toString("hex");
const VARIANTS: [string, string][] = [
  ["2025.11.15-c2", "K3s + WasmEdge 0.15.0 (c2)"],
  ["2025.11.15-c3", "K3s + WasmEdge 0.15.0 (c3)"],
  ["2025.11.15-c4", "K3s + WasmEdge 0.15.0 (c4)"],
];
const STACK_OF: Record<string, string> = { [DEFAULT_VERSION]: DEFAULT_EDGE_STACK, ...Object.fromEntries(VARIANTS) };

let root: string, dataDir: string, keys: KeyFiles, args: string[];
let modules: { version: string; bytes: Uint8Array }[];
let agent: AgentProcess | undefined;

beforeAll(async () => {
  root = await tempDir("isoplace-crash-");
  dataDir = join(root, "data");
  keys = await keyFiles(join(root, "keys"));
  const tokenFile = join(root, "admin.token");
  await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  modules = await Promise.all(
    VARIANTS.map(async ([version, stack]) => {
      const bytes = await build(await variantSource(version, stack));
      return { version, bytes };
    }),
  );
  args = ["--data-dir", dataDir, "--trusted-key", keys.pub, "--admin-token-file", tokenFile];
});
afterAll(async () => {
  await agent?.kill();
  await rm(root, { recursive: true, force: true });
});

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const isTemp = (f: string) => f.endsWith(".tmp");

/** Temporary files in the data directory (left by a write the kill interrupted). */
async function tempFiles(): Promise<string[]> {
  const top = (await readdir(dataDir)).filter(isTemp);
  const mods = (await readdir(join(dataDir, "modules"))).filter(isTemp).map((f) => `modules/${f}`);
  return [...top, ...mods];
}

/** The running agent serves a verified policy whose version is allowed, and its data directory agrees. */
async function checkServing(a: AgentProcess, allowed: Set<string>, highestSerial?: number) {
  expect((await fetch(`${a.url}/readyz`)).status).toBe(200);
  const status = await policyStatus(a.url);
  expect(allowed).toContain(status.active.version);
  const d = await edgeDecision(a.url);
  expect(d.policy.version).toBe(status.active.version);
  expect(d.stack).toBe(STACK_OF[d.policy.version]);

  const state = JSON.parse(await readFile(join(dataDir, "state.json"), "utf8"));
  expect(state.format).toBe(1);
  expect(state.kept[0].moduleSha256).toBe(status.active.moduleSha256);
  expect(state.kept.map((e: { version: string }) => e.version)).toEqual([status.active.version, ...status.history.map((h) => h.version)]);
  const expectedFiles: string[] = [];
  for (const e of state.kept.filter((k: { builtIn?: boolean }) => !k.builtIn)) {
    const bytes = new Uint8Array(await readFile(join(dataDir, "modules", `${e.moduleSha256}.wasm`)));
    const sig = await readFile(join(dataDir, "modules", `${e.moduleSha256}.wasm.sig`), "utf8");
    expect(sha256(bytes)).toBe(e.moduleSha256);
    const check = await verifyStatement(sig, keys.trusted);
    expect(check).toMatchObject({ ok: true, statement: { moduleSha256: e.moduleSha256 } });
    // the active one's statement is exactly the one recorded; a kept one's may be a newer statement
    // for the same bytes, when a PUT re-delivering it was killed before the state's rename
    const serial = (check as { statement: { serial: number } }).statement.serial;
    if (e === state.kept[0]) expect(serial).toBe(e.serial);
    else expect(serial).toBeGreaterThanOrEqual(e.serial);
    expectedFiles.push(`${e.moduleSha256}.wasm`, `${e.moduleSha256}.wasm.sig`);
  }
  expect((await readdir(join(dataDir, "modules"))).sort()).toEqual(expectedFiles.sort());
  expect(await tempFiles()).toEqual([]);
  if (highestSerial !== undefined) expect(state.serials.default?.serial).toBe(highestSerial);
  return status;
}

/** Sends an admin call on a fresh connection; `onSent` runs once the request is in the kernel's hands. */
function adminCall(url: string, method: string, path: string, body: Uint8Array | undefined, headers: Record<string, string>, onSent: () => void) {
  return new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
    const req = request(
      `${url}${path}`,
      { method, agent: false, headers: { authorization: `Bearer ${TOKEN}`, ...headers, ...(body ? { "content-length": String(body.length) } : {}) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", (err) => resolve({ error: err.message }));
      },
    );
    req.on("error", (err) => resolve({ error: err.message }));
    req.on("finish", onSent);
    req.end(body);
  });
}

/** PUTs `m` with a new statement (a higher serial than any before); resolves with the answer and the statement's header. */
async function put(a: AgentProcess, m: (typeof modules)[number], onSent = () => {}) {
  const sig = await signHeader(m.bytes, keys);
  return { sig, answer: await adminCall(a.url, "PUT", "/v1/policy", m.bytes, { "content-type": "application/wasm", "isoplace-signature": sig }, onSent) };
}
const serialOf = (header: string) => JSON.parse(atob(JSON.parse(atob(header)).payload)).predicate.serial as number;
const rollback = (a: AgentProcess, onSent = () => {}) => adminCall(a.url, "POST", "/v1/policy/rollback", undefined, {}, onSent);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The points of a save, in order (host/node/store.ts). A PUT writes the statement, the module and
// the state; a rollback only the state. The new policy is on disk from the state's rename on.
const PUT_POINTS = ["save.start", "sig.synced", "sig.renamed", "module.synced", "module.renamed", "state.synced", "state.renamed", "save.done"];
const ROLLBACK_POINTS = ["save.start", "state.synced", "state.renamed", "save.done"];
const COMMITTED = new Set(["state.renamed", "save.done"]);

/** The trials: every fourth a rollback; each kind cycles through its points. */
const PLAN = Array.from({ length: TRIALS }, (_, t) => {
  const rollback = t % 4 === 3;
  const n = rollback ? (t - 3) / 4 : t - Math.floor(t / 4);
  return { rollback, point: rollback ? ROLLBACK_POINTS[n % ROLLBACK_POINTS.length] : PUT_POINTS[n % PUT_POINTS.length] };
});

/** Spawns the agent armed to hold at `point` (none: unarmed). */
async function armed(point: string | undefined) {
  const a = await spawnAgent(args, { env: point ? { ISOPLACE_CRASH_POINT: point } : {} });
  return { a };
}

it(
  `${TRIALS} SIGKILLs at every point of a policy write: every restart serves the verified policy the point implies`,
  async () => {
    // two policies activated first (unarmed), so a rollback always has somewhere to go
    agent = (await armed(undefined)).a;
    await checkServing(agent, new Set([DEFAULT_VERSION]));
    const first = await put(agent, modules[0]);
    const second = await put(agent, modules[1]);
    expect([first.answer, second.answer]).toMatchObject([{ status: 200 }, { status: 200 }]);
    let highest: number | undefined = serialOf(second.sig);
    const oldest = { m: modules[0], sig: first.sig };
    await agent.kill("SIGTERM");

    let cur = await armed(PLAN[0]?.point);
    agent = cur.a;
    let status = await checkServing(agent, new Set([modules[1].version]), highest);
    const tally = {
      puts: 0,
      rollbacks: 0,
      servedNew: 0,
      servedPrevious: 0,
      points: {} as Record<string, number>,
      tempLeftovers: {} as Record<string, number>,
      restartMs: [] as number[],
    };

    for (let trial = 0; trial < TRIALS; trial++) {
      const { rollback: doRollback, point } = PLAN[trial];
      const running = agent;
      const previous = status.active.version;
      const others = modules.filter((m) => m.version !== previous);
      const m = others[trial % others.length];
      const target = doRollback ? status.history[0].version : m.version;
      // the child announces the point and holds there: the kill lands exactly at it
      const kill = running.waitForLine((l) => l === `isoplace-crash-point ${point}`, `the crash point ${point}`, 30_000).then(() => running.kill("SIGKILL"));
      kill.catch(() => {}); // a write that never reaches its point fails the trial below
      let sig: string | undefined;
      const write = doRollback
        ? rollback(running)
        : put(running, m).then((r) => {
            sig = r.sig;
            return r.answer;
          });
      const answer = await Promise.race([write, kill.then(() => ({ error: "killed" }))]);
      if ("status" in answer)
        throw new Error(`trial ${trial}: the ${doRollback ? "rollback" : "PUT"} was answered ${answer.status} ${answer.body} without reaching ${point}`);
      await running.exited;
      tally[doRollback ? "rollbacks" : "puts"]++;
      tally.points[point] = (tally.points[point] ?? 0) + 1;
      for (const f of await tempFiles()) {
        const kind = f.includes(".wasm.sig.") ? "signature" : f.includes(".wasm.") ? "module" : "state";
        tally.tempLeftovers[kind] = (tally.tempLeftovers[kind] ?? 0) + 1;
      }

      const committed = COMMITTED.has(point);
      if (committed && !doRollback) highest = serialOf(sig!);
      cur = await armed(PLAN[trial + 1]?.point);
      agent = cur.a;
      tally.restartMs.push(agent.startMs);
      try {
        status = await checkServing(agent, new Set([committed ? target : previous]), highest);
      } catch (err) {
        throw new Error(
          `trial ${trial} (${doRollback ? "rollback" : "PUT"} ${previous} → ${target}, killed at ${point}): ${(err as Error).message}\n${agent.output()}`,
        );
      }
      tally[committed ? "servedNew" : "servedPrevious"]++;
      if (doRollback && committed) expect(status.active).toMatchObject({ activatedBy: "rollback" });
    }

    // the highest serial survived every kill: a replay of the first statement is still refused
    {
      expect(serialOf(oldest.sig)).toBeLessThan(highest);
      const replay = await adminCall(
        agent.url,
        "PUT",
        "/v1/policy",
        oldest.m.bytes,
        { "content-type": "application/wasm", "isoplace-signature": oldest.sig },
        () => {},
      );
      expect(replay).toMatchObject({ status: 422 });
      expect(JSON.parse((replay as { body: string }).body).reason).toBe("serial-lower");
    }
    const { restartMs, ...counts } = tally;
    console.log(
      `crash safety: ${TRIALS} trials, 0 failures; ${JSON.stringify(counts)}; ` +
        `restart (spawn → listening) median ${median(restartMs).toFixed(0)} ms, max ${Math.max(...restartMs).toFixed(0)} ms`,
    );
    if (TRIALS >= (PUT_POINTS.length * 4) / 3 + ROLLBACK_POINTS.length) {
      expect(Object.keys(tally.points).sort()).toEqual([...new Set([...PUT_POINTS, ...ROLLBACK_POINTS])].sort());
    }
  },
  60_000 + TRIALS * 6_000,
);

it("temporary files of interrupted writes (a half module, a half state) are ignored at start and removed", async () => {
  agent ??= await spawnAgent(args);
  const before = await checkServing(agent, new Set([DEFAULT_VERSION, ...VARIANTS.map(([v]) => v)]));
  await agent.kill("SIGKILL");
  const half = modules[2].bytes.subarray(0, modules[2].bytes.length >> 1);
  await writeFile(join(dataDir, "modules", `${sha256(modules[2].bytes)}.wasm.${randomUUID()}.tmp`), half);
  await writeFile(join(dataDir, `state.json.${randomUUID()}.tmp`), '{"format":1,"kept":[{"moduleSha');
  expect(await tempFiles()).toHaveLength(2);
  agent = await spawnAgent(args);
  const after = await checkServing(agent, new Set([before.active.version])); // checks: no temporary file is left
  expect(after.active.moduleSha256).toBe(before.active.moduleSha256);
});
