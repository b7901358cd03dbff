// The line protocol of the WASI host processes (host.mjs, wasmer-host.mjs): a JSON line on stdin
// per call ({ id, args, stdin, env }), a JSON line on stdout per answer ({ id, code, stdout,
// stderr }, or { id, error } when the host itself failed).
import { createInterface } from "node:readline";

/** Answers each call on stdin with `run(call)`'s { code, stdout, stderr }. */
export function serveLines(run) {
  createInterface({ input: process.stdin }).on("line", (line) => {
    const call = JSON.parse(line);
    let answer;
    try {
      answer = { id: call.id, ...run(call) };
    } catch (err) {
      answer = { id: call.id, error: String(err?.stack ?? err) };
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  });
}
