// The Cloudflare Worker: the same Hono app as the Node agent, over the same engine. The policy
// module is imported at build time (wrangler hands it over compiled): Workers refuse to compile
// Wasm from bytes at run time, so on Workers a policy update is a deploy. It is the build's
// metered copy (scripts/build.mjs), so every call into it is bounded here too. No admin routes, no
// /metrics (Workers have their own analytics), and nothing from Node.
import policyModule from "../../dist/policies/default.metered.wasm";
import { createEngine, type Engine, type NodeProfile } from "../engine/engine.ts";
import { createApp } from "../http/app.ts";
// bundled by wrangler: only the version is taken (esbuild keeps a JSON import's used keys)
import { version } from "../../package.json";

export interface Env {
  /** Optional: the runtimes every decision without `node` is made for (comma-separated); absent: planning mode. */
  ISOPLACE_RUNTIMES?: string;
}

type App = ReturnType<typeof createApp>;

/** Built on the first request, then reused by the isolate: verifying the module (self-test included) runs once. */
let app: Promise<App> | undefined;
let builtFor: string | undefined;

function nodeProfile(env: Env): NodeProfile | undefined {
  const runtimes = env.ISOPLACE_RUNTIMES?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return runtimes?.length ? { source: "configured", runtimes } : undefined;
}

async function build(env: Env): Promise<App> {
  const engine: Engine = await createEngine(policyModule, { node: nodeProfile(env) });
  return createApp({ engine: () => engine, version });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const runtimes = env.ISOPLACE_RUNTIMES ?? "";
    if (!app || builtFor !== runtimes) {
      builtFor = runtimes;
      app = build(env).catch((err) => {
        app = undefined; // a failed start is retried by the next request, not cached
        throw err;
      });
    }
    return (await app).fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
