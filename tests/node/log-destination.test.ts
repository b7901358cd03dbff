// The agent's log destination (host/node/log-destination.ts) writes asynchronously, lines
// collected for up to FLUSH_MS, yet loses none: a child logs a burst, stops the destination, logs
// once more and exits at once; every line arrives on its stdout, in order. And a quiet agent's
// one line is not held back waiting for more.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnChild } from "../support/child.ts";

describe("log destination", () => {
  it.each(["stop", "no-stop"])("no line is lost or reordered when the process exits right after a burst (%s)", async (mode) => {
    const n = 20_000;
    const child = spawnChild(process.execPath, [join(import.meta.dirname, "fixtures/log-burst.ts"), String(n), mode]);
    try {
      expect(await child.exited).toEqual({ code: 0, signal: null });
      const lines = child.lines.map((l) => JSON.parse(l) as { i?: number; msg: string });
      expect(lines).toHaveLength(n + 1);
      lines.slice(0, n).forEach((l, i) => expect(l.i).toBe(i));
      expect(lines[n].msg).toBe("stopped");
    } finally {
      await child.stop("SIGKILL");
    }
  });

  it("a line logged while nothing else happens arrives, the process still running: the flush timer sent it", async () => {
    const child = spawnChild(process.execPath, [join(import.meta.dirname, "fixtures/log-burst.ts"), "0", "quiet"]);
    try {
      // nothing else is logged and the child never exits by itself: nothing but the timer flushes
      await child.waitForLine(/"alone"/, "the line");
      expect(child.process.exitCode).toBeNull();
    } finally {
      await child.stop("SIGKILL");
    }
  });
});
