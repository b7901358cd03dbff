// A serverless function on Workers calling isoplace through a service binding, with the built-in
// policy as its fallback: POST a decide request, get the placement and where it came from.
import { createClient } from "isoplace/client/embedded";

export interface Env {
  ISOPLACE: Fetcher;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    // a service binding stays in the colo; the longer deadline leaves room for a cold isoplace Worker's first request
    const isoplace = createClient({ fetcher: env.ISOPLACE, timeoutMs: 1_000, fallback: "embedded" });
    const d = await isoplace.decide(await request.json());
    return Response.json({ level: d.level, runtime: d.runtime, stack: d.stack, policy: d.policy, source: d.source });
  },
} satisfies ExportedHandler<Env>;
