// Concurrent keep-alive clients (node:http, one socket each): each sends a request, waits for
// the answer, checks it, and sends the next, until stopped. Every latency is kept; every failure
// (a non-2xx, a wrong answer, a connection error) is counted and the first few kept as samples.
import { Agent, request } from "node:http";
import type { Route, SoakRequest } from "./requests.ts";

export interface LoadTally {
  requests: number;
  byRoute: Record<Route, number>;
  failed: number;
  failures: string[];
  /** Milliseconds, one per request, in the order they finished. */
  latencies: number[];
}

const MAX_SAMPLES = 20;

function send(agent: Agent, base: URL, r: SoakRequest): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: r.method,
        path: r.path,
        headers: r.body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(r.body) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(r.body);
  });
}

/** Runs `connections` clients against `url` until `stop()` is called; resolves with the tally when all have finished. `onAnswer` follows each request. */
export function startLoad(
  url: string,
  connections: number,
  next: () => SoakRequest,
  onAnswer?: () => void,
): { tally: LoadTally; stop: () => Promise<LoadTally> } {
  const base = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const tally: LoadTally = { requests: 0, byRoute: { decide: 0, batch: 0, rank: 0, compare: 0 }, failed: 0, failures: [], latencies: [] };
  const fail = (what: string) => {
    tally.failed++;
    if (tally.failures.length < MAX_SAMPLES) tally.failures.push(what);
  };
  let running = true;
  const client = async () => {
    while (running) {
      const r = next();
      const t = performance.now();
      try {
        const res = await send(agent, base, r);
        tally.latencies.push(performance.now() - t);
        if (res.status < 200 || res.status > 299) fail(`${r.method} ${r.path}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
        else {
          const problem = r.check(JSON.parse(res.text));
          if (problem) fail(`${r.method} ${r.path}: ${problem}`);
        }
      } catch (err) {
        tally.latencies.push(performance.now() - t);
        fail(`${r.method} ${r.path}: ${(err as Error).message}`);
      }
      tally.requests++;
      tally.byRoute[r.route]++;
      onAnswer?.();
    }
  };
  const clients = Array.from({ length: connections }, client);
  return {
    tally,
    stop: async () => {
      running = false;
      await Promise.all(clients);
      agent.destroy();
      return tally;
    },
  };
}
