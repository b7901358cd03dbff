// A real agent on 127.0.0.1, ephemeral port, serving a policy module built in-process from
// policy source (so the suite does not depend on dist/).
import pino from "pino";
import { startAgent, type Agent } from "../../../host/node/agent.ts";

export async function startConsoleAgent(wasm: Uint8Array): Promise<Agent> {
  return startAgent({ host: "127.0.0.1", port: 0, builtIn: async () => wasm, logger: pino({ level: "silent" }) });
}

export async function getJson<T = any>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  return (await res.json()) as T;
}

export const postJson = <T = any>(url: string, body: unknown): Promise<T> =>
  getJson<T>(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
