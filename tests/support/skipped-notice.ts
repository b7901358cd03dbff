// A vitest reporter that speaks last: when suites were part of the run but skipped for want of
// something outside npm — Chromium for the console's browser tests, the peers of `npm run peers`
// for the integration suites (titles marked by needsPeers) — it says so after the summary, with
// the command that enables them, so a green run does not read as "this was tested".
import type { Reporter, TestModule } from "vitest/node";

const CONSOLE_SUITE = "tests/console/console.test.ts";
const PEERS_MARK = /\[peers: ([^\]]+)\]/;

const allSkipped = (m: TestModule) => {
  const tests = [...m.children.allTests()];
  return tests.length > 0 && tests.every((t) => t.result().state === "skipped") ? tests.length : 0;
};

export default class SkippedNotice implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const notes: string[] = [];
    const browser = modules.find((m) => m.moduleId.endsWith(CONSOLE_SUITE));
    const browserSkipped = browser ? allSkipped(browser) : 0;
    if (browserSkipped) {
      const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
      notes.push(
        `NOTE: ${browserSkipped} browser tests of the web console were SKIPPED: no Chromium at ${chromium}. ` +
          "Enable them with `apt-get install -y chromium` (or set CHROMIUM_PATH), then run npm test again.",
      );
    }
    const peers = new Set<string>();
    let skipped = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        if (t.result().state !== "skipped") continue;
        const mark = PEERS_MARK.exec(t.fullName);
        if (!mark) continue;
        skipped++;
        for (const p of mark[1].split(",")) peers.add(p.trim());
      }
    }
    if (skipped) {
      notes.push(
        `NOTE: ${skipped} integration tests were SKIPPED: they need ${[...peers].sort().join(", ")} in .peers/bin. ` +
          "Enable them with `npm run peers` (builds the real peers; see README), then run npm test again.",
      );
    }
    if (notes.length) process.stdout.write(`\n${notes.map((n) => `  ${n}`).join("\n")}\n\n`);
  }
}
