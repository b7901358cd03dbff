#!/usr/bin/env node
// The isoplace command as one bundle (run by scripts/build.mjs after tsc): host/cli/main.ts and
// everything it loads, node_modules included, written over tsc's dist/host/cli/main.js, so the
// package's bin and the image's entry point run it. Loading ~200 files one by one (resolution,
// package.json lookups, the CommonJS lexer) was most of the agent's start. Code that only some
// commands need stays behind a dynamic import, in its own chunk (dist/host/cli/chunks/): the
// agent for `serve`, the policy compiler for `policy build` (whose AssemblyScript compiler and
// binaryen are left external: loaded from node_modules, and only by that command).
// The rest of dist/host (tsc's output) stays for the library, tests and tools.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist/host/cli");
rmSync(join(outdir, "chunks"), { recursive: true, force: true });
const t0 = performance.now();
const result = await build({
  entryPoints: { main: join(root, "host/cli/main.ts") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  chunkNames: "chunks/[name]-[hash]",
  external: ["assemblyscript", "assemblyscript/*", "binaryen"],
  // Node has raw DEFLATE built in; fflate (for Workers) builds its tables in JavaScript at load
  // and prom-client's OpenTelemetry API, used only for exemplars, which the agent does not enable
  alias: { "fflate/browser": join(root, "scripts/bundle/inflate-node.mjs"), "@opentelemetry/api": join(root, "scripts/bundle/otel-none.cjs") },
  // CommonJS dependencies (pino, prom-client, commander …) require() Node's modules
  banner: { js: "import { createRequire as __isoplaceRequire } from \"node:module\"; const require = __isoplaceRequire(import.meta.url);" },
  legalComments: "none",
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`dist/host/cli/main.js: bundled with ${Object.keys(result.metafile.outputs).length - 1} lazily loaded chunks, ${Math.round(bytes / 1024)} KiB, in ${Math.round(performance.now() - t0)} ms`);
