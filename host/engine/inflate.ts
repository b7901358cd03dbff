// Raw DEFLATE (RFC 1951) → bytes, for the policy's catalogue, with fflate's runtime-neutral build
// (no worker_threads, so Workers take it as is; DecompressionStream took 3–5× longer here).
import { inflateSync } from "fflate/browser";

// fflate starts from 3× the input and doubles as it goes: the growing was a third of its time.
// A catalogue inflates to about 3.3×, so it gets room for 8×; whatever fills that room may have
// been cut short (fflate does not grow a buffer it is given), so that case inflates again.
const ROOM = 8;

export function inflateRaw(deflated: Uint8Array): Uint8Array {
  const room = deflated.length * ROOM;
  try {
    const out = inflateSync(deflated, { out: new Uint8Array(room) });
    if (out.length < room) return out;
  } catch {
    // too little room for a stored block: inflate again below
  }
  return inflateSync(deflated);
}
