// Decision ids come from the engine's own pool of randomness (host/engine/decision-id.ts): they
// must stay RFC 9562 version-4 UUIDs, and distinct across pool refills.
import { describe, expect, it } from "vitest";
import { decisionId } from "../../host/engine/decision-id.ts";

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("decision ids", () => {
  it("are version-4 UUIDs, all distinct, across several refills of the pool", () => {
    const ids = Array.from({ length: 3 * 4096 + 7 }, decisionId);
    for (const id of ids) expect(id).toMatch(V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("use every hex digit in every free position (no fixed or biased bits beyond version and variant)", () => {
    const ids = Array.from({ length: 4096 }, decisionId);
    for (let pos = 0; pos < 36; pos++) {
      if ([8, 13, 18, 23, 14].includes(pos)) continue; // dashes; the version digit
      const seen = new Set(ids.map((id) => id[pos]));
      expect(seen.size, `position ${pos}`).toBe(pos === 19 ? 4 : 16);
    }
  });
});
