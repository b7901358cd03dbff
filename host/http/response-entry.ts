// The log/metrics entry of one answered request, as both the Hono app and the Node agent's JSON
// lane (json-operation.ts) hand it to the host's onResponse hook.
import type { DecisionLog, ResponseEntry } from "./types.ts";

/** `start` is performance.now() when the request arrived; `decision` the one it made, if any; `via` the adapter that served it, when not the app. */
export function responseEntry(method: string, route: string, status: number, start: number, decision?: DecisionLog, via?: string): ResponseEntry {
  // to the microsecond: finer is timer noise, and a log line prints such a number cheaply (request-log.ts)
  const ms = Math.round((performance.now() - start) * 1000) / 1000;
  const entry: ResponseEntry = decision ? { method, route, status, ms, decisionId: decision.id, level: decision.level } : { method, route, status, ms };
  if (via !== undefined) entry.via = via;
  return entry;
}
