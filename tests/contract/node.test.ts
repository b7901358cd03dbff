// The contract cases against the Node agent: a real server on an ephemeral 127.0.0.1 port.
import pino from "pino";
import { afterAll, beforeAll, describe, it } from "vitest";
import { startAgent, type Agent } from "../../host/node/agent.ts";
import { answerOf, cases, toRequest } from "./cases.ts";

let agent: Agent;
beforeAll(async () => {
  agent = await startAgent({ port: 0, logger: pino({ level: "silent" }) });
});
afterAll(() => agent?.close());

describe("HTTP contract on the Node agent", () => {
  for (const c of cases.filter((x) => !x.hosts || x.hosts.includes("node"))) {
    it(c.name, async () => c.check(await answerOf(await fetch(toRequest(c, agent.url)))));
  }
});
