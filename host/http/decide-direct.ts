// POST /v1/decide served without Hono's router, Context and middleware, for a host that hands
// the request over as a Node IncomingMessage (@hono/node-server's env.incoming): the one route
// that carries the load, ~10 µs less per request (routing, the Context, compose and the
// middleware's closure). Same answers as the app's route (app.ts, routes.ts): the size check on
// the declared length, readJson's 415/413/400, engine.decide, the error problems of app.ts, the
// same response headers as c.json, and one onResponse entry with the decision. Any other method,
// path or query string goes to the app.
import type { Context } from "hono";
import { errorResponse } from "./app.ts";
import { MAX_BODY_BYTES, declaredLength, readJson, tooLarge } from "./body.ts";
import { problemResponse } from "./problem.ts";
import type { AppOptions } from "./types.ts";

interface NodeEnv { incoming?: { method?: string; url?: string } }

export type DirectRoute = (env: unknown) => Promise<Response> | undefined;

export function decideDirect(options: Pick<AppOptions, "engine" | "onResponse" | "onDecision">): DirectRoute {
  const { onResponse, onDecision } = options;
  return (env) => {
    const incoming = (env as NodeEnv | undefined)?.incoming;
    if (incoming?.method !== "POST" || incoming.url !== "/v1/decide") return undefined;
    return answer(env);
  };

  async function answer(env: unknown): Promise<Response> {
    const start = performance.now();
    const engine = options.engine();
    // what body.ts reads of a Context on Node: the IncomingMessage in env
    const c = { env } as unknown as Context;
    let res: Response, decision: { decisionId: string; level: string | null } | undefined;
    const declared = declaredLength(c);
    if (declared !== undefined && declared > MAX_BODY_BYTES) res = problemResponse(tooLarge(MAX_BODY_BYTES));
    else {
      try {
        const d = engine.decide(await readJson(c, MAX_BODY_BYTES));
        decision = d;
        onDecision?.(d.level);
        res = new Response(JSON.stringify(d), { status: 200, headers: { "Content-Type": "application/json" } });
      } catch (err) {
        res = errorResponse(err, "POST", "/v1/decide");
      }
    }
    onResponse?.({
      method: "POST", route: "/v1/decide", status: res.status, ms: performance.now() - start,
      ...(decision ? { decisionId: decision.decisionId, level: decision.level } : {}),
    });
    return res;
  }
}
