// The meter: rewrites a policy module's bytes so that every call into it is bounded. It appends
// one mutable i32 global (the budget, exported as BUDGET_EXPORT) and a function that sets it
// (ARM_EXPORT) — appended, so no index the module uses moves — and charges the budget
//   - at every function entry, for every instruction written in the function's body,
//   - at the top of every loop body (every backward jump in Wasm is a loop's), for every
//     instruction written in the loop's body,
//   - before memory.fill/copy/init and the table bulk operations, one unit per 64 bytes,
// and executes `unreachable` when the budget cannot pay, leaving it negative (how the host tells
// a budget trap from any other). A pass through a body runs each instruction in it at most once
// (nested loops and callees pay for their own passes), so units bound the instructions a call
// runs. Loops alone would not do: recursion that fans out (f calls f twice, 48 deep) is
// exponential without a loop and without ever overflowing the stack. The decoder knows every
// instruction AssemblyScript 0.28 can emit (MVP, sign extension, non-trapping float-to-int, bulk
// memory, reference types and ref.as_non_null, SIMD, multi-value block types) and refuses anything
// else — tail calls, exceptions, threads, GC and typed references, multi-memory, memory64 — rather
// than guess where it ends.
// Nothing the module does may reach the meter's own state: the bytes must be valid WebAssembly
// before anything is rewritten (code that names global G is invalid alone and valid once G is
// the budget), and every index the module uses (function, global, local, type, table, memory,
// data, element) must be one it defines itself, so neither the budget, nor arm(), nor their type,
// nor the scratch local can be named. Its memory's maximum is pinned to its minimum (memory.grow
// then fails, answering -1), so a host's views of that memory never go stale.
// Runtime-neutral, no dependencies: the engine runs it at every activation, on every host.

/** The export under which a metered module exposes its budget (and by which one is recognised). */
export const BUDGET_EXPORT = "__isoplace_budget";
/** An exported function that sets the budget: a call into Wasm costs a few ns, WebAssembly.Global's setter ~50. */
export const ARM_EXPORT = "__isoplace_arm";

/**
 * Why a module cannot be metered: "invalid", not valid WebAssembly (or it names something it does
 * not define); "unsupported", valid but with an instruction or feature the meter cannot bound;
 * "memory", its memory is larger than the meter allows.
 */
export type MeterRefusal = "invalid" | "unsupported" | "memory";

/** The module cannot be metered. */
export class MeterError extends Error {
  readonly kind: MeterRefusal;
  constructor(message: string, kind: MeterRefusal = "unsupported") {
    super(message);
    this.name = "MeterError";
    this.kind = kind;
  }
}

const invalid = (message: string) => new MeterError(message, "invalid");

/** The most 64 KiB pages a module's memory may have (4 MiB; a policy built by `policy build` has one). */
export const MAX_MEMORY_PAGES = 64;

export interface MeterOptions {
  /** The budget's initial value: what instantiation (a start function) may spend. */
  initial: number;
  /** The most pages the module's memory may have (default MAX_MEMORY_PAGES). */
  maxMemoryPages?: number;
}

/** The value types the meter knows: numbers, v128, funcref, externref (one byte each; typed references are GC's, refused). */
const VALUE_TYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);

function valueType(r: Reader, where: string): number {
  const t = r.byte();
  if (!VALUE_TYPES.has(t)) throw new MeterError(`${where}: value type 0x${t.toString(16)} (a typed reference) is not metered`);
  return t;
}

/** Bytes charged one unit by the bulk memory/table operations. */
const BULK_SHIFT = 6;

// Section ids in the order a module must have them (custom sections, id 0, may be anywhere).
const ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
const GLOBAL = 6,
  EXPORT = 7,
  CODE = 10,
  TYPE = 1,
  IMPORT = 2,
  FUNCTION = 3,
  MEMORY = 5;
const rank = (id: number) => ORDER.indexOf(id);

class Reader {
  readonly b: Uint8Array;
  readonly end: number;
  pos: number;
  constructor(b: Uint8Array, pos = 0, end = b.length) {
    this.b = b;
    this.pos = pos;
    this.end = end;
  }
  byte(): number {
    if (this.pos >= this.end) throw invalid(`unexpected end at byte ${this.pos}`);
    return this.b[this.pos++];
  }
  u32(): number {
    let result = 0,
      shift = 0,
      byte: number;
    do {
      byte = this.byte();
      if (shift === 28 && byte > 0x0f) throw invalid(`LEB128 u32 too long at byte ${this.pos - 1}`);
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return result >>> 0;
  }
  /** Reads a signed LEB128 of at most `bits` bits (exact up to 2^53: enough for a block type's 33). */
  sleb(bits: number): number {
    let result = 0,
      shift = 0,
      byte: number,
      n = 0;
    do {
      byte = this.byte();
      if (++n > Math.ceil(bits / 7)) throw invalid(`LEB128 too long at byte ${this.pos - 1}`);
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return byte & 0x40 ? result - 2 ** shift : result;
  }
  skip(n: number): void {
    if (this.pos + n > this.end) throw invalid(`unexpected end at byte ${this.pos}`);
    this.pos += n;
  }
  name(): void {
    this.skip(this.u32());
  }
  /** Memory or table limits: the minimum (the maximum is skipped). */
  limits(): number {
    const flags = this.byte();
    if (flags & ~0x01) throw new MeterError(`memory or table limits with flags 0x${flags.toString(16)} (shared or 64-bit) are not metered`);
    const min = this.u32();
    if (flags & 1) this.u32();
    return min;
  }
}

class Writer {
  private buf = new Uint8Array(1024);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  u32(v: number): void {
    do {
      let byte = v & 0x7f;
      v >>>= 7;
      if (v) byte |= 0x80;
      this.byte(byte);
    } while (v);
  }
  s32(v: number): void {
    for (;;) {
      const byte = v & 0x7f;
      v >>= 7;
      if ((v === 0 && !(byte & 0x40)) || (v === -1 && byte & 0x40)) {
        this.byte(byte);
        return;
      }
      this.byte(byte | 0x80);
    }
  }
  section(id: number, body: Writer | Uint8Array): void {
    const bytes = body instanceof Writer ? body.done() : body;
    this.byte(id);
    this.u32(bytes.length);
    this.bytes(bytes);
  }
  /** A placeholder for an i32 patched later: always 5 bytes (a padded LEB128). */
  slot(): number {
    const at = this.length;
    this.room(5);
    this.length += 5;
    return at;
  }
  patch(at: number, v: number): void {
    for (let i = 0; i < 4; i++) this.buf[at + i] = ((v >>> (7 * i)) & 0x7f) | 0x80;
    this.buf[at + 4] = (v >>> 28) & 0x07; // v < 2^31: the sign bit of the last group is 0
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

// The instruction sequences the meter inserts (g: the budget global's index, t: a scratch local).
/** Pays what is on top of the stack: t = budget - units; budget = t; if (t < 0) unreachable. */
function pay(w: Writer, g: number, t: number): void {
  w.byte(0x6b);
  w.byte(0x22);
  w.u32(t);
  w.byte(0x24);
  w.u32(g); // i32.sub local.tee global.set
  w.byte(0x20);
  w.u32(t);
  w.byte(0x41);
  w.byte(0x00);
  w.byte(0x48); // local.get i32.const 0 i32.lt_s
  w.byte(0x04);
  w.byte(0x40);
  w.byte(0x00);
  w.byte(0x0b); // if unreachable end
}

/** Pays k units, k patched in when the body's end is known. Returns k's slot. */
function check(w: Writer, g: number, t: number): number {
  w.byte(0x23);
  w.u32(g);
  w.byte(0x41);
  const k = w.slot();
  pay(w, g, t);
  return k;
}

/** Before a bulk operation: its length is on top of the stack; keep it, and pay length >>> SHIFT. */
function charge(g: number, t: number): Uint8Array {
  const w = new Writer();
  w.byte(0x22);
  w.u32(t); // local.tee t (the length stays)
  w.byte(0x23);
  w.u32(g);
  w.byte(0x20);
  w.u32(t);
  w.byte(0x41);
  w.byte(BULK_SHIFT);
  w.byte(0x76); // budget, t >>> SHIFT
  pay(w, g, t);
  return w.done();
}

/** The 0xFC (bulk) sub-opcodes charged by length, and each 0xFC instruction's immediates (the index spaces they name). */
const FC_CHARGED = new Set([8, 10, 11, 12, 14, 15, 17]);
type Space = "types" | "funcs" | "globals" | "tables" | "memories" | "data" | "elems";
const FC_IMMEDIATES: readonly (readonly Space[])[] = [
  [],
  [],
  [],
  [],
  [],
  [],
  [],
  [], // 0–7: saturating truncation
  ["data", "memories"],
  ["data"],
  ["memories", "memories"],
  ["memories"], // memory.init, data.drop, memory.copy, memory.fill
  ["elems", "tables"],
  ["elems"],
  ["tables", "tables"],
  ["tables"],
  ["tables"],
  ["tables"], // table.init, elem.drop, table.copy/grow/size/fill
];

// Each opcode's immediates (0: an instruction the meter does not know, refused).
const UNKNOWN = 0,
  NONE = 1,
  LABEL = 2,
  MEMARG = 3,
  BLOCK = 4,
  LOOP = 5,
  END = 6,
  BR_TABLE = 7,
  CALL_INDIRECT = 8,
  SELECT_T = 9,
  MEM_INDEX = 10,
  S32 = 11,
  S64 = 12,
  BYTES4 = 13,
  BYTES8 = 14,
  BYTE = 15,
  BULK = 16,
  SIMD = 17,
  FUNC = 18,
  LOCAL = 19,
  GLOBAL_INDEX = 20,
  TABLE_INDEX = 21;
const KIND = new Uint8Array(256);
{
  const set = (kind: number, ...ops: number[]) => {
    for (const op of ops) KIND[op] = kind;
  };
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  set(NONE, 0x00, 0x01, 0x05, 0x0f, 0x1a, 0x1b, 0xd1, 0xd4, ...range(0x45, 0xc4)); // MVP numeric, sign extension, ref.is_null, ref.as_non_null
  set(BLOCK, 0x02, 0x04);
  set(LOOP, 0x03);
  set(END, 0x0b);
  set(LABEL, 0x0c, 0x0d);
  set(FUNC, 0x10, 0xd2); // br, br_if; call, ref.func
  set(LOCAL, 0x20, 0x21, 0x22);
  set(GLOBAL_INDEX, 0x23, 0x24);
  set(TABLE_INDEX, 0x25, 0x26);
  set(BR_TABLE, 0x0e);
  set(CALL_INDIRECT, 0x11);
  set(SELECT_T, 0x1c);
  set(MEMARG, ...range(0x28, 0x3e));
  set(MEM_INDEX, 0x3f, 0x40);
  set(S32, 0x41);
  set(S64, 0x42);
  set(BYTES4, 0x43);
  set(BYTES8, 0x44);
  set(BYTE, 0xd0);
  set(BULK, 0xfc);
  set(SIMD, 0xfd);
  if (KIND[0x06] !== UNKNOWN || KIND[0x12] !== UNKNOWN || KIND[0xfe] !== UNKNOWN) throw new Error("meter: opcode table");
}

/**
 * How many of each thing the original module defines (imported ones included). An index at or
 * past one of these names nothing of the module's own — or, once metered, the meter's budget,
 * arm() or its type: refused.
 */
interface Spaces {
  types: number;
  funcs: number;
  globals: number;
  tables: number;
  memories: number;
  data: number;
  elems: number;
}

const SPACE_NAMES: Record<Space, string> = {
  types: "type",
  funcs: "function",
  globals: "global",
  tables: "table",
  memories: "memory",
  data: "data segment",
  elems: "element segment",
};

function index(spaces: Spaces, space: Space, i: number, at: number): number {
  if (i >= spaces[space]) throw invalid(`byte ${at}: ${SPACE_NAMES[space]} ${i} is not defined by the module (it has ${spaces[space]})`);
  return i;
}

function memarg(r: Reader, at: number, spaces: Spaces): void {
  const align = r.u32();
  if (align & 0x40) throw new MeterError(`multi-memory access at byte ${at} is not metered`);
  index(spaces, "memories", 0, at);
  r.u32();
}

/** 0xFD (SIMD) sub-opcodes up to 0xFF; relaxed SIMD (0x100…) is refused. */
function simd(r: Reader, at: number, spaces: Spaces): void {
  const op = r.u32();
  if (op <= 11 || op === 92 || op === 93)
    memarg(r, at, spaces); // loads, store, load_zero
  else if (op === 12 || op === 13)
    r.skip(16); // v128.const, i8x16.shuffle
  else if (op >= 21 && op <= 34)
    r.skip(1); // extract/replace lane
  else if (op >= 84 && op <= 91) {
    memarg(r, at, spaces);
    r.skip(1);
  } // load/store lane
  else if (op > 255) throw new MeterError(`unknown SIMD instruction 0xfd ${op} at byte ${at}`);
}

/** A block type: empty (0x40), a value type, or a type index (one the module defines). */
function blockType(r: Reader, spaces: Spaces): void {
  const at = r.pos,
    first = r.b[at];
  if (first === 0x40 || VALUE_TYPES.has(first)) {
    r.pos++;
    return;
  }
  const t = r.sleb(33);
  if (t < 0) throw new MeterError(`byte ${at}: block type 0x${first.toString(16)} (a typed reference) is not metered`);
  index(spaces, "types", t, at);
}

/**
 * Copies one function body, inserting the checks. `params` is its parameter count (the scratch
 * local's index is params + its locals). Returns the new body (locals included).
 */
function meterBody(r: Reader, end: number, params: number, g: number, fn: number, spaces: Spaces): Uint8Array {
  const w = new Writer();
  const groups = r.u32();
  let locals = 0;
  const decl = new Writer();
  for (let i = 0; i < groups; i++) {
    const n = r.u32();
    const type = r.byte();
    if (!VALUE_TYPES.has(type)) throw new MeterError(`function ${fn}: a local of type 0x${type.toString(16)} is not metered`);
    locals += n;
    if (locals > 50_000) throw invalid(`function ${fn}: more than 50,000 locals`);
    decl.u32(n);
    decl.byte(type);
  }
  const scratch = params + locals;
  const chg = charge(g, scratch);
  const out = new Writer();
  // Each charge pays for every instruction written inside its function or loop body: whatever
  // one pass through it runs (nested loops and callees pay again for their own passes).
  let count = 0;
  const frames: { start: number; slot?: number }[] = [{ start: 0, slot: check(out, g, scratch) }];
  let copied = r.pos;
  const flush = (upto: number) => {
    out.bytes(r.b.subarray(copied, upto));
    copied = upto;
  };
  while (r.pos < end) {
    const at = r.pos;
    const op = r.byte();
    count++;
    switch (KIND[op]) {
      case NONE:
        break;
      case LABEL:
        r.u32();
        break;
      case FUNC:
        index(spaces, "funcs", r.u32(), at);
        break;
      case LOCAL:
        if (r.u32() >= scratch) throw invalid(`function ${fn}: byte ${at} names a local it does not have (it has ${scratch})`);
        break;
      case GLOBAL_INDEX:
        index(spaces, "globals", r.u32(), at);
        break;
      case TABLE_INDEX:
        index(spaces, "tables", r.u32(), at);
        break;
      case MEMARG:
        memarg(r, at, spaces);
        break;
      case LOOP: // a charge at the top of its body
        blockType(r, spaces);
        flush(r.pos);
        frames.push({ start: count, slot: check(out, g, scratch) });
        break;
      case BLOCK:
        blockType(r, spaces);
        frames.push({ start: count });
        break; // block, if
      case END: {
        const f = frames.pop();
        if (!f) throw invalid(`function ${fn}: an end without a block at byte ${at}`);
        if (f.slot !== undefined) out.patch(f.slot, Math.min(count - f.start, 0x7fffffff));
        break;
      }
      case BR_TABLE: {
        const n = r.u32();
        for (let i = 0; i <= n; i++) r.u32();
        break;
      }
      case CALL_INDIRECT:
        index(spaces, "types", r.u32(), at);
        index(spaces, "tables", r.u32(), at);
        break;
      case SELECT_T:
        for (let n = r.u32(); n > 0; n--) valueType(r, `function ${fn}, byte ${at}`);
        break; // select t*
      case MEM_INDEX:
        if (r.u32() !== 0) throw new MeterError(`function ${fn}: multi-memory at byte ${at}`);
        index(spaces, "memories", 0, at);
        break;
      case S32:
        r.sleb(32);
        break;
      case S64:
        r.sleb(64);
        break;
      case BYTES4:
        r.skip(4);
        break;
      case BYTES8:
        r.skip(8);
        break;
      case BYTE:
        r.byte();
        break; // ref.null t
      case BULK: {
        const sub = r.u32();
        const immediates = FC_IMMEDIATES[sub];
        if (immediates === undefined) throw new MeterError(`function ${fn}: unknown instruction 0xfc ${sub} at byte ${at}`);
        if (FC_CHARGED.has(sub)) {
          flush(at);
          out.bytes(chg);
        }
        for (const space of immediates) index(spaces, space, r.u32(), at);
        break;
      }
      case SIMD:
        simd(r, at, spaces);
        break;
      default:
        throw new MeterError(`function ${fn}: unknown instruction 0x${op.toString(16).padStart(2, "0")} at byte ${at}`);
    }
  }
  if (r.pos !== end || frames.length) throw invalid(`function ${fn}: the body does not end where its size says`);
  flush(end);
  w.u32(groups + 1);
  w.bytes(decl.done());
  w.u32(1);
  w.byte(0x7f); // the scratch local
  w.bytes(out.done());
  return w.done();
}

/**
 * A constant expression (a global's initial value, a segment's offset or element): only the
 * instructions one may hold, naming only what the module defines — `globals` is how many it may
 * read (a global's initializer sees the imported ones and those before it).
 */
function constExpr(r: Reader, spaces: Spaces, globals: number): void {
  for (;;) {
    const at = r.pos,
      op = r.byte();
    if (op === 0x0b) return;
    if (op === 0x41) r.sleb(32);
    else if (op === 0x42) r.sleb(64);
    else if (op === 0x43) r.skip(4);
    else if (op === 0x44) r.skip(8);
    else if (op === 0xd0) r.byte();
    else if (op === 0xd2) index(spaces, "funcs", r.u32(), at);
    else if (op === 0x23) {
      const i = r.u32();
      if (i >= globals) throw invalid(`byte ${at}: a constant expression reads global ${i}, which it may not (${globals} may be read there)`);
    } else if (op === 0xfd && r.u32() === 12)
      r.skip(16); // v128.const
    else if ([0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e].includes(op))
      continue; // extended constants: add, sub, mul
    else throw invalid(`byte ${at}: 0x${op.toString(16)} in a constant expression`);
  }
}

/** Checks the element section's function indices and expressions. */
function elements(s: Reader, spaces: Spaces): void {
  for (let n = s.u32(), i = 0; i < n; i++) {
    const flags = s.u32();
    if (flags > 7) throw invalid(`element segment ${i} has flags ${flags}`);
    if (flags & 2 && !(flags & 1)) index(spaces, "tables", s.u32(), s.pos); // an explicit table
    if (!(flags & 1)) constExpr(s, spaces, spaces.globals); // active: its offset
    if (flags & 3 && flags & 4)
      valueType(s, `element segment ${i}`); // its reftype
    else if (flags & 3 && s.byte() !== 0) throw invalid(`element segment ${i}: an element kind other than funcref`);
    for (let k = s.u32(), j = 0; j < k; j++) {
      if (flags & 4) constExpr(s, spaces, spaces.globals);
      else index(spaces, "funcs", s.u32(), s.pos);
    }
  }
}

/** Checks the data section's memory indices and offsets. */
function dataSegments(s: Reader, spaces: Spaces): void {
  for (let n = s.u32(), i = 0; i < n; i++) {
    const flags = s.u32();
    if (flags > 2) throw invalid(`data segment ${i} has flags ${flags}`);
    if (flags !== 1) {
      index(spaces, "memories", flags === 2 ? s.u32() : 0, s.pos);
      constExpr(s, spaces, spaces.globals);
    }
    s.skip(s.u32());
  }
}

/** Rewrites a module's bytes into its metered form. Throws MeterError when it cannot. */
export function meter(bytes: Uint8Array, { initial, maxMemoryPages = MAX_MEMORY_PAGES }: MeterOptions): Uint8Array {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (bytes.length < 8 || header.some((b, i) => bytes[i] !== b)) throw invalid("not a WebAssembly 1.0 module (magic number and version)");
  // the platform's own decoder and validator, first: nothing invalid is rewritten (see the top)
  if (typeof WebAssembly?.validate !== "function") throw invalid("this platform cannot validate WebAssembly, so nothing can be metered");
  if (!WebAssembly.validate(bytes as BufferSource)) throw invalid("not a valid WebAssembly module");
  const r = new Reader(bytes, 8);

  const params: number[] = []; // by type index
  const funcTypes: number[] = []; // by function index (imported first)
  const spaces: Spaces = { types: 0, funcs: 0, globals: 0, tables: 0, memories: 0, data: 0, elems: 0 };
  let definedFunctions = 0,
    dataCount: number | undefined;
  const memories: number[] = []; // the minimum of each own memory
  const sections: { id: number; start: number; end: number }[] = [];
  let last = 0;
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const start = r.pos,
      end = start + size;
    if (end > bytes.length) throw invalid(`section ${id} runs past the end of the module`);
    if (id !== 0 && rank(id) < 0) throw new MeterError(`unknown section id ${id}`);
    if (id !== 0 && rank(id) <= last - 1) throw invalid(`section ${id} is out of order or repeated`);
    if (id !== 0) last = rank(id) + 1;
    sections.push({ id, start, end });
    const s = new Reader(bytes, start, end);
    if (id === TYPE) {
      for (let n = s.u32(), i = 0; i < n; i++) {
        const form = s.byte();
        if (form !== 0x60) throw new MeterError(`type ${i} is not a function type (0x${form.toString(16)})`);
        const p = s.u32();
        for (let k = 0; k < p; k++) valueType(s, `type ${i}`);
        for (let k = s.u32(); k > 0; k--) valueType(s, `type ${i}`);
        params.push(p);
      }
      spaces.types = params.length;
    } else if (id === IMPORT) {
      for (let n = s.u32(), i = 0; i < n; i++) {
        s.name();
        s.name();
        const kind = s.byte();
        if (kind === 0) funcTypes.push(index(spaces, "types", s.u32(), s.pos));
        else if (kind === 1) {
          valueType(s, "an imported table");
          s.limits();
          spaces.tables++;
        } else if (kind === 2) throw new MeterError("an imported memory is not metered (its maximum cannot be pinned)");
        else if (kind === 3) {
          valueType(s, "an imported global");
          s.byte();
          spaces.globals++;
        } else throw new MeterError(`an import of kind ${kind} is not metered`);
      }
    } else if (id === FUNCTION) {
      definedFunctions = s.u32();
      for (let i = 0; i < definedFunctions; i++) funcTypes.push(index(spaces, "types", s.u32(), s.pos));
    } else if (id === 4) {
      for (let n = s.u32(), i = 0; i < n; i++) {
        valueType(s, `table ${i}`);
        s.limits();
        spaces.tables++;
      }
    } else if (id === MEMORY) {
      for (let n = s.u32(), i = 0; i < n; i++) {
        const min = s.limits();
        if (min > maxMemoryPages) throw new MeterError(`the module's memory starts at ${min} pages of 64 KiB; at most ${maxMemoryPages} are allowed`, "memory");
        memories.push(min);
      }
    } else if (id === GLOBAL) {
      for (let n = s.u32(), i = 0; i < n; i++) {
        valueType(s, `global ${spaces.globals}`);
        s.byte();
        constExpr(s, spaces, spaces.globals); // sees the globals before it
        spaces.globals++;
      }
    } else if (id === EXPORT) {
      for (let n = s.u32(), i = 0; i < n; i++) {
        const len = s.u32();
        const exported = utf8(bytes.subarray(s.pos, s.pos + len));
        if (exported === BUDGET_EXPORT || exported === ARM_EXPORT) throw new MeterError(`the module already exports ${exported}, a name the meter reserves`);
        s.skip(len);
        const kind = s.byte();
        const space = (["funcs", "tables", "memories", "globals"] as const)[kind];
        if (!space) throw invalid(`export ${i} is of kind ${kind}`);
        index(spaces, space, s.u32(), s.pos);
      }
    } else if (id === 8) {
      // the start function: one of the module's own, metered like any other
      index(spaces, "funcs", s.u32(), s.pos);
    } else if (id === 9) {
      spaces.elems = s.u32();
      s.pos = start;
      elements(s, spaces);
    } else if (id === 12) {
      dataCount = s.u32();
    }
    r.pos = end;
    spaces.funcs = funcTypes.length; // what the sections after this one may name
    spaces.memories = memories.length;
  }
  spaces.data = dataCount ?? 0;
  const dataSection = sections.find((x) => x.id === 11);
  if (dataSection) {
    const s = new Reader(bytes, dataSection.start, dataSection.end);
    const n = s.u32();
    if (dataCount !== undefined && n !== dataCount) throw invalid(`the data count section says ${dataCount}, the data section has ${n}`);
    spaces.data = n;
    s.pos = dataSection.start;
    dataSegments(s, spaces);
  }

  const g = spaces.globals; // the budget: appended, so no index moves
  const imported = funcTypes.length - definedFunctions;
  const arm = funcTypes.length; // the arm function: appended too
  // What each section gains, appended after its own entries (a section the module lacks is created).
  const enc = (f: (w: Writer) => void) => {
    const w = new Writer();
    f(w);
    return w.done();
  };
  const name = (w: Writer, n: string) => {
    const b = new TextEncoder().encode(n);
    w.u32(b.length);
    w.bytes(b);
  };
  const added = new Map<number, { count: number; bytes: Uint8Array }>([
    [TYPE, { count: 1, bytes: new Uint8Array([0x60, 1, 0x7f, 0]) }], // (i32) -> ()
    [FUNCTION, { count: 1, bytes: enc((w) => w.u32(params.length)) }],
    [
      GLOBAL,
      {
        count: 1,
        bytes: enc((w) => {
          w.byte(0x7f);
          w.byte(0x01);
          w.byte(0x41);
          w.s32(initial | 0);
          w.byte(0x0b);
        }),
      },
    ],
    [
      EXPORT,
      {
        count: 2,
        bytes: enc((w) => {
          name(w, BUDGET_EXPORT);
          w.byte(0x03);
          w.u32(g);
          name(w, ARM_EXPORT);
          w.byte(0x00);
          w.u32(arm);
        }),
      },
    ],
    [
      CODE,
      {
        count: 1,
        bytes: enc((w) => {
          const body = enc((b) => {
            b.byte(0);
            b.byte(0x20);
            b.byte(0);
            b.byte(0x24);
            b.u32(g);
            b.byte(0x0b);
          });
          w.u32(body.length);
          w.bytes(body);
        }),
      },
    ],
  ]);
  const out = new Writer();
  out.bytes(bytes.subarray(0, 8));
  const emit = (id: number, count: number, entries: Uint8Array) => {
    const extra = added.get(id)!;
    added.delete(id);
    out.section(
      id,
      enc((w) => {
        w.u32(count + extra.count);
        w.bytes(entries);
        w.bytes(extra.bytes);
      }),
    );
  };
  const before = (next: number) => {
    // creates the sections still missing that rank before `next`
    for (const id of ORDER) if (rank(id) < next && added.has(id)) emit(id, 0, new Uint8Array(0));
  };
  for (const { id, start, end } of sections) {
    if (id !== 0) before(rank(id));
    const s = new Reader(bytes, start, end);
    if (id === CODE) {
      const w = new Writer();
      const n = s.u32();
      if (n !== definedFunctions) throw invalid(`the code section has ${n} bodies for ${definedFunctions} functions`);
      for (let i = 0; i < n; i++) {
        const size = s.u32();
        const bodyEnd = s.pos + size;
        if (bodyEnd > end) throw invalid(`function ${imported + i}: its body runs past the code section`);
        const type = funcTypes[imported + i];
        const body = meterBody(new Reader(bytes, s.pos, bodyEnd), bodyEnd, params[type], g, imported + i, spaces);
        w.u32(body.length);
        w.bytes(body);
        s.pos = bodyEnd;
      }
      if (s.pos !== end) throw invalid("the code section does not end where its size says");
      emit(CODE, n, w.done());
    } else if (id === MEMORY) {
      // the maximum pinned to the minimum: memory.grow fails (-1), and views of the memory stay valid
      out.section(
        MEMORY,
        enc((w) => {
          w.u32(memories.length);
          for (const min of memories) {
            w.byte(0x01);
            w.u32(min);
            w.u32(min);
          }
        }),
      );
    } else if (added.has(id)) {
      const n = s.u32();
      emit(id, n, bytes.subarray(s.pos, end));
    } else {
      out.section(id, bytes.subarray(start, end));
    }
  }
  if (definedFunctions && !sections.some((x) => x.id === CODE)) throw invalid(`${definedFunctions} functions without a code section`);
  before(ORDER.length); // no section after them: append what is still missing
  return out.done();
}

const utf8 = (b: Uint8Array) => new TextDecoder().decode(b);
