// Reading a request body, whatever the runtime: the content type is checked before anything is
// read, the size against the route's limit (the declared Content-Length first, then counted while
// the body streams), malformed JSON named as such. How a runtime's request gives its headers and
// bytes is a BodyReader: the web Request's here (the Worker, app.request), Node's IncomingMessage
// in host/node/incoming-body.ts, handed to the app through its options (AppOptions.body).
import type { Context } from "hono";
import { invalidRequest, ProblemError, problemOf, type Problem } from "./problem.ts";
import type { AppEnv } from "./types.ts";

/** The API's limit for request bodies. */
export const MAX_BODY_BYTES = 64 * 1024;

export const tooLarge = (limit: number): Problem => problemOf(413, "body-too-large", "Body too large", `The body is over ${limit} bytes.`);
export const incompleteBody = (): ProblemError =>
  new ProblemError(problemOf(400, "incomplete-body", "Incomplete body", "The client closed the connection before the body ended."));

/**
 * How one runtime's request gives its headers and body. Functions over the request rather than
 * an object per request: a reader is made once, and a request costs nothing more to read.
 */
export interface BodyReader<R> {
  /** A header by its lower-case name (a repeated one joined with ", ", as the web Headers do). */
  header(req: R, name: string): string | undefined;
  /** Whether a body comes without a Content-Length (streamed). */
  streamed(req: R): boolean;
  /**
   * The body's bytes, at most `limit`, to `done` once: with the bytes, or with an error (a
   * ProblemError over the limit, or for a client gone before the end).
   */
  read(req: R, limit: number, done: (err: unknown, bytes?: Uint8Array) => void): void;
}

export function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

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
      throw new ProblemError(tooLarge(limit));
    }
    chunks.push(value);
  }
}

/** The app's default reader: the web Request's headers and stream (the Worker, app.request, any fetch runtime). */
export const webBody: BodyReader<Context<AppEnv>> = {
  header: (c, name) => c.req.header(name),
  streamed: (c) => c.req.raw.body !== null,
  read: (c, limit, done) => void readWeb(c.req.raw, limit).then((bytes) => done(undefined, bytes), done),
};

/**
 * 413 when the declared Content-Length is over `limit`: before anything is read, so it comes
 * before 415 or 401, as a body-limit middleware would answer. The one place it is checked (the
 * app's handlers and the JSON operations, whichever adapter serves them, come through here).
 */
export function declaredTooLarge<R>(reader: BodyReader<R>, req: R, limit: number): ProblemError | undefined {
  const length = reader.header(req, "content-length");
  return length !== undefined && /^\d+$/.test(length) && Number(length) > limit ? new ProblemError(tooLarge(limit)) : undefined;
}

const isJson = (type: string) => /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type);
const utf8 = new TextDecoder();

function parseJson(bytes: Uint8Array): unknown {
  const text = utf8.decode(bytes);
  if (text.trim().length === 0) return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ProblemError({
      ...invalidRequest([{ path: "", message: `malformed JSON: ${(err as Error).message.slice(0, 200)}` }], "The body is not valid JSON."),
      type: "urn:isoplace:problem:malformed-json",
      title: "Malformed JSON",
    });
  }
}

/**
 * A request's JSON body, to `done`, its Content-Length already held to the limit
 * (declaredTooLarge): 415 for another content type before anything is read, an empty request
 * (no body at all) as `{}` (every field is optional), then read (counted against `limit`) and
 * parsed. Callbacks, not a promise: this is the JSON operations' hot path.
 */
export function readJsonThen<R>(reader: BodyReader<R>, req: R, limit: number, done: (err: unknown, body?: unknown) => void): void {
  const type = reader.header(req, "content-type") ?? "";
  if (!isJson(type)) {
    const length = reader.header(req, "content-length");
    if (!type && (length !== undefined ? length === "0" : !reader.streamed(req))) return done(undefined, {});
    return done(
      new ProblemError(
        problemOf(
          415,
          "unsupported-media-type",
          "Unsupported media type",
          `The body must be JSON (content-type: application/json); got ${type ? `"${type.slice(0, 100)}"` : "none"}.`,
        ),
      ),
    );
  }
  reader.read(req, limit, (err, bytes) => {
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

/**
 * The whole body of a request to a route with a handler of its own, at most `limit` bytes (its
 * maxBodyBytes: the app checked the declared Content-Length against it before the handler ran),
 * read as the app's runtime reads bodies.
 */
export function readBody(c: Context<AppEnv>, limit: number): Promise<Uint8Array> {
  const reader = c.get("body") ?? webBody;
  return new Promise((resolve, reject) => reader.read(c, limit, (err, bytes) => (err ? reject(err) : resolve(bytes!))));
}
