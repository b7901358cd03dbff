// In the Node bundle only (scripts/bundle.mjs aliases "fflate/browser" here): raw DEFLATE by
// Node's own zlib, which is native and already loaded, instead of fflate, whose tables are built
// in JavaScript when it loads. Same contract as fflate's inflateSync for host/engine/inflate.ts:
// it returns the inflated bytes (the `out` hint is not needed: zlib sizes its own buffer).
import { inflateRawSync } from "node:zlib";

export function inflateSync(data) {
  return new Uint8Array(inflateRawSync(data));
}
