// The contract cases through app.request: the Hono app in-process, no network.
import { beforeAll, describe, it } from "vitest";
import { createApp } from "../../host/http/app.ts";
import { loadPolicy } from "../../host/index.ts";
import { answerOf, cases, toRequest } from "./cases.ts";

let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  const engine = await loadPolicy();
  app = createApp({ engine: () => engine });
});

describe("HTTP contract through app.request", () => {
  for (const c of cases.filter((x) => !x.hosts)) {
    it(c.name, async () => c.check(await answerOf(await app.request(toRequest(c)))));
  }
});
