// A real HTTP server on a 127.0.0.1 port that accepts every request and never answers: what a
// caller sees of an agent that hangs. Each request it takes is counted and announced.
import { once, EventEmitter } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface Stalled {
  url: string;
  /** Requests taken so far (method and path). */
  requests: string[];
  /** Emits "request" for each. */
  events: EventEmitter;
  close(): Promise<void>;
}

export async function startStalled(): Promise<Stalled> {
  const requests: string[] = [];
  const events = new EventEmitter();
  const server = createServer((req: IncomingMessage) => {
    requests.push(`${req.method} ${req.url}`);
    events.emit("request", req);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    events,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** A 127.0.0.1 port with nothing listening on it (bound, then closed): connections are refused. */
export async function closedPort(): Promise<string> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return `http://127.0.0.1:${port}`;
}
