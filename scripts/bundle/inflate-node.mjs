// In the Node bundle only (scripts/bundle.mjs aliases "fflate/browser" here): raw DEFLATE by
// Node's own zlib, which is native and already loaded, instead of fflate, whose tables are built
// in JavaScript when it loads. The same contract as fflate's streaming Inflate for
// host/engine/inflate.ts: chunks pushed, the output handed to `ondata` — here once, at the final
// push — and bounded: `maxOutputLength` in the options (which fflate ignores) stops zlib as soon as
// the output passes it; ondata then gets one byte more than the bound, so the caller refuses it.
import { inflateRawSync } from "node:zlib";

export class Inflate {
  constructor(opts, ondata) {
    this.max = opts?.maxOutputLength;
    this.ondata = ondata;
    this.parts = [];
  }

  push(chunk, final) {
    this.parts.push(chunk);
    if (!final) return;
    const data = Buffer.concat(this.parts);
    this.parts = [];
    let out;
    try {
      out = inflateRawSync(data, this.max === undefined ? {} : { maxOutputLength: this.max + 1 });
    } catch (err) {
      if (err?.code !== "ERR_BUFFER_TOO_LARGE") throw err;
      out = new Uint8Array(this.max + 1);
    }
    this.ondata(new Uint8Array(out.buffer, out.byteOffset, out.byteLength), true);
  }
}
