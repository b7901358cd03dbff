// The differential check of the meter (host/engine/meter.ts) on one module: the module run as it
// is (its memory's maximum pinned, as metering pins it) and metered, call by call in the same
// order with the same imports; every answer, trap, import call and exported state must agree. A
// metered call that finishes spends an exact number of units: with one unit less it must trap
// with the budget negative (the budget error), with exactly that many it must answer the same.
// Runs in a worker thread (meter-fuzz-worker.ts) that the test can kill: a call that never
// returns is caught by the test's wall clock, never by anything inside the module.
import { BUDGET_EXPORT, meter, MeterError } from "../../../host/engine/meter.ts";
import { pinMemory, shapeOf, type FuncType, type Shape, type ValType } from "./wasm-shape.ts";

/**
 * Units a metered call may spend: thousands of times what a generated module's calls need (their
 * hang limit stops their loops), and a second or so of a call that keeps calling back into the
 * host: a module that catches its own traps through call-export-catch can run forever unmetered.
 */
export const AMPLE = 4_000_000;

/** The one externref value handed to both instances, so they can be compared. */
const EXTERN = Object.freeze({ extern: "isoplace-fuzz" });

export interface CallPlan {
  name: string;
  args: unknown[];
}
export interface Report {
  /** Set when the meter refused the module: its kind ("invalid", "unsupported", "memory"). */
  refused?: string;
  /** Set when a call ran out of stack on either side: the module was compared up to that call. */
  stackBound?: boolean;
  /** Set when the metered module's start function trapped (the budget's stop or its own trap): the unmetered one is not run. */
  startTrapped?: boolean;
  calls: number;
  /** Calls that finished (not a trap) metered and unmetered. */
  returned: number;
  traps: number;
  /** Boundary checks made: the call with one unit too few (must be the budget error) and with exactly enough. */
  boundaries: number;
  /** Calls stopped by the budget (`ample`): the module stops there (the unmetered run of that call might never end). */
  stopped: number;
  findings: string[];
}

const zero = (t: ValType): unknown => (t === "i64" ? 0n : t === "funcref" ? null : t === "externref" ? EXTERN : 0);

/** A value as text that compares equal between two instances (NaN, -0, references by kind). */
export function show(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "bigint") return `${v}n`;
  if (v === null || v === undefined) return String(v);
  if (v === EXTERN) return "extern";
  if (typeof v === "function") return `func ${v.name}`;
  return `object ${Object.prototype.toString.call(v)}`;
}

function errorText(err: unknown): string {
  const e = err as Error;
  return `${e?.constructor?.name ?? typeof err}: ${e?.message ?? String(err)}`;
}

/** One instance of a module (plain or metered) with its own imports and a log of the calls into them. */
const STACK_OVERFLOW = "Maximum call stack size exceeded";

class Run {
  readonly log: string[] = [];
  instance: WebAssembly.Instance | undefined;
  instantiation = "ok";
  budget: WebAssembly.Global | undefined;
  private readonly functions: ((...a: unknown[]) => unknown)[] = [];
  readonly shape: Shape;

  constructor(module: WebAssembly.Module, shape: Shape) {
    this.shape = shape;
    try {
      this.instance = new WebAssembly.Instance(module, this.imports());
    } catch (err) {
      this.instantiation = errorText(err);
      return;
    }
    const x = this.instance.exports;
    this.budget = x[BUDGET_EXPORT] instanceof WebAssembly.Global ? (x[BUDGET_EXPORT] as WebAssembly.Global) : undefined;
    for (const e of shape.exports) if (e.kind === 0) this.functions.push(x[e.name] as (...a: unknown[]) => unknown);
  }

  exhausted(): boolean {
    return this.budget !== undefined && this.budget.value < 0;
  }

  private imports(): WebAssembly.Imports {
    const out: Record<string, Record<string, unknown>> = {};
    for (const imp of this.shape.imports) {
      const ns = (out[imp.module] ??= {});
      if (imp.kind === "global")
        ns[imp.name] = imp.valtype === "v128" ? 0 : new WebAssembly.Global({ value: imp.valtype as "i32", mutable: imp.mutable }, zero(imp.valtype) as number);
      else if (imp.kind === "table")
        ns[imp.name] = new WebAssembly.Table({
          element: imp.reftype === "funcref" ? "anyfunc" : "externref",
          initial: imp.min,
          ...(imp.max !== undefined ? { maximum: imp.max } : {}),
        });
      else if (imp.kind === "memory") ns[imp.name] = new WebAssembly.Memory({ initial: imp.min, ...(imp.max !== undefined ? { maximum: imp.max } : {}) });
      else ns[imp.name] = this.hostFunction(imp.name, imp.type);
    }
    return out as WebAssembly.Imports;
  }

  /** The host functions Binaryen's fuzzer imports (fuzzing-support.*), the same for both runs; anything else logs and answers zero. */
  private hostFunction(name: string, type: FuncType): (...a: unknown[]) => unknown {
    const result = () => (type.results.length === 1 ? zero(type.results[0]) : type.results.length ? type.results.map(zero) : undefined);
    const guarded = (call: () => unknown, catching: boolean) => {
      if (!catching) return call();
      try {
        call();
        return 0;
      } catch (err) {
        if (this.exhausted()) throw err; // the budget error is not the module's to catch
        this.log.push(`caught ${errorText(err)}`);
        return 1;
      }
    };
    return (...args: unknown[]) => {
      this.log.push(`${name}(${args.map(show).join(", ")})`);
      switch (name) {
        case "call-export":
        case "call-export-catch": {
          const f = this.functions[Number(args[0]) >>> 0];
          return guarded(() => {
            if (!f) throw new Error(`no export ${args[0]}`);
            return f();
          }, name.endsWith("catch"));
        }
        case "call-ref":
        case "call-ref-catch":
          return guarded(() => {
            if (typeof args[0] !== "function") throw new Error("null reference");
            return (args[0] as () => unknown)();
          }, name.endsWith("catch"));
        case "sleep":
          return args[1];
        case "table-get":
        case "table-set": {
          const table = Object.values(this.instance?.exports ?? {}).find((v) => v instanceof WebAssembly.Table) as WebAssembly.Table | undefined;
          if (!table) throw new Error("no table");
          if (name === "table-get") return table.get(Number(args[0]) >>> 0);
          table.set(Number(args[0]) >>> 0, args[1] as never);
          return undefined;
        }
        default:
          return result();
      }
    };
  }

  /** Calls an export; its answer or its error as text. */
  call(p: CallPlan, budget?: number): { text: string; threw: boolean } {
    if (budget !== undefined) this.budget!.value = budget;
    const f = this.instance!.exports[p.name] as (...a: unknown[]) => unknown;
    try {
      return { text: show(f(...p.args)), threw: false };
    } catch (err) {
      return { text: errorText(err), threw: true };
    }
  }

  /** What the module exposes besides its functions: globals, memories, tables (the meter's own left out). */
  state(): string {
    const parts: string[] = [];
    for (const [name, v] of Object.entries(this.instance!.exports)) {
      if (name === BUDGET_EXPORT) continue;
      if (v instanceof WebAssembly.Global) {
        try {
          parts.push(`${name}=${show(v.value)}`);
        } catch (err) {
          parts.push(`${name}: ${errorText(err)}`);
        }
      } else if (v instanceof WebAssembly.Memory) parts.push(`${name}: ${v.buffer.byteLength} bytes, ${digest(new Uint8Array(v.buffer))}`);
      else if (v instanceof WebAssembly.Table) parts.push(`${name}: ${Array.from({ length: v.length }, (_, i) => show(v.get(i))).join(",")}`);
    }
    return parts.join("; ");
  }
}

/** A cheap fingerprint of memory contents (FNV-1a over 32-bit words). */
function digest(b: Uint8Array): string {
  const w = new Uint32Array(b.buffer, b.byteOffset, b.byteLength >>> 2);
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i], 0x01000193);
  return (h >>> 0).toString(16);
}

export interface DifferentialOptions {
  /** The calls to make, in order; default: every exported function without parameters. */
  plan?: (shape: Shape) => CallPlan[];
  /** The most boundary checks per module (each replays the calls before it). */
  boundaries?: number;
  maxMemoryPages?: number;
  /** The budget of each metered call (default AMPLE). */
  ample?: number;
}

export function differential(bytes: Uint8Array, o: DifferentialOptions = {}): Report {
  const report: Report = { calls: 0, returned: 0, traps: 0, boundaries: 0, stopped: 0, findings: [] };
  const ample = o.ample ?? AMPLE;
  const valid = WebAssembly.validate(bytes as BufferSource);
  let metered: Uint8Array;
  try {
    metered = meter(bytes, { initial: ample, maxMemoryPages: o.maxMemoryPages ?? 65536 });
  } catch (err) {
    if (!(err instanceof MeterError)) report.findings.push(`the meter threw ${errorText(err)}, not a MeterError`);
    else if (valid && err.kind === "invalid") report.findings.push(`a valid module refused as invalid: ${err.message}`);
    report.refused = err instanceof MeterError ? err.kind : "error";
    return report;
  }
  if (!valid) {
    report.findings.push("an invalid module was metered (the meter must refuse what does not validate)");
    return report;
  }
  if (!WebAssembly.validate(metered as BufferSource)) {
    report.findings.push("the metered module does not validate");
    return report;
  }
  const shape = shapeOf(bytes);
  const plainModule = new WebAssembly.Module(pinMemory(bytes) as BufferSource);
  const meteredModule = new WebAssembly.Module(metered as BufferSource);
  const plan = (o.plan ?? parameterless)(shape);
  const fresh = () => new Run(meteredModule, shape);

  // metered first: a start function that never ends would hang the unmetered instantiation, and
  // a trapped instantiation leaves no budget global to tell the budget's stop from the module's own
  // trap, so then the unmetered one is not run
  const m = fresh();
  if (m.instantiation !== "ok" && /RuntimeError/.test(m.instantiation)) {
    report.startTrapped = true;
    return report;
  }
  const plain = new Run(plainModule, shape);
  if (plain.instantiation !== m.instantiation) {
    report.findings.push(`instantiation: unmetered ${plain.instantiation}, metered ${m.instantiation}`);
    return report;
  }
  if (!plain.instance || !m.instance) return report;
  const spent: number[] = [],
    outcomes: { text: string; threw: boolean }[] = [];
  for (const [i, p] of plan.entries()) {
    const b = m.call(p, ample);
    report.calls++;
    if (b.threw && m.exhausted()) {
      report.stopped++;
      break;
    }
    const a = plain.call(p);
    // how deep a call may recurse is the engine's to choose, and a metered frame is larger: once
    // either side ran out of stack the two runs may part ways, so the module is compared no further
    if ([a.text, b.text, ...plain.log, ...m.log].some((x) => x.includes(STACK_OVERFLOW))) {
      report.stackBound = true;
      break;
    }
    spent.push(ample - (m.budget!.value as number));
    outcomes.push(b);
    if (a.text !== b.text) report.findings.push(`call ${i} (${p.name}): unmetered ${a.text}, metered ${b.text}`);
    else if (a.threw) report.traps++;
    else report.returned++;
    if (plain.log.join("\n") !== m.log.join("\n")) {
      const at = plain.log.findIndex((x, k) => x !== m.log[k]);
      const first = at < 0 ? plain.log.length : at;
      report.findings.push(
        `call ${i} (${p.name}): the import calls differ from the ${first}th (of ${plain.log.length} unmetered, ${m.log.length} metered):\n  ${plain.log.slice(first, first + 5).join("; ")}\n  ${m.log.slice(first, first + 5).join("; ")}`,
      );
    }
    const sa = plain.state(),
      sb = m.state();
    if (sa !== sb) report.findings.push(`call ${i} (${p.name}): the exported state differs: ${sa} | ${sb}`);
    if (report.findings.length) return report;
  }

  // the budget error at the exact boundary, for the calls that returned and cost the most
  const chosen = outcomes
    .map((_, i) => i)
    .filter((i) => !outcomes[i].threw && spent[i] > 0)
    .sort((x, y) => spent[y] - spent[x])
    .slice(0, o.boundaries ?? 4);
  for (const i of chosen) {
    const short = fresh(),
      exact = fresh();
    for (const run of [short, exact]) for (let k = 0; k < i; k++) run.call(plan[k], ample);
    const s = short.call(plan[i], spent[i] - 1);
    if (!s.threw || !short.exhausted() || !/RuntimeError/.test(s.text)) {
      report.findings.push(
        `call ${i} (${plan[i].name}) spends ${spent[i]} units, yet with ${spent[i] - 1} it answered ${s.text} (budget ${short.budget!.value}), not the budget error`,
      );
    }
    const e = exact.call(plan[i], spent[i]);
    if (e.text !== outcomes[i].text || exact.budget!.value !== 0) {
      report.findings.push(
        `call ${i} (${plan[i].name}) with exactly ${spent[i]} units answered ${e.text} with ${exact.budget!.value} left, not ${outcomes[i].text} with 0`,
      );
    }
    report.boundaries++;
  }
  return report;
}

/** Every exported function without parameters, once, in export order. */
export function parameterless(shape: Shape): CallPlan[] {
  return shape.exports.filter((e) => e.kind === 0 && e.type && e.type.params.length === 0).map((e) => ({ name: e.name, args: [] }));
}

/** Every exported function with a few argument lists of the right kinds (zeros, small numbers, `random`'s). */
export function withArguments(random: () => number) {
  return (shape: Shape): CallPlan[] =>
    shape.exports
      .filter((e) => e.kind === 0 && e.type)
      .flatMap((e) => {
        const params = e.type!.params;
        const lists =
          params.length === 0
            ? [[]]
            : [0, 1, 2].map((v) =>
                params.map((t) => {
                  const n = v === 0 ? 0 : v === 1 ? 1 + Math.floor(random() * 8) : (random() * 2 ** 32) | 0;
                  return t === "i64" ? BigInt(n) : t === "f32" || t === "f64" ? n / 7 : t === "funcref" ? null : t === "externref" ? EXTERN : n;
                }),
              );
        return lists.map((args) => ({ name: e.name, args }));
      });
}
