// isoplace/client against a real agent: `isoplace serve` as a child process on a 127.0.0.1 port.
// Every contract case the client can express is sent both ways, by fetch and by the client's
// method: the client's answer is the HTTP answer (marked source: "agent"), and a problem is an
// IsoplaceProblem carrying the HTTP problem's status, type and errors.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, IsoplaceProblem, type FallbackEvent, type IsoplaceClient, type RetryEvent } from "../../host/client/index.ts";
import * as S from "../../host/http/schemas.ts";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { answerOf, toRequest } from "../contract/cases.ts";
import { spawnAgent, type AgentProcess } from "../hardening/support/agent-process.ts";
import { closedPort } from "../support/stalled.ts";
import { clientCalls, comparable, expectSameProblem } from "./calls.ts";

let agent: AgentProcess;
let client: IsoplaceClient;
const retries: RetryEvent[] = [];
const fallbacks: FallbackEvent[] = [];

beforeAll(async () => {
  agent = await spawnAgent([]);
  // a generous deadline: this suite checks answers, not timing, on a machine shared with other suites
  client = createClient({ baseUrl: agent.url, timeoutMs: 10_000, onRetry: (e) => retries.push(e), onFallback: (e) => fallbacks.push(e) });
});
afterAll(() => agent?.kill());

describe("isoplace/client against isoplace serve on a port", () => {
  for (const { case: c, call } of clientCalls) {
    it(`${c.name}: the client answers as the HTTP API does`, async () => {
      const http = await answerOf(await fetch(toRequest(c, agent.url)));
      const answer = await call(client).catch((err: unknown) => err);
      if (http.status === 200) {
        expect(answer).not.toBeInstanceOf(Error);
        expect((answer as { source: string }).source).toBe("agent");
        expect(comparable(answer)).toEqual(comparable(http.json));
      } else {
        expect(answer).toBeInstanceOf(IsoplaceProblem);
        expectSameProblem(answer, http, "agent");
      }
    });
  }

  it("covers every method, answers and problems alike", () => {
    const expressed = clientCalls.map((x) => x.case.path.split("?")[0]);
    expect(new Set(expressed)).toEqual(new Set(["/v1/decide", "/v1/decide/batch", "/v1/rank", "/v1/compare", "/v1/levels", "/v1/scenarios", "/v1/policy"]));
    expect(clientCalls.filter((x) => x.case.name.startsWith("bad:")).length).toBeGreaterThanOrEqual(15);
  });

  it("answers parse with the server's own answer schemas", async () => {
    S.decision.parse(await client.decide({ workload: { scenario: "edge" } }));
    S.batchAnswer.parse(await client.decideBatch([{}, { workload: { scenario: "mainframe" } }]));
    S.rankAnswer.parse(await client.rank({ weights: { isolation: 1 } }));
    S.comparison.parse(await client.compare("L3", "L4"));
    S.levels.parse(await client.levels());
    S.scenarios.parse(await client.scenarios());
    S.policyStatus.parse(await client.policy());
  });

  it("a healthy agent needed no retry and no fallback", () => {
    expect(retries).toEqual([]);
    expect(fallbacks).toEqual([]);
  });
});

describe("the package's entry points on Node", () => {
  it("a Node function imports isoplace/client and isoplace/client/embedded by name (package.json exports, dist/)", async () => {
    const script = `
      import { createClient as bare } from "isoplace/client";
      import { createClient } from "isoplace/client/embedded";
      const viaAgent = await bare({ baseUrl: process.argv[1] }).decide({ workload: { scenario: "edge" } });
      let fallbacks = 0;
      const gone = createClient({ baseUrl: process.argv[2], retries: 0, fallback: "embedded", onFallback: () => fallbacks++ });
      const viaFallback = await gone.decide({ workload: { scenario: "edge" } });
      console.log(JSON.stringify({ agent: [viaAgent.level, viaAgent.source], fallback: [viaFallback.level, viaFallback.source], fallbacks }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script, agent.url, await closedPort()], { cwd: PACKAGE_ROOT });
    expect(JSON.parse(stdout)).toEqual({ agent: ["L4", "agent"], fallback: ["L4", "fallback"], fallbacks: 1 });
  });
});
