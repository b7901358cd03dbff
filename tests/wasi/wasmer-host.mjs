// A WASI host in its own process under Wasmer's WASI for JavaScript (@wasmer/wasi: Wasmer's WASI
// implementation compiled to Wasm): runs dist/isoplace.wasi.wasm for each call of the line protocol
// (protocol.mjs). Its stdin and stdout are Wasmer's in-memory files.
import { readFileSync } from "node:fs";
import { init, WASI } from "@wasmer/wasi";
import { serveLines } from "./protocol.mjs";

await init();
const module = await WebAssembly.compile(readFileSync(process.argv[2]));

function run({ args, stdin = "", env = {} }) {
  const wasi = new WASI({ args: ["isoplace.wasi.wasm", ...args], env });
  wasi.instantiate(module, {});
  wasi.setStdinString(stdin);
  const code = wasi.start();
  const answer = { code, stdout: wasi.getStdoutString(), stderr: wasi.getStderrString() };
  wasi.free();
  return answer;
}

serveLines(run);
