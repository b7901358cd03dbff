// One cold sample for the bench's module section, in a fresh process: how long importing the
// engine takes, and its first createEngine(bytes) — what an agent start or a Worker cold start
// pays — then a second createEngine in the same process. Plain JavaScript on dist/ (tsc's
// output). Prints one JSON line: { importMs, firstMs, secondMs }.
import { readFileSync } from "node:fs";

const [modulePath, engineUrl] = process.argv.slice(2);
const bytes = new Uint8Array(readFileSync(modulePath));
const t0 = performance.now();
const { createEngine } = await import(engineUrl);
const t1 = performance.now();
await createEngine(bytes);
const t2 = performance.now();
await createEngine(bytes);
const t3 = performance.now();
process.stdout.write(`${JSON.stringify({ importMs: t1 - t0, firstMs: t2 - t1, secondMs: t3 - t2 })}\n`);
