// The Workers client suite's world, made on the Node side before workerd starts: the isoplace
// Worker bundled as `wrangler deploy` would upload it (the auxiliary Worker the caller's service
// binding points at), and a server that never answers, on a real port.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { startStalled } from "../support/stalled.ts";

const root = join(import.meta.dirname, "../..");

declare module "vitest" {
  export interface ProvidedContext {
    isoplaceWorker: { dir: string; script: string; wasm: string };
    stalledUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(join(tmpdir(), "isoplace-worker-client-"));
  await promisify(execFile)(process.execPath, [join(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", dir], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
  });
  const wasm = (await readdir(dir)).find((f) => f.endsWith(".wasm"));
  if (!wasm) throw new Error(`wrangler left no .wasm module in ${dir}`);
  project.provide("isoplaceWorker", { dir, script: "index.js", wasm });
  const stalled = await startStalled();
  project.provide("stalledUrl", stalled.url);
  return async () => {
    await stalled.close();
    await rm(dir, { recursive: true, force: true });
  };
}
