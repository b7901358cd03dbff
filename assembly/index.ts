// The policy module's exports: the ABI the engine (host/engine/abi.ts) speaks. Numbers and
// fixed buffers cross the boundary, never strings; the policy's text sits in memory once, as
// deflated UTF-8, for the host to read. Its metadata is in the isoplace.meta custom section only
// (ABI 2: no copy in memory, to leave room for the runtime tables within 8 KiB).
import { CATALOGUE, CATALOGUE_LENGTH, CONSTRAINT_SETS, SCENARIOS, VECTORS, VECTOR_COUNT } from "./policy";
import { COMPARISON, FIGURES, IN, OUT, RFIG, SCORES, decide } from "./rules";

export { decide, rank, compare } from "./rules";

/** Bumped whenever the layout of a buffer or the meaning of an export changes. */
export function abiVersion(): i32 { return 2; }

export function input(): usize { return IN; }
export function output(): usize { return OUT; }
export function scores(): usize { return SCORES; }
export function comparison(): usize { return COMPARISON; }
export function figures(): usize { return FIGURES; }
export function runtimeFigures(): usize { return RFIG; }
export function scenarios(): usize { return SCENARIOS; }
export function catalogue(): usize { return CATALOGUE; }
export function catalogueLength(): i32 { return CATALOGUE_LENGTH; }
/** Where the self-test vectors (0) and their constraint sets (1) are, for `policy test` (optional export). */
export function vectors(table: i32): usize { return table ? CONSTRAINT_SETS : VECTORS; }

const VECTOR_STRIDE = 13;  // scenario i8, performance i8, security i8, expected-levels mask u8,
                           // runtimes u16, constraint set u8 (255 none), artifact u8 (0 any),
                           // needs u32, expected runtime + 1 u8 (0 any)

/**
 * Runs the self-test vectors built into the module from its policy source. Returns 0 when all
 * pass, else the 1-based index of the first that fails. Leaves IN cleared.
 */
export function selfTest(): i32 {
  let failed = 0;
  for (let v = 0; v < VECTOR_COUNT && !failed; v++) {
    const base = VECTORS + v * VECTOR_STRIDE;
    const set = <i32>load<u8>(base + 6);
    for (let k = 0; k < 4; k++) {
      store<f64>(IN + (k << 3), set == 255 ? NaN : load<f64>(CONSTRAINT_SETS + ((set * 4 + k) << 3)));
    }
    const level = decide(load<i8>(base), load<i8>(base + 1), load<i8>(base + 2), load<u32>(base + 8), load<u16>(base + 4), <i32>load<u8>(base + 7) << 1);
    const runtime = <i32>load<u8>(base + 12) - 1;
    if (!((load<u8>(base + 3) >> level) & 1) || (runtime >= 0 && load<i32>(OUT + 4) != runtime)) failed = v + 1;
  }
  for (let k = 0; k < 4; k++) store<f64>(IN + (k << 3), NaN);
  return failed;
}
