// A vitest reporter that speaks last: when the console's browser tests were part of the run but
// skipped (no Chromium, outside CI), it says so after the summary, with the one command that
// enables them — so a green run does not read as "the console was tested".
import type { Reporter, TestModule } from "vitest/node";

const CONSOLE_SUITE = "tests/console/console.test.ts";

export default class SkippedBrowserNotice implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const browser = modules.find((m) => m.moduleId.endsWith(CONSOLE_SUITE));
    if (!browser) return;
    const tests = [...browser.children.allTests()];
    const skipped = tests.filter((t) => t.result().state === "skipped").length;
    if (tests.length > 0 && skipped === tests.length) {
      const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
      process.stdout.write(`\n  NOTE: ${skipped} browser tests of the web console were SKIPPED: no Chromium at ${chromium}. ` +
        "Enable them with `apt-get install -y chromium` (or set CHROMIUM_PATH), then run npm test again.\n\n");
    }
  }
}
