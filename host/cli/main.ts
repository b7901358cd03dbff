#!/usr/bin/env node
// The isoplace command's entry. First the Node version, with nothing imported yet: an older Node
// would fail inside some import with a SyntaxError that names no version. Then Node's on-disk
// compile cache (os.tmpdir()/node-compile-cache, or NODE_COMPILE_CACHE; loading zod, hono, pino
// and prom-client is most of the time from `isoplace serve` to a first answer, and the cache cuts
// it by about 100 ms; where the directory is not writable Node runs without it), then the program.
const NEEDED = [22, 12] as const;
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < NEEDED[0] || (major === NEEDED[0] && minor < NEEDED[1])) {
  process.stderr.write(`isoplace: needs Node.js ${NEEDED.join(".")} or newer; this is Node.js ${process.versions.node} (${process.execPath})\n`);
  process.exit(2);
}
const { enableCompileCache } = await import("node:module");
enableCompileCache?.();
await import("./program.ts");
