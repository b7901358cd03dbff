// The HTTP contract cases (tests/contract/cases.ts) that a client method can make, as calls of
// that method: the same request, typed. A case the client cannot express (a body that is not
// JSON, a wrong content type or method, a missing query parameter, a route it has no method for)
// is left out. Runtime-neutral: the Node suites and the Workers suite share it.
import { expect } from "vitest";
import type { IsoplaceClient, IsoplaceProblem } from "../../host/client/index.ts";
import type { Engine } from "../../host/engine/engine.ts";
import { cases, type ContractCase } from "../contract/cases.ts";

export interface ClientCall {
  case: ContractCase;
  call: (client: IsoplaceClient) => Promise<Record<string, unknown>>;
  /** The same through the engine's own method, where it has one (not for a batch, or the policy's status). */
  engine?: (engine: Engine) => unknown;
}

type Calls = Omit<ClientCall, "case">;

function callsOf(c: ContractCase): Calls | undefined {
  const [path, query] = c.path.split("?");
  const post = typeof c.body === "object" && !(c.body instanceof Uint8Array) && (c.method ?? "POST") === "POST" && !c.headers;
  const body = c.body as never;
  if (post && path === "/v1/decide") return { call: (client) => client.decide(body), engine: (e) => e.decide(body) };
  if (post && path === "/v1/decide/batch") return { call: (client) => client.decideBatch((body as { items: never }).items) };
  if (post && path === "/v1/rank") return { call: (client) => client.rank(body), engine: (e) => e.rank(body) };
  if (c.body !== undefined || (c.method ?? "GET") !== "GET") return undefined;
  if (path === "/v1/compare") {
    const q = new URLSearchParams(query);
    const a = q.get("a"),
      b = q.get("b");
    return a !== null && b !== null ? { call: (client) => client.compare(a, b), engine: (e) => e.compare(a, b) } : undefined;
  }
  if (path === "/v1/levels") return { call: (client) => client.levels(), engine: (e) => e.levels() };
  if (path === "/v1/scenarios") return { call: (client) => client.scenarios(), engine: (e) => e.scenarios() };
  if (path === "/v1/policy") return { call: (client) => client.policy() };
  return undefined;
}

export const clientCalls: ClientCall[] = cases.flatMap((c) => {
  const calls = callsOf(c);
  return calls ? [{ case: c, ...calls }] : [];
});

/** An answer with what differs between two answers of the same request: each decision's id, and the client's source mark. */
export function comparable(answer: unknown): unknown {
  return JSON.parse(
    JSON.stringify(answer, (key, value) => (key === "decisionId" || (key === "source" && (value === "agent" || value === "fallback")) ? undefined : value)),
  );
}

/** The problem the HTTP API answered, as the client's IsoplaceProblem must carry it. */
export function expectSameProblem(thrown: unknown, http: { status: number; json: Record<string, unknown> }, source: "agent" | "fallback"): void {
  expect((thrown as Error)?.name, String(thrown)).toBe("IsoplaceProblem");
  const p = thrown as IsoplaceProblem;
  const { type, title, status, detail, errors } = http.json as { type: string; title: string; status: number; detail: string; errors?: unknown[] };
  expect({ status: p.status, type: p.type, title: p.title, detail: p.detail, errors: p.errors, source: p.source }).toEqual({
    status,
    type,
    title,
    detail,
    errors: errors ?? [],
    source,
  });
  expect(p.status).toBe(http.status);
}
