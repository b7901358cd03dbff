// Node's request bodies, read from the IncomingMessage itself: the JSON lane's requests, and the
// Hono app's on @hono/node-server (its Context's env.incoming), handed to the app as its body
// reader (AppOptions.body). Touching c.req.raw.body there would make the server build a web
// Request and a ReadableStream for every call, which was most of the agent's cost per request.
import type { IncomingMessage } from "node:http";
import type { HttpBindings } from "@hono/node-server";
import type { Context } from "hono";
import { concat, incompleteBody, tooLarge, type BodyReader } from "../http/body.ts";
import { ProblemError } from "../http/problem.ts";
import type { AppEnv } from "../http/types.ts";

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

/**
 * At most `limit` bytes, to `done` once. Over the limit: stop collecting (the server drains or
 * cuts the rest after the answer); a client gone before the end: incomplete body (400). A settled flag
 * rather than removing the listeners afterwards: this is the JSON lane's hot path.
 */
function read(req: IncomingMessage, limit: number, done: (err: unknown, bytes?: Uint8Array) => void): void {
  if (req.readableEnded) return done(undefined, new Uint8Array(0));
  let chunks: Uint8Array[] | undefined = [];
  let size = 0;
  const fail = (err: unknown) => {
    if (!chunks) return;
    chunks = undefined;
    done(err);
  };
  req.on("data", (chunk: Uint8Array) => {
    if (!chunks) return;
    size += chunk.length;
    if (size > limit) fail(new ProblemError(tooLarge(limit)));
    else chunks.push(chunk);
  });
  req.on("end", () => {
    if (!chunks) return;
    const all = chunks;
    chunks = undefined;
    done(undefined, concat(all, size));
  });
  // A request stream errs only when its connection does ("aborted", a reset): the client is gone
  // mid-body, its fault and not a 500 of ours. 'close' comes after the end too: the problem is
  // made only when it is one.
  const gone = () => {
    if (chunks) fail(incompleteBody());
  };
  req.on("error", gone);
  req.on("close", gone);
}

export const incomingBody: BodyReader<IncomingMessage> = {
  header,
  streamed: (req) => header(req, "transfer-encoding") !== undefined,
  read,
};

const incomingOf = (c: Context<AppEnv>): IncomingMessage => (c.env as HttpBindings).incoming;

/** The same reader for the Hono app on @hono/node-server, through the IncomingMessage it passes as env.incoming. */
export const honoIncomingBody: BodyReader<Context<AppEnv>> = {
  header: (c, name) => header(incomingOf(c), name),
  streamed: (c) => incomingBody.streamed(incomingOf(c)),
  read: (c, limit, done) => read(incomingOf(c), limit, done),
};
