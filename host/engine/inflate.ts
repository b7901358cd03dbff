// Raw DEFLATE (RFC 1951) → bytes, for the policy's catalogue, with fflate's runtime-neutral build
// (no worker_threads, so Workers take it as is; synchronous, where DecompressionStream would make
// every catalogue read a stream of promises).
// Bounded: DEFLATE can inflate ~1032:1, so the input goes in slices and inflating stops as soon
// as the output passes the limit — a module cannot make the agent build (or even decode) a
// catalogue of hundreds of MiB. fflate's one-shot inflate into a buffer of fixed size would not
// do: it keeps decoding to the end of the stream, writing nowhere. (The Node bundle swaps fflate
// for zlib, bounded by the same limit: scripts/bundle/inflate-node.mjs.)
import { Inflate } from "fflate/browser";
import { PolicyRejectedError } from "./errors.ts";

/** The most bytes a catalogue may inflate to (the default policy's: ~12 KB). */
export const MAX_INFLATED_BYTES = 1024 * 1024;

/** Input per step: at most ~4 MiB of output past the limit before it is noticed. */
const SLICE = 4096;

/** Inflates `deflated`; throws PolicyRejectedError ("inflate") past `max` bytes of output. */
export function inflateRaw(deflated: Uint8Array, max = MAX_INFLATED_BYTES): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  const inflate = new Inflate({ maxOutputLength: max } as never, (chunk: Uint8Array) => {
    total += chunk.length;
    if (total > max) throw new PolicyRejectedError("inflate", `the module's catalogue inflates to more than ${max} bytes (from ${deflated.length})`);
    if (chunk.length) parts.push(chunk);
  });
  if (deflated.length === 0) inflate.push(deflated, true);
  for (let at = 0; at < deflated.length; at += SLICE) inflate.push(deflated.subarray(at, at + SLICE), at + SLICE >= deflated.length);
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
