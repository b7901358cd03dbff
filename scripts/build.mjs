#!/usr/bin/env node
// npm run build: the console's script (scripts/console-script.mjs), TypeScript → dist/host (the CLI
// bundled), the default policy → dist/policies/default.wasm.
// --if-missing: only when an output is missing or older than its sources (npm start, npm test).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildConsoleScript } from "./console-script.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outputs = ["dist/host/cli/main.js", "dist/policies/default.wasm", "dist/policies/default.metered.wasm", "dist/isoplace.wasi.wasm"].map((p) =>
  join(root, p),
);
const sources = ["host", "assembly", "policies", "package.json", "tsconfig.json"].map((p) => join(root, p));
const LIMIT = 8192;

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))));
}

// first, and always: the console's script is a source of what follows, and cheap to bundle
await buildConsoleScript();

if (process.argv.includes("--if-missing") && outputs.every(existsSync)) {
  const built = Math.min(...outputs.map((p) => statSync(p).mtimeMs));
  if (Math.max(...sources.map(newest)) <= built) process.exit(0);
}

const t0 = performance.now();
execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json")], { stdio: "inherit" });
// the isoplace command as one bundle over tsc's dist/host/cli/main.js (scripts/bundle.mjs)
execFileSync(process.execPath, [join(root, "scripts/bundle.mjs")], { stdio: "inherit" });
const { buildPolicy } = await import(join(root, "dist/host/policy/compile.js"));
const source = join(root, "policies/default.yaml");
const built = await buildPolicy(readFileSync(source, "utf8"), "policies/default.yaml");
const out = join(root, "dist/policies/default.wasm");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, built.wasm);
const size = built.wasm.length;
console.log(
  `dist/policies/default.wasm: ${size} bytes (${size <= LIMIT ? "within" : "OVER"} the ${LIMIT}-byte budget), policy ${built.meta.name} ${built.meta.version}, built in ${Math.round(performance.now() - t0)} ms`,
);
if (size > LIMIT) process.exit(1);

// The same module metered (host/engine/meter.ts), for the Worker: Workers refuse to compile
// bytes at run time, so the engine cannot meter there; it recognises this one by its export.
const { meter } = await import(join(root, "dist/host/engine/meter.js"));
const { ACTIVATION_BUDGET } = await import(join(root, "dist/host/engine/budget.js"));
writeFileSync(join(root, "dist/policies/default.metered.wasm"), meter(built.wasm, { initial: ACTIVATION_BUDGET }));

// The same core as a WASI command for WasmEdge/wasmtime (assembly/wasi.ts).
const { buildWasiCommand } = await import(join(root, "dist/host/policy/wasi.js"));
const wasi = await buildWasiCommand(built);
writeFileSync(join(root, "dist/isoplace.wasi.wasm"), wasi);
console.log(`dist/isoplace.wasi.wasm: ${wasi.length} bytes (WASI preview1 command)`);
