// OPA, the peer the placement rules are compared with (docs/OPA.md): placement.rego + data.json
// built to OPA's Wasm target and evaluated in-process with the npm SDK, or served by
// `opa run --server`. The opa binary is the peer `npm run peers` builds (tests/support/peers.ts).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPolicy, type LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { DATA_PATH, ENTRYPOINT, REGO_PATH } from "./generate.ts";

/** What `opa build -t wasm` makes of the rules: the module and the data document it evaluates against. */
export interface WasmBuild {
  wasm: Uint8Array<ArrayBuffer>;
  data: unknown;
  version: string;
}

/** The opa binary's version line ("Version: 1.22.4"). */
function opaVersion(opa: string): string {
  const out = execFileSync(opa, ["version"], { encoding: "utf8" });
  return /^Version:\s*(\S+)/m.exec(out)?.[1] ?? "unknown";
}

/** `opa build -t wasm -e isoplace/placement/decision placement.rego data.json`, unpacked. */
export function buildWasm(opa: string, optimize = 0): WasmBuild {
  const dir = mkdtempSync(join(tmpdir(), "isoplace-opa-"));
  try {
    const bundle = join(dir, "bundle.tar.gz");
    execFileSync(opa, ["build", "-t", "wasm", "-e", ENTRYPOINT, `-O=${optimize}`, "-o", bundle, REGO_PATH, DATA_PATH], { stdio: ["ignore", "ignore", "pipe"] });
    execFileSync("tar", ["-xzf", bundle, "-C", dir, "/policy.wasm", "/data.json"], { stdio: ["ignore", "ignore", "pipe"] });
    return {
      wasm: new Uint8Array(readFileSync(join(dir, "policy.wasm"))),
      data: JSON.parse(readFileSync(join(dir, "data.json"), "utf8")),
      version: opaVersion(opa),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The built module instantiated by the SDK, with its data set: ready to evaluate. */
export async function loadWasm(build: WasmBuild): Promise<LoadedPolicy> {
  const policy = await loadPolicy(build.wasm);
  policy.setData(build.data as object);
  return policy;
}

/** OPA's decision for a POST /v1/decide body, in-process (undefined: the rules had no answer). */
export function decideWasm(policy: LoadedPolicy, request: unknown): OpaDecision | undefined {
  return policy.evaluate(request)?.[0]?.result;
}

/** What the Rego answers (placement.rego's `decision`), as far as the comparison reads it. */
export interface OpaDecision {
  level: string | null;
  runtime: string | null;
  rule: string;
  fallback: { level: string; runtime: string | null } | null;
  ranking: { level: string; feasible: boolean; runtime: string | null; score: number | null }[];
}

/** The data API path of the decision on `opa run --server`. */
export const DATA_API = `/v1/data/${ENTRYPOINT}`;

/** `opa run --server` with the rules and their data on 127.0.0.1:port (flags: e.g. a log level; by default it logs at info). */
export const serverArgs = (port: number, ...flags: string[]): string[] => ["run", "--server", "--addr", `127.0.0.1:${port}`, ...flags, REGO_PATH, DATA_PATH];

/** The body OPA's data API takes for a decide request: the request as `input`. */
export const dataApiBody = (request: unknown): string => JSON.stringify({ input: request });

/** The decisions of `opa run --server` at `url` for each request, one POST at a time. */
export async function serverDecisions(url: string, requests: readonly unknown[]): Promise<Map<unknown, OpaDecision | undefined>> {
  const out = new Map<unknown, OpaDecision | undefined>();
  for (const request of requests) {
    const res = await fetch(`${url}${DATA_API}`, { method: "POST", headers: { "content-type": "application/json" }, body: dataApiBody(request) });
    if (res.status !== 200) throw new Error(`opa: the server answered ${res.status}: ${await res.text()}`);
    out.set(request, ((await res.json()) as { result?: OpaDecision }).result);
  }
  return out;
}

/** The server's GOMAXPROCS (how many threads run Go code at once), from its Prometheus metrics. */
export async function serverGomaxprocs(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = /^go_sched_gomaxprocs_threads (\d+)$/m.exec(text)?.[1];
  if (!value) throw new Error("opa: no go_sched_gomaxprocs_threads in the server's /metrics");
  return Number(value);
}
