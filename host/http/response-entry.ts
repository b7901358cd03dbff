// The log/metrics entry of one answered request, as both the Hono app and the Node agent's JSON
// lane hand it to the host's onResponse hook.
import type { DecisionLog, ResponseEntry } from "./types.ts";

/** `start` is performance.now() when the request arrived; `decision` the one it made, if any. */
export function responseEntry(method: string, route: string, status: number, start: number, decision?: DecisionLog): ResponseEntry {
  // to the microsecond: finer is timer noise, and a log line prints such a number cheaply (request-log.ts)
  const ms = Math.round((performance.now() - start) * 1000) / 1000;
  return decision
    ? { method, route, status, ms, decisionId: decision.id, level: decision.level }
    : { method, route, status, ms };
}
