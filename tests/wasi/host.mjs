// A WASI host in its own process, as WasmEdge or wasmtime would be: runs dist/isoplace.wasi.wasm
// under node:wasi for each JSON line on stdin ({ id, args, stdin, env }) and answers a JSON line
// ({ id, code, stdout, stderr }). node:wasi is experimental native code: run inside the test
// runner's worker it once took the worker down (SIGSEGV, tests/wasi/command.test.ts unreported);
// here a crash is this process's, and the test that sent the call fails naming it.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { WASI } from "node:wasi";

const module = new WebAssembly.Module(readFileSync(process.argv[2]));
// Every WASI object lives as long as this process: none is finalised while calls run.
const kept = [];

function run({ args, stdin = "", env = {} }) {
  const dir = mkdtempSync(join(tmpdir(), "isoplace-wasi-"));
  const paths = ["stdin", "stdout", "stderr"].map((f) => join(dir, f));
  writeFileSync(paths[0], stdin);
  const fds = [openSync(paths[0], "r"), openSync(paths[1], "w"), openSync(paths[2], "w")];
  try {
    const wasi = new WASI({ version: "preview1", args: ["isoplace.wasi.wasm", ...args], env, stdin: fds[0], stdout: fds[1], stderr: fds[2], returnOnExit: true });
    kept.push(wasi);
    const code = wasi.start(new WebAssembly.Instance(module, wasi.getImportObject()));
    return { code, stdout: readFileSync(paths[1], "utf8"), stderr: readFileSync(paths[2], "utf8") };
  } finally {
    for (const fd of fds) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const call = JSON.parse(line);
  let answer;
  try { answer = { id: call.id, ...run(call) }; } catch (err) { answer = { id: call.id, error: String(err?.stack ?? err) }; }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
});
