// The admission decision id's SHA-256 (plain code, synchronous) against Node's, across the
// padding boundaries; and the id's shape.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { admissionDecisionId, sha256 } from "../../host/k8s/decision-id.ts";

const node = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("admission decision ids", () => {
  it("SHA-256 agrees with node:crypto at every length around the block and padding boundaries", () => {
    for (const n of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
      expect(hex(sha256(b)), `length ${n}`).toBe(node(b));
    }
    expect(hex(sha256(new TextEncoder().encode("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("SHA-256 agrees with node:crypto on random input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => hex(sha256(b)) === node(b)),
      { numRuns: 300 },
    );
  });

  it("an id is a version-8 UUID, the same for the same uid, another for another", () => {
    const id = admissionDecisionId("705ab4f5-6393-11e8-b7cc-42010a800002");
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(admissionDecisionId("705ab4f5-6393-11e8-b7cc-42010a800002")).toBe(id);
    expect(admissionDecisionId("705ab4f5-6393-11e8-b7cc-42010a800003")).not.toBe(id);
  });
});
