// isoplace/client/embedded on Cloudflare Workers: the default policy module bundled as a compiled
// WebAssembly.Module (Workers refuse to compile bytes at run time), metered as the isoplace Worker
// bundles it. The package's own name resolves through its `exports`, from source and installed alike.
/// <reference path="../worker/wasm.d.ts" />
import policyModule from "isoplace/policies/default.metered.wasm";
import { createEngine } from "../engine/engine.ts";
import { withEmbedded } from "./embedded.ts";

export const createClient = withEmbedded(() => createEngine(policyModule));
export { inProcess, type EmbeddedClientOptions, type FallbackOption } from "./embedded.ts";
export * from "./index.ts";
