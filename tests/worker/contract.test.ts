// The contract cases (tests/contract/cases.ts) inside real workerd, through the Worker of
// wrangler.toml: the same list the Node agent runs, minus the cases marked for other hosts.
import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { answerOf, cases, toRequest } from "../contract/cases.ts";

describe("HTTP contract on the Worker (workerd)", () => {
  for (const c of cases.filter((x) => !x.hosts || x.hosts.includes("worker"))) {
    it(c.name, async () => c.check(await answerOf(await exports.default.fetch(toRequest(c)))));
  }
});
