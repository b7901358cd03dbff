// The catalogue's inflate (host/engine/inflate.ts) gives back exactly what was deflated, whatever
// the ratio: within the room it starts with, past it (retried), and for stored (raw) blocks.
import { deflateRawSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { inflateRaw } from "../../host/engine/inflate.ts";

const roundTrip = (bytes: Uint8Array, level = 9) => inflateRaw(new Uint8Array(deflateRawSync(bytes, { level })));

describe("inflateRaw", () => {
  it("round-trips text at a catalogue's ratio, far past its room, and stored blocks", () => {
    const text = new TextEncoder().encode(JSON.stringify({ levels: Array.from({ length: 40 }, (_, i) => ({ id: `L${i % 5}`, note: `note ${i * 7919 % 1000}` })) }));
    expect(roundTrip(text)).toEqual(text);
    const zeros = new Uint8Array(200_000);                 // deflates about 1000:1
    expect(roundTrip(zeros)).toEqual(zeros);
    const noise = Uint8Array.from({ length: 5000 }, (_, i) => (i * 2654435761) >>> 24);
    expect(roundTrip(noise, 0)).toEqual(noise);            // level 0: stored blocks
  });

  it("round-trips any bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4000 }), fc.integer({ min: 0, max: 9 }), (bytes, level) => {
      expect(roundTrip(bytes, level)).toEqual(bytes);
    }), { numRuns: 300 });
  });

  it("rejects what is not DEFLATE", () => {
    expect(() => inflateRaw(Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toThrow();
  });
});
