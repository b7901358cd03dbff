#!/usr/bin/env node
// The isoplace command's entry: Node's on-disk compile cache first, then the program. Loading
// zod, hono, pino and prom-client is most of the time from `isoplace serve` to a first answer;
// the cache (os.tmpdir()/node-compile-cache, or NODE_COMPILE_CACHE) cuts it by about 100 ms.
// Where the directory is not writable, Node runs without it.
import { enableCompileCache } from "node:module";

enableCompileCache?.();
await import("./program.ts");
