// The agent's request log line (host/node/request-log.ts) is byte for byte the line pino writes
// for the same entry through the agent's logger options — time aside, which each takes itself.
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { ResponseEntry } from "../../host/http/types.ts";
import { msText, pinoRequestLog, requestLog } from "../../host/node/request-log.ts";

function capture(level: string) {
  const lines: string[] = [];
  const logger = pino(
    { level, base: { service: "isoplace" } },
    {
      write: (l: string) => {
        lines.push(l);
      },
    },
  );
  return { logger, lines };
}
const noTime = (l: string) => l.replace(/"time":\d+/, '"time":0');

const entries: ResponseEntry[] = [
  { method: "POST", route: "/v1/decide", status: 200, ms: 0.31234567, decisionId: "1f542ade-f880-470d-8dcd-71a82294cc88", level: "L4" },
  { method: "POST", route: "/v1/decide", status: 200, ms: 12, decisionId: "4b1c2a3e-0000-4000-8000-000000000000", level: null },
  { method: "POST", route: "/v1/decide", status: 400, ms: 1e-7 },
  { method: "GET", route: "unmatched", status: 404, ms: 3.5 },
  { method: 'W"E\\IRD\n', route: "/metrics", status: 405, ms: Number.NaN },
  // back to an earlier route after others: the line's route part is made again, not left as the last one's
  { method: "POST", route: "/v1/decide", status: 200, ms: 2.25, decisionId: "9a0e7c52-1d2b-4f3a-8c4d-5e6f7a8b9c0d", level: "L3" },
];

describe("request log line", () => {
  it("is pino's line for every entry: fields, order, escaping, numbers, null placement", () => {
    const ours = capture("info"),
      theirs = capture("info");
    const log = requestLog(ours.logger, (l) => ours.lines.push(l));
    const viaPino = pinoRequestLog(theirs.logger);
    for (const e of entries) {
      log(e);
      viaPino(e);
    }
    expect(ours.lines).toHaveLength(entries.length);
    expect(ours.lines.map(noTime)).toEqual(theirs.lines.map(noTime));
    for (const l of ours.lines) expect(JSON.parse(l)).toMatchObject({ level: 30, service: "isoplace", msg: "request" });
  });

  it("follows the logger's level", () => {
    const ours = capture("warn");
    const log = requestLog(ours.logger, (l) => ours.lines.push(l));
    log(entries[0]);
    expect(ours.lines).toEqual([]);
    ours.logger.level = "debug";
    log(entries[0]);
    expect(ours.lines).toHaveLength(1);
  });

  it("prints milliseconds as JSON does: every microsecond value up to 2 s, later ones, large ones, and values between microseconds", () => {
    const bad: string[] = [];
    const check = (ms: number) => {
      if (msText(ms) !== JSON.stringify(ms)) bad.push(`${ms}: ${msText(ms)}`);
    };
    for (let us = 0; us <= 2_000_000; us++) check(us / 1000);
    for (let us = 2_000_000; us <= 2 ** 31; us += 9_973) check(us / 1000);
    for (const us of [2 ** 31 - 1, 2 ** 31, 2 ** 40 + 7, 123_456_789_012]) check(us / 1000);
    for (const ms of [0.31234567, 1e-7, 0.0005, 1e21, -0, -1.5, Number.MAX_VALUE, Number.MIN_VALUE]) check(ms);
    expect(bad.slice(0, 5)).toEqual([]);
    expect(msText(Number.NaN)).toBe("null");
    expect(msText(Number.POSITIVE_INFINITY)).toBe("null");
  });
});
