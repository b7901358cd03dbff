// What the fuzz harness needs to know of a module that the JS API does not say: the types of its
// functions (to call them with arguments of the right kind) and of its imports (to supply them),
// and a copy with its memory's maximum pinned to its minimum — the reference a metered module is
// compared with, written here independently of the meter. A plain reader of valid modules only.

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";
export interface FuncType {
  params: ValType[];
  results: ValType[];
}
export type Import =
  | { module: string; name: string; kind: "function"; type: FuncType }
  | { module: string; name: string; kind: "global"; valtype: ValType; mutable: boolean }
  | { module: string; name: string; kind: "table"; reftype: ValType; min: number; max?: number }
  | { module: string; name: string; kind: "memory"; min: number; max?: number };
export interface Shape {
  imports: Import[];
  exports: { name: string; kind: number; index: number; type?: FuncType }[];
}

const VALTYPES: Record<number, ValType> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref" };

class Bytes {
  readonly b: Uint8Array;
  at: number;
  constructor(b: Uint8Array, at = 0) {
    this.b = b;
    this.at = at;
  }
  byte(): number {
    return this.b[this.at++];
  }
  u32(): number {
    let r = 0,
      shift = 0,
      b: number;
    do {
      b = this.b[this.at++];
      r += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return r;
  }
  name(): string {
    const n = this.u32();
    const s = new TextDecoder().decode(this.b.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
  valtype(): ValType {
    const t = this.byte();
    const v = VALTYPES[t];
    if (!v) throw new Error(`value type 0x${t.toString(16)}`);
    return v;
  }
  limits(): { min: number; max?: number; at: number; end: number } {
    const at = this.at,
      flags = this.byte(),
      min = this.u32();
    const max = flags & 1 ? this.u32() : undefined;
    return { min, max, at, end: this.at };
  }
}

function sections(bytes: Uint8Array): { id: number; start: number; payload: number; end: number }[] {
  const out = [];
  const r = new Bytes(bytes, 8);
  while (r.at < bytes.length) {
    const start = r.at,
      id = r.byte(),
      size = r.u32();
    out.push({ id, start, payload: r.at, end: r.at + size });
    r.at += size;
  }
  return out;
}

export function shapeOf(bytes: Uint8Array): Shape {
  const types: FuncType[] = [],
    funcs: FuncType[] = [],
    imports: Import[] = [];
  const exports: Shape["exports"] = [];
  for (const s of sections(bytes)) {
    const r = new Bytes(bytes, s.payload);
    if (s.id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        r.byte();
        const params = Array.from({ length: r.u32() }, () => r.valtype());
        const results = Array.from({ length: r.u32() }, () => r.valtype());
        types.push({ params, results });
      }
    } else if (s.id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        const module = r.name(),
          name = r.name(),
          kind = r.byte();
        if (kind === 0) {
          const type = types[r.u32()];
          funcs.push(type);
          imports.push({ module, name, kind: "function", type });
        } else if (kind === 1) {
          const reftype = r.valtype();
          const { min, max } = r.limits();
          imports.push({ module, name, kind: "table", reftype, min, max });
        } else if (kind === 2) {
          const { min, max } = r.limits();
          imports.push({ module, name, kind: "memory", min, max });
        } else {
          const valtype = r.valtype();
          imports.push({ module, name, kind: "global", valtype, mutable: r.byte() === 1 });
        }
      }
    } else if (s.id === 3) {
      for (let n = r.u32(); n > 0; n--) funcs.push(types[r.u32()]);
    } else if (s.id === 7) {
      for (let n = r.u32(); n > 0; n--) {
        const name = r.name(),
          kind = r.byte(),
          index = r.u32();
        exports.push({ name, kind, index, ...(kind === 0 ? { type: funcs[index] } : {}) });
      }
    }
  }
  return { imports, exports };
}

const u32 = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};

/** The module with each of its own memories' maximum set to its minimum (what metering does to memory, and nothing else). */
export function pinMemory(bytes: Uint8Array): Uint8Array {
  const memory = sections(bytes).find((s) => s.id === 5);
  if (!memory) return bytes;
  const r = new Bytes(bytes, memory.payload);
  const n = r.u32();
  const body = [...u32(n)];
  for (let i = 0; i < n; i++) {
    const { min } = r.limits();
    body.push(0x01, ...u32(min), ...u32(min));
  }
  return new Uint8Array([...bytes.subarray(0, memory.start), 5, ...u32(body.length), ...body, ...bytes.subarray(memory.end)]);
}
