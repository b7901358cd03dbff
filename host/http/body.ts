// Reading a request body: the content type is checked before anything is read, the size against
// the route's limit (the declared Content-Length first, then counted while the body streams),
// malformed JSON named as such. On Node (@hono/node-server) the body is read straight from the
// IncomingMessage in c.env.incoming: touching c.req.raw.body there makes the server build a web
// Request and a ReadableStream for every call, which was most of the agent's cost per request.
// Elsewhere (the Worker, app.request in tests) it is read from the web Request's stream.
import type { Context } from "hono";
import { invalidRequest, problemOf, type Problem } from "./problem.ts";

/** The API's limit for request bodies. */
export const MAX_BODY_BYTES = 64 * 1024;

export class BodyProblem extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail);
    this.problem = problem;
  }
}

export const tooLarge = (limit: number): Problem => problemOf(413, "body-too-large", "Body too large", `The body is over ${limit} bytes.`);

/** What the body reader needs of a Node IncomingMessage (structural: no Node import here). */
export interface IncomingLike {
  headers: Record<string, string | string[] | undefined>;
  readableEnded: boolean;
  on(event: string, listener: (arg?: never) => void): unknown;
}

function incomingOf(c: Context): IncomingLike | undefined {
  const incoming = (c.env as { incoming?: IncomingLike } | undefined)?.incoming;
  return incoming && typeof incoming.on === "function" && typeof incoming.headers === "object" ? incoming : undefined;
}

/** A header of a Node request (a repeated one joined, as the web Headers would). */
function incomingHeader(incoming: IncomingLike, name: string): string | undefined {
  const v = incoming.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

/** A Content-Length value, when it is a valid one. */
const lengthOf = (v: string | undefined): number | undefined => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);

/** The declared Content-Length, when there is a valid one. */
export function declaredLength(c: Context): number | undefined {
  const incoming = incomingOf(c);
  return lengthOf(incoming ? incomingHeader(incoming, "content-length") : c.req.header("content-length"));
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) { out.set(chunk, at); at += chunk.length; }
  return out;
}

/**
 * Reads a Node request's body, at most `limit` bytes, and calls `done` once: with the bytes, or
 * with an error (over the limit: stop collecting, the server drains or cuts the rest after the
 * answer; a client gone before the end: incomplete body). Callbacks rather than a promise: this is
 * the JSON lane's hot path, and a settled flag rather than removing the listeners afterwards.
 */
function readIncoming(s: IncomingLike, limit: number, done: (err: unknown, bytes?: Uint8Array) => void): void {
  if (s.readableEnded) return done(undefined, new Uint8Array(0));
  let chunks: Uint8Array[] | undefined = [];
  let size = 0;
  const fail = (err: unknown) => {
    if (!chunks) return;
    chunks = undefined;
    done(err);
  };
  s.on("data", (chunk?: Uint8Array) => {
    if (!chunks) return;
    size += chunk!.length;
    if (size > limit) fail(new BodyProblem(tooLarge(limit)));
    else chunks.push(chunk!);
  });
  s.on("end", () => {
    if (!chunks) return;
    const all = chunks;
    chunks = undefined;
    done(undefined, concat(all, size));
  });
  s.on("error", fail);
  // after the end too (the stream closes then): the problem is made only when it is one
  s.on("close", () => { if (chunks) fail(new BodyProblem(problemOf(400, "incomplete-body", "Incomplete body", "The client closed the connection before the body ended."))); });
}

/** A read that reports to a callback (the Node ones here), as a promise. */
const promised = <T>(read: (done: (err: unknown, value?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => read((err, value) => (err ? reject(err) : resolve(value as T))));

async function readWeb(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concat(chunks, size);
    size += value.length;
    if (size > limit) {
      void reader.cancel().catch(() => {});
      throw new BodyProblem(tooLarge(limit));
    }
    chunks.push(value);
  }
}

/** The route's limit, as the app set it (its maxBodyBytes), else the API's 64 KiB. */
const routeLimit = (c: Context): number => (c.get("bodyLimit") as number | undefined) ?? MAX_BODY_BYTES;

/** The whole body, at most `limit` bytes (413 beyond: by Content-Length before reading, else as it streams). */
export function readBody(c: Context, limit = routeLimit(c)): Promise<Uint8Array> {
  const declared = declaredLength(c);
  if (declared !== undefined && declared > limit) return Promise.reject(new BodyProblem(tooLarge(limit)));
  const incoming = incomingOf(c);
  return incoming ? promised<Uint8Array>((done) => readIncoming(incoming, limit, done)) : readWeb(c.req.raw, limit);
}


/** Whether the request carries a body at all: a Content-Length other than 0, or else a body streamed without one. */
const hasBody = (length: string | undefined, streamed: () => boolean): boolean => (length !== undefined ? length !== "0" : streamed());

const isJson = (type: string) => /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type);
const utf8 = new TextDecoder();

/** 415 for a body that is not JSON; `undefined` when there is no body at all (an empty request: every field is optional). */
function notJson(type: string, hasBody: () => boolean): BodyProblem | undefined {
  if (!type && !hasBody()) return undefined;
  return new BodyProblem(problemOf(415, "unsupported-media-type", "Unsupported media type",
    `The body must be JSON (content-type: application/json); got ${type ? `"${type.slice(0, 100)}"` : "none"}.`));
}

function parseJson(bytes: Uint8Array): unknown {
  const text = utf8.decode(bytes);
  if (text.trim().length === 0) return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BodyProblem({ ...invalidRequest([{ path: "", message: `malformed JSON: ${(err as Error).message.slice(0, 200)}` }], "The body is not valid JSON."), type: "urn:isoplace:problem:malformed-json", title: "Malformed JSON" });
  }
}

export async function readJson(c: Context, limit = routeLimit(c)): Promise<unknown> {
  const incoming = incomingOf(c);
  if (incoming) return promised((done) => readIncomingJsonThen(incoming, limit, done));
  const type = c.req.header("content-type") ?? "";
  if (!isJson(type)) {
    const problem = notJson(type, () => hasBody(c.req.header("content-length"), () => c.req.raw.body !== null));
    if (problem) throw problem;
    return {};
  }
  return parseJson(await readBody(c, limit));
}

/**
 * A Node request's JSON body, to `done`: 413 by a declared Content-Length over `limit` before
 * anything else, 415 for another content type before anything is read, then read (counted
 * against the limit) and parsed. For the agent's JSON lane (callbacks, no promise per request)
 * and, as a promise (readJson), for the app on @hono/node-server.
 */
export function readIncomingJsonThen(incoming: IncomingLike, limit: number, done: (err: unknown, body?: unknown) => void): void {
  const type = incomingHeader(incoming, "content-type") ?? "";
  const length = incomingHeader(incoming, "content-length");
  if ((lengthOf(length) ?? 0) > limit) return done(new BodyProblem(tooLarge(limit)));
  if (!isJson(type)) {
    const problem = notJson(type, () => hasBody(length, () => incomingHeader(incoming, "transfer-encoding") !== undefined));
    return problem ? done(problem) : done(undefined, {});
  }
  readIncoming(incoming, limit, (err, bytes) => {
    if (err) return done(err);
    let body: unknown;
    try {
      body = parseJson(bytes!);
    } catch (e) {
      return done(e);
    }
    done(undefined, body);
  });
}
