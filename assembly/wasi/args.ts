// `decide`'s flags, as the CLI's (host/cli/query.ts): they build the same request, on top of a
// JSON request read from stdin with `--input -` (flags override its workload's fields).
import { Json, OBJECT, parseNumber } from "./json";

const LIST_FLAGS: string[] = ["--performance", "--security", "--cost", "--runtimes"];
const NUMBER_FLAGS: string[] = ["--max-cold-start-ms", "--max-memory-mb", "--max-cpu-overhead-pct", "--min-isolation"];
const CONSTRAINTS: string[] = ["maxColdStartMs", "maxMemoryMb", "maxCpuOverheadPct", "minIsolation"];
const VALUE_FLAGS: string[] = ["--scenario", "--artifact", "--weight", "--input"];

export const USAGE = `Usage: isoplace.wasi.wasm decide [options]

Which isolation level and runtime for a workload, printed as the HTTP answer's JSON.
The isoplace core as a WASI command (WasmEdge, wasmtime, node:wasi); its policy is built in.

Options:
  --scenario <id>              edge, microservices, serverless, ai-inference (or the Chinese term)
  --artifact <kind>            what the workload ships as: container, wasm or vm (default: any)
  --performance <ids>          performance need(s), comma-separated, first one counts most
  --security <ids>             security need(s)
  --cost <ids>                 cost need(s)
  --weight <metric=n>          weight of a metric in scoring, repeatable
  --max-cold-start-ms <n>      worst-case cold start allowed, ms
  --max-memory-mb <n>          worst-case memory overhead allowed, MB
  --max-cpu-overhead-pct <n>   worst-case CPU overhead allowed, %
  --min-isolation <n>          isolation strength required, 1–5 stars
  --runtimes <ids>             the node's runtimes, comma-separated (default: ISOPLACE_RUNTIMES, else planning mode)
  --input -                    a decide request as JSON on stdin; flags override its fields
  --json                       accepted for the CLI's sake: the answer is always JSON
  -h, --help                   this text

Exit codes: 0 done, 2 invalid input or usage, 3 no feasible level.
`;

/** "a, b,,c" → ["a", "b", "c"], appended to `into`. */
export function splitList(value: string, into: string[]): string[] {
  const parts = value.split(",");
  for (let i = 0; i < parts.length; i++) {
    const s = parts[i].trim();
    if (s.length) into.push(s);
  }
  return into;
}

function strings(values: string[]): Json {
  const a = Json.newArray();
  for (let i = 0; i < values.length; i++) a.push(Json.ofString(values[i]));
  return a;
}

/** The parsed flags of `decide`; `error` set on a usage error. */
export class DecideArgs {
  error: string = "";
  help: bool = false;
  stdin: bool = false;
  scenario: string | null = null;
  artifact: string | null = null;
  lists: string[][] = [[], [], [], []];
  listGiven: bool[] = [false, false, false, false];
  numbers: f64[] = [NaN, NaN, NaN, NaN];
  weightKeys: string[] = [];
  weightValues: f64[] = [];

  private option(flag: string, value: string): void {
    if (flag == "--scenario") { this.scenario = value; return; }
    if (flag == "--artifact") { this.artifact = value; return; }
    if (flag == "--input") {
      if (value != "-") this.error = "--input: the WASI command reads a request from stdin only: use --input - < " + value;
      else this.stdin = true;
      return;
    }
    let k = LIST_FLAGS.indexOf(flag);
    if (k >= 0) { splitList(value, this.lists[k]); this.listGiven[k] = true; return; }
    k = NUMBER_FLAGS.indexOf(flag);
    if (k >= 0) {
      const n = parseNumber(value);
      if (!isFinite(n)) this.error = flag + " expects a number, got \"" + value + "\"";
      else this.numbers[k] = n;
      return;
    }
    // --weight metric=number
    const at = value.lastIndexOf("=");
    const key = at > 0 ? value.substring(0, at).trim() : "", n = at > 0 ? parseNumber(value.substring(at + 1)) : NaN;
    if (at <= 0 || !isFinite(n)) { this.error = "--weight expects metric=number (e.g. coldStart=0.4), got \"" + value + "\""; return; }
    const i = this.weightKeys.indexOf(key);
    if (i >= 0) this.weightValues[i] += n;
    else { this.weightKeys.push(key); this.weightValues.push(n); }
  }

  /** argv after the command name. */
  parse(argv: string[]): DecideArgs {
    for (let i = 0; i < argv.length && !this.error.length; i++) {
      const arg = argv[i];
      if (arg == "--json") continue;
      if (arg == "-h" || arg == "--help") { this.help = true; continue; }
      const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
      const flag = eq > 0 ? arg.substring(0, eq) : arg;
      const known = VALUE_FLAGS.includes(flag) || LIST_FLAGS.includes(flag) || NUMBER_FLAGS.includes(flag);
      if (!known) {
        this.error = arg.startsWith("-") ? "unknown option '" + flag + "'" : "too many arguments for 'decide': expected none, got '" + arg + "'";
        break;
      }
      if (eq > 0) { this.option(flag, arg.substring(eq + 1)); continue; }
      if (i + 1 >= argv.length) { this.error = "option '" + flag + "' argument missing"; break; }
      this.option(flag, argv[++i]);
    }
    return this;
  }

  /** The request: `base` (from stdin, or {}) with the flags laid over, as the CLI builds it. */
  request(base: Json): Json {
    const given = base.get("workload");
    const workload = Json.newObject();
    if (given !== null && given.kind != OBJECT) return base;  // left for the request check to name
    if (given !== null) for (let i = 0; i < given.keys.length; i++) workload.set(given.keys[i], given.items[i]);
    const scenario = this.scenario;
    if (scenario !== null) workload.set("scenario", Json.ofString(scenario));
    const artifact = this.artifact;
    if (artifact !== null) workload.set("artifact", Json.ofString(artifact));
    const needs = ["performance", "security", "cost"];
    for (let g = 0; g < 3; g++) if (this.listGiven[g]) workload.set(needs[g], strings(this.lists[g]));
    // The flags' constraints (and weights) replace the input's whole object, as the CLI's spread does.
    const constraints = Json.newObject();
    for (let k = 0; k < 4; k++) if (this.numbers[k] == this.numbers[k]) constraints.set(CONSTRAINTS[k], Json.ofNumber(this.numbers[k]));
    if (constraints.keys.length) workload.set("constraints", constraints);
    if (this.weightKeys.length) {
      const weights = Json.newObject();
      for (let i = 0; i < this.weightKeys.length; i++) weights.set(this.weightKeys[i], Json.ofNumber(this.weightValues[i]));
      workload.set("weights", weights);
    }
    base.set("workload", workload);
    if (this.listGiven[3]) base.set("node", Json.newObject().set("runtimes", strings(this.lists[3])));
    return base;
  }
}
