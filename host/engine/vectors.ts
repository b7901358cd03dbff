// The self-test vectors a module carries, read back as decide requests (for `policy test` on a
// built module). The layout mirrors assembly/index.ts (VECTOR_STRIDE); the optional export
// `vectors(table)` says where they are. A module without it yields none.
import type { PolicyExports } from "./abi.ts";
import { vectorNames, type Catalogue } from "./catalogue.ts";
import type { RequestTables } from "./request.ts";
import { CONSTRAINT_KEYS } from "./request.ts";
import { ARTIFACT_IDS, LEVEL_IDS, type LevelId } from "./vocabulary.ts";

export interface SelfTestVector {
  name: string;
  /** A POST /v1/decide body (ids, no weights); no `node` means every runtime. */
  request: { workload: Record<string, unknown>; node?: { runtimes: string[] } };
  /** The levels it may answer; null among them: nothing feasible. */
  expect: (LevelId | null)[];
  /** The runtime the answer must name, where the vector names one. */
  runtime?: string;
}

// scenario i8, performance i8, security i8, expected-levels mask u8, runtimes u16, constraint
// set u8 (255 none), artifact u8 (0 any, else index + 1), needs u32, expected runtime + 1 u8 (0 any)
const STRIDE = 13;

export function readVectors(x: PolicyExports, catalogue: Catalogue, tables: RequestTables): SelfTestVector[] {
  const names = vectorNames(catalogue);
  const locate = (x as PolicyExports & { vectors?: (table: number) => number }).vectors;
  if (!locate || !names.length) return [];
  const bytes = new DataView(x.memory.buffer, locate(0), names.length * STRIDE);
  const sets = locate(1);
  const all = (1 << catalogue.runtimes.length) - 1;
  return names.map((name, v) => {
    const at = v * STRIDE;
    const scenario = bytes.getInt8(at),
      performance = bytes.getInt8(at + 1),
      security = bytes.getInt8(at + 2);
    const expectMask = bytes.getUint8(at + 3),
      runtimes = bytes.getUint16(at + 4, true),
      set = bytes.getUint8(at + 6);
    const artifact = bytes.getUint8(at + 7),
      needs = bytes.getUint32(at + 8, true),
      runtime = bytes.getUint8(at + 12);
    const workload: Record<string, unknown> = {};
    if (scenario >= 0) workload.scenario = tables.scenario.ids[scenario];
    if (artifact > 0) workload.artifact = ARTIFACT_IDS[artifact - 1];
    // the first need of a group is the byte; the rest of the group from the mask (their order does not count)
    for (const [group, first] of [
      ["performance", performance],
      ["security", security],
      ["cost", -1],
    ] as const) {
      const ids = catalogue.needs.flatMap((n, i) => (n.group === group && (needs >>> i) & 1 && i !== first ? [n.id] : []));
      if (first >= 0) ids.unshift(catalogue.needs[first].id);
      if (ids.length) workload[group] = ids;
    }
    if (set !== 255) {
      const k = new Float64Array(x.memory.buffer.slice(sets + set * 32, sets + set * 32 + 32));
      const constraints: Record<string, number> = {};
      CONSTRAINT_KEYS.forEach((key, i) => {
        if (!Number.isNaN(k[i])) constraints[key] = k[i];
      });
      workload.constraints = constraints;
    }
    const request: SelfTestVector["request"] = { workload };
    if (runtimes !== all) request.node = { runtimes: catalogue.runtimes.flatMap((r, i) => ((runtimes >> i) & 1 ? [r.id] : [])) };
    const expect = LEVEL_IDS.flatMap((id, l) => ((expectMask >> l) & 1 ? [l === 0 ? null : id] : []));
    return { name, request, expect, ...(runtime > 0 ? { runtime: catalogue.runtimes[runtime - 1].id } : {}) };
  });
}
