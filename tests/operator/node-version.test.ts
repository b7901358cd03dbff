// On a Node older than 22.12 (the machine's own Node 20 here), the built CLI says which Node it
// needs and which it found, exit 2, instead of failing inside an import.
import { execFileSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { expect, it } from "vitest";
import { BUILT_MAIN, run } from "./support/run.ts";

/** The system's node: the first on PATH outside any node_modules (npm puts the Node 22 package first), else the usual places. */
function systemNode(): { path: string; version: string } | undefined {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((d) => d && !d.includes("node_modules"));
  const candidates = [...dirs.map((d) => join(d, "node")), "/usr/bin/node", "/usr/local/bin/node"];
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      const version = execFileSync(path, ["-p", "process.versions.node"], { encoding: "utf8", timeout: 10_000 }).trim();
      if (path !== process.execPath) return { path, version };
    } catch {
      /* not there, or not runnable */
    }
  }
  return undefined;
}

const found = systemNode();
const old = found && (([major, minor]) => major < 22 || (major === 22 && minor < 12))(found.version.split(".").map(Number));
if (!found) console.warn("tests/operator/node-version: skipped, no system node outside node_modules (looked on PATH, /usr/bin, /usr/local/bin)");
else if (!old) console.warn(`tests/operator/node-version: skipped, the system node ${found.path} is ${found.version}, not older than 22.12`);

it.skipIf(!old)("an old Node gets the versions needed and found, exit 2", async () => {
  expect(existsSync(BUILT_MAIN), "run npm run build first").toBe(true);
  for (const args of [["--version"], ["serve", "--port", "0"], ["decide", "--scenario", "edge"]]) {
    const r = await run(args, { node: found!.path });
    expect(r.code, r.stderr).toBe(2);
    // (the path shown is the executable's own, which may be where found.path links to)
    expect(r.stderr).toMatch(
      new RegExp(`^isoplace: needs Node\\.js 22\\.12 or newer; this is Node\\.js ${found!.version.replaceAll(".", "\\.")} \\(/.+\\)\n$`),
    );
    expect(r.stdout).toBe("");
  }
});
