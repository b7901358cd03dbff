// The Worker bundle, as `wrangler deploy` would upload it (--dry-run): nothing from Node and
// none of the Node-only host code reaches it, and the policy module travels as a Wasm module.
// The same for a caller's Worker that uses isoplace/client: the bare client brings nothing else,
// and isoplace/client/embedded resolves to its Workers build, the policy module beside it.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTIVATION_BUDGET } from "../../host/engine/budget.ts";
import { meter } from "../../host/engine/meter.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "../..");

interface Meta {
  inputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
  outputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
}

/** `wrangler deploy --dry-run` of a Worker config into `out`: the bundle's esbuild metafile. */
async function dryRun(out: string, config?: string): Promise<Meta> {
  await run(
    process.execPath,
    [
      join(root, "node_modules/wrangler/bin/wrangler.js"),
      "deploy",
      "--dry-run",
      "--outdir",
      out,
      "--metafile",
      join(out, "meta.json"),
      ...(config ? ["--config", config] : []),
    ],
    { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" } },
  );
  return JSON.parse(await readFile(join(out, "meta.json"), "utf8"));
}

const nodeImports = (m: Meta) =>
  Object.values(m.inputs)
    .flatMap((i) => i.imports.map((x) => x.path))
    .filter((p) => p.startsWith("node:") || /^(fs|path|os|child_process|zlib|crypto|url|http|net)(\/|$)/.test(p));

let out: string;
let meta: Meta;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "isoplace-worker-"));
  meta = await dryRun(out);
}, 120_000);

afterAll(() => rm(out, { recursive: true, force: true }));

describe("the Worker bundle", () => {
  it("imports nothing from Node; its one import from outside the script is the policy module", () => {
    expect(nodeImports(meta)).toEqual([]);
    const external = Object.values(meta.outputs).flatMap((o) => o.imports.filter((x) => x.external).map((x) => x.path));
    expect(external).toHaveLength(1);
    expect(external[0]).toMatch(/-default\.metered\.wasm$/);
  });

  it("holds the engine and the HTTP app, none of the Node agent, CLI or policy compiler", () => {
    const own = Object.keys(meta.inputs).filter((p) => p.startsWith("host/"));
    expect(own).toEqual(expect.arrayContaining(["host/worker/index.ts", "host/http/app.ts", "host/engine/engine.ts"]));
    expect(own.filter((p) => !/^host\/(worker|http|engine)\//.test(p))).toEqual([]);
    expect(Object.keys(meta.inputs).filter((p) => /node_modules\/(pino|prom-client|@hono\/node-server|assemblyscript\/|commander)/.test(p))).toEqual([]);
  });

  it("carries the default policy module, metered, byte for byte, as a Wasm module", async () => {
    const files = await readdir(out);
    const wasm = files.filter((f) => f.endsWith(".wasm"));
    expect(wasm).toEqual([expect.stringMatching(/-default\.metered\.wasm$/)]);
    const shipped = new Uint8Array(await readFile(join(root, "dist/policies/default.wasm")));
    expect(new Uint8Array(await readFile(join(out, wasm[0])))).toEqual(meter(shipped, { initial: ACTIVATION_BUDGET }));
  });
});

describe("a caller's Worker using isoplace/client", () => {
  it("isoplace/client alone is the client: none of the engine, zod, Hono or the policy module", async () => {
    const r = await build({
      stdin: { contents: 'export { createClient } from "isoplace/client";', resolveDir: root, loader: "ts" },
      bundle: true,
      write: false,
      metafile: true,
      format: "esm",
      platform: "neutral",
      conditions: ["workerd", "worker", "browser"],
    });
    expect(Object.keys(r.metafile.inputs).filter((p) => p !== "<stdin>")).toEqual(["dist/host/client/options.js", "dist/host/client/index.js"]);
  });

  it("isoplace/client/embedded resolves to its Workers build: the engine and the metered module, nothing from Node", async () => {
    const callerOut = await mkdtemp(join(tmpdir(), "isoplace-caller-"));
    try {
      const m = await dryRun(callerOut, join(root, "tests/worker-client/wrangler.toml"));
      expect(nodeImports(m)).toEqual([]);
      const own = Object.keys(m.inputs).filter((p) => !p.includes("node_modules/"));
      expect(own).toEqual(expect.arrayContaining(["../../dist/host/client/embedded.workerd.js", "../../dist/host/engine/engine.js", "caller.ts"]));
      expect(own.filter((p) => /client\/embedded\.node|host\/(node|cli|policy)\//.test(p))).toEqual([]);
      const external = Object.values(m.outputs).flatMap((o) => o.imports.filter((x) => x.external).map((x) => x.path));
      expect(external).toEqual([expect.stringMatching(/-default\.metered\.wasm$/)]);
      const wasm = (await readdir(callerOut)).filter((f) => f.endsWith(".wasm"));
      expect(new Uint8Array(await readFile(join(callerOut, wasm[0])))).toEqual(
        new Uint8Array(await readFile(join(root, "dist/policies/default.metered.wasm"))),
      );
    } finally {
      await rm(callerOut, { recursive: true, force: true });
    }
  }, 120_000);
});
