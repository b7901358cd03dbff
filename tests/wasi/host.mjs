// A WASI host in its own process, as WasmEdge or wasmtime would be: runs dist/isoplace.wasi.wasm
// under node:wasi for each call of the line protocol (protocol.mjs). node:wasi is experimental
// native code, and a crash of native code takes its whole process down: in a process of its own,
// the crash is this host's, and the test that sent the call fails naming it, where inside the
// test runner's worker it would end the worker and leave the suite unreported.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WASI } from "node:wasi";
import { serveLines } from "./protocol.mjs";

const module = new WebAssembly.Module(readFileSync(process.argv[2]));
// Every WASI object lives as long as this process: none is finalised while calls run.
const kept = [];

function run({ args, stdin = "", env = {} }) {
  const dir = mkdtempSync(join(tmpdir(), "isoplace-wasi-"));
  const paths = ["stdin", "stdout", "stderr"].map((f) => join(dir, f));
  writeFileSync(paths[0], stdin);
  const fds = [openSync(paths[0], "r"), openSync(paths[1], "w"), openSync(paths[2], "w")];
  try {
    const wasi = new WASI({
      version: "preview1",
      args: ["isoplace.wasi.wasm", ...args],
      env,
      stdin: fds[0],
      stdout: fds[1],
      stderr: fds[2],
      returnOnExit: true,
    });
    kept.push(wasi);
    const code = wasi.start(new WebAssembly.Instance(module, wasi.getImportObject()));
    return { code, stdout: readFileSync(paths[1], "utf8"), stderr: readFileSync(paths[2], "utf8") };
  } finally {
    for (const fd of fds) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

serveLines(run);
