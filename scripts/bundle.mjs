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
import { chmodSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist/host/cli");
rmSync(join(outdir, "chunks"), { recursive: true, force: true });
/**
 * An esbuild plugin: Node's builtin modules imported with `import` are taken with require()
 * (the banner's) instead. An ESM import of a builtin builds its ESM facade, which reads every
 * export — and so runs every lazy getter: `node:http` then loads undici (and http2), `node:fs`
 * fs/promises and readline, `node:crypto` WebCrypto; 113 internal modules for node:http instead
 * of 38. require() leaves them lazy, and esbuild's interop reads an export only where it is used.
 */
function builtinsRequired() {
  const builtins = new Set(builtinModules);
  return {
    name: "builtins-required",
    setup(b) {
      b.onResolve({ filter: /^(node:)?[a-z][a-z0-9_/]*$/ }, (args) => {
        const name = args.path.replace(/^node:/, "");
        if (!builtins.has(name) && !builtins.has(args.path)) return undefined;
        // the require() in the module below is the banner's, at run time
        if (args.namespace === "builtin") return { path: args.path, external: true };
        return { path: name, namespace: "builtin" };
      });
      b.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => ({ contents: `module.exports = require("node:${args.path}");`, loader: "js" }));
    },
  };
}

/** An esbuild plugin: `filter` imported from within the package `name` resolves to the file `to` instead. */
function onlyFor(name, filter, to) {
  const inside = new RegExp(`[\\\\/]node_modules[\\\\/]${name}[\\\\/]`);
  return {
    name: `${name}-${to}`,
    setup(b) {
      b.onResolve({ filter }, (args) => (inside.test(args.importer) ? { path: join(root, to) } : undefined));
    },
  };
}

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
  banner: { js: 'import { createRequire as __isoplaceRequire } from "node:module"; const require = __isoplaceRequire(import.meta.url);' },
  plugins: [
    // zod's `locales` namespace (every language) replaced by its English locale alone
    onlyFor("zod", /^\.\.\/locales\/index\.js$/, "scripts/bundle/zod-locales-en.mjs"),
    // commander's node:child_process, for executable subcommands isoplace does not have
    onlyFor("commander", /^node:child_process$/, "scripts/bundle/child-process-none.mjs"),
    builtinsRequired(),
  ],
  legalComments: "none",
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
  metafile: true,
});
// the package's bin entries (isoplace, kubectl-isoplace) point here: executable, as npm would make it
// on install, so a checkout's build works as a kubectl plugin when linked onto PATH
chmodSync(join(outdir, "main.js"), 0o755);
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(
  `dist/host/cli/main.js: bundled with ${Object.keys(result.metafile.outputs).length - 1} lazily loaded chunks, ${Math.round(bytes / 1024)} KiB, in ${Math.round(performance.now() - t0)} ms`,
);
