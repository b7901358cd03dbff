// A WASI host in its own process under Wasmer's WASI for JavaScript (@wasmer/wasi: Wasmer's WASI
// implementation compiled to Wasm): runs dist/isoplace.wasi.wasm for each JSON line on stdin
// ({ id, args, stdin, env }) and answers a JSON line ({ id, code, stdout, stderr }) — the protocol
// of tests/wasi/host.mjs. Its stdin and stdout are Wasmer's in-memory files.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { init, WASI } from "@wasmer/wasi";

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

createInterface({ input: process.stdin }).on("line", (line) => {
  const call = JSON.parse(line);
  let answer;
  try { answer = { id: call.id, ...run(call) }; } catch (err) { answer = { id: call.id, error: String(err?.stack ?? err) }; }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
});
