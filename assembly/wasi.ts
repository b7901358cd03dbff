// The isoplace core as a WASI preview1 command (dist/isoplace.wasi.wasm), for WasmEdge and
// wasmtime on the node itself:  wasmedge isoplace.wasi.wasm decide --scenario edge
// The same rules (./rules.ts) and policy tables (./policy.ts) as the policy module, with the
// policy's strings (./wasi/catalogue.ts) uncompressed. Built with @assemblyscript/wasi-shim.
import { decideJson, NodeProfile } from "./wasi/answer";
import { DecideArgs, USAGE, splitList } from "./wasi/args";
import { getenv } from "./wasi/env";
import { RUNTIME_IDS } from "./wasi/catalogue";
import { Json, JsonParser, NULL, OBJECT } from "./wasi/json";
import { RequestChecker, runtimeIndex } from "./wasi/request";

const EXIT_USAGE = 2;
const EXIT_INFEASIBLE = 3;
const STDIN_MAX = 1 << 20;

function fail(message: string): i32 {
  process.stderr.write("isoplace: " + message + "\n");
  return EXIT_USAGE;
}

/** All of stdin as UTF-8 text, or null past STDIN_MAX bytes. */
function readStdin(): string | null {
  let buf = new ArrayBuffer(1 << 14);
  let n = 0;
  for (;;) {
    if (n == buf.byteLength) {
      if (n >= STDIN_MAX) return null;
      const bigger = new ArrayBuffer(n << 1);
      memory.copy(changetype<usize>(bigger), changetype<usize>(buf), n);
      buf = bigger;
    }
    const k = process.stdin.read(buf, n);
    if (k <= 0) break;
    n += k;
  }
  return String.UTF8.decode(buf.slice(0, n));
}

/** The request's node, else ISOPLACE_RUNTIMES (as the CLI), else every runtime (planning mode). */
function nodeFor(requested: i32[] | null): NodeProfile {
  const ids: string[] = [];
  let mask: u32 = 0;
  if (requested !== null) {
    for (let i = 0; i < requested.length; i++) {
      if (!((mask >> requested[i]) & 1)) ids.push(RUNTIME_IDS[requested[i]]);
      mask |= 1 << requested[i];
    }
    return new NodeProfile("request", ids, mask);
  }
  const env = getenv("ISOPLACE_RUNTIMES");
  if (env.length) {
    const listed = splitList(env, []);
    for (let i = 0; i < listed.length; i++) {
      const r = runtimeIndex(listed[i]);
      if (r < 0) continue;  // the engine ignores runtimes the policy does not know
      ids.push(listed[i]);
      mask |= 1 << r;
    }
    return new NodeProfile("configured", ids, mask);
  }
  for (let r = 0; r < RUNTIME_IDS.length; r++) { ids.push(RUNTIME_IDS[r]); mask |= 1 << r; }
  return new NodeProfile("planning", ids, mask);
}

function main(): i32 {
  const argv = process.argv;
  const command = argv.length > 1 ? argv[1] : "";
  if (command == "-h" || command == "--help" || command == "help") { process.stdout.write(USAGE); return 0; }
  if (command != "decide") {
    process.stderr.write(USAGE);
    return fail(command.length ? "unknown command '" + command + "' (this WASI build has: decide)" : "a command is required: decide");
  }
  const args = new DecideArgs().parse(argv.slice(2));
  if (args.help) { process.stdout.write(USAGE); return 0; }
  if (args.error.length) return fail(args.error);

  let base = Json.newObject();
  if (args.stdin) {
    const text = readStdin();
    if (text === null) return fail("--input: - is over " + (STDIN_MAX >> 10).toString() + " KiB");
    const parser = new JsonParser(text);
    const parsed = parser.parse();
    if (parsed === null) return fail("--input: - is not a JSON object: " + parser.error);
    if (parsed.kind != OBJECT) return fail("--input: - is not a JSON object: not a JSON object");
    base = parsed;
  }
  const checker = new RequestChecker();
  const placement = checker.check(args.request(base));
  if (placement === null) {
    let lines = "invalid input:";
    for (let i = 0; i < checker.errors.length; i++) {
      const e = checker.errors[i];
      lines += "\n  " + (e.path.length ? e.path : "(request)") + ": " + e.message;
    }
    return fail(lines);
  }
  const answer = decideJson(placement, nodeFor(placement.runtimes));
  process.stdout.write(answer.stringify() + "\n");
  return answer.get("level")!.kind == NULL ? EXIT_INFEASIBLE : 0;
}

const code = main();
if (code != 0) process.exit(code);
