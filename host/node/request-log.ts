// The agent's one log line per request, written as pino itself would write
// `logger.info({ method, route, status, ms, decisionId, placement }, "request")` — same fields,
// same order, same bytes — but built as one template string, as pino's generic serialiser (a
// loop over the object's keys, a stringifier per value) is a visible share of a small request's
// cost under load (bench section "http" measures the agent with it). Only for the agent's own logger (levels and bindings as it was made): its level is honoured and
// its bindings (",\"service\":\"isoplace\"") are taken from it, not repeated here.
import pino, { type Logger } from "pino";
import type { ResponseEntry } from "../http/types.ts";

export type RequestLog = (e: ResponseEntry) => void;

const json = (s: string) => JSON.stringify(s);

/** A request logger writing pino's line for the entry straight to `write` (the logger's own stream). */
export function requestLog(logger: Logger, write: (line: string) => unknown): RequestLog {
  const info = logger.levels.values.info;
  const bindings = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? "";
  // The line's start changes once a millisecond, its route part with the route: each is kept
  // while it holds (under load, most lines are one route's, many to a millisecond).
  let now = -1,
    head = "";
  let method = "",
    route = "",
    status = -1,
    middle = "";
  return (e) => {
    if (!logger.isLevelEnabled("info")) return;
    const time = Date.now();
    if (time !== now) {
      now = time;
      head = `{"level":${info},"time":${time}${bindings}`;
    }
    if (e.route !== route || e.method !== method || e.status !== status) {
      method = e.method;
      route = e.route;
      status = e.status;
      middle = `,"method":${json(method)},"route":${json(route)},"status":${status},"ms":`;
    }
    // pino writes a non-finite number as null, a number as its string, a string JSON-escaped
    let line = head + middle + msText(e.ms);
    if (e.decisionId !== undefined) line += `,"decisionId":${json(e.decisionId)}`;
    if (e.level !== undefined) line += `,"placement":${e.level === null ? "null" : json(e.level)}`;
    write(`${line},"msg":"request"}\n`);
  };
}

/** ".001" … ".999" without trailing zeros, and "" for 0: a microsecond count's fraction of a millisecond. */
const FRACTIONS = Array.from({ length: 1000 }, (_, i) => (i ? `.${String(i).padStart(3, "0").replace(/0+$/, "")}` : ""));

/**
 * A number of milliseconds as JSON.stringify (and so pino) prints it. A whole number of
 * microseconds (responseEntry rounds to them) is put together from integers, as printing a double
 * is the costliest part of the line; the text is the same, as no shorter decimal names that double.
 */
export function msText(ms: number): string {
  if (!Number.isFinite(ms)) return "null";
  const us = Math.round(ms * 1000);
  if (us / 1000 !== ms || us < 0 || us > 0x7fffffff) return String(ms);
  const whole = Math.floor(us / 1000);
  return whole + FRACTIONS[us - whole * 1000];
}

/** The same line through pino (a logger the agent did not make: its options are its own), with every field of the entry (`via` too). */
export const pinoRequestLog =
  (logger: Logger): RequestLog =>
  (e) => {
    // pino owns the key "level"; the placement level is logged as "placement"
    const { level, ...rest } = e;
    logger.info(level === undefined ? rest : { ...rest, placement: level }, "request");
  };
