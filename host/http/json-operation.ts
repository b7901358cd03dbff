// A JSON operation's whole handling, once, for every adapter that serves it: the engine for the
// request, the size limit (declared, then counted), the body read and parsed (a GET has none), the
// operation run under the request schemas, errors as problems, the log/metrics entry, and the
// last-resort guard.
// The Hono app (app.ts) serves it through a handler; the Node agent's JSON lane
// (host/node/json-lane.ts) straight from node:http, without the web Request, Context and Response
// Hono's adapter builds for every request. Each gives a BodyReader for its request and a
// JsonReply for its answer: functions made once, so a request allocates no closures of theirs.
import { withValidation } from "../engine/validation.ts";
import { MAX_BODY_BYTES, declaredTooLarge, readJsonThen, type BodyReader } from "./body.ts";
import { problemForError } from "./failure.ts";
import { PROBLEM_CONTENT_TYPE } from "./problem.ts";
import { responseEntry } from "./response-entry.ts";
import type { AppOptions, JsonCall, JsonOperation, RouteSpec } from "./types.ts";

/** How an adapter sends an answer to `sink` (its response): a JSON text, or, as a last resort, a bare 500. */
export interface JsonReply<S> {
  send(sink: S, status: number, type: string, text: string): void;
  /** Something failed after the answer was begun, or while sending it: end the exchange (a bare 500 if nothing was sent). */
  abort(sink: S): void;
}

const JSON_TYPE = "application/json";

/** What an operation returns to answer another type than JSON (GET /metrics: Prometheus text). */
export class TextAnswer {
  readonly type: string;
  readonly text: string;
  constructor(type: string, text: string) {
    this.type = type;
    this.text = text;
  }
}

/** One route's JSON operation, ready to serve requests of any adapter. */
export class JsonRoute {
  readonly method: string;
  readonly path: string;
  readonly limit: number;
  readonly operation: JsonOperation;
  readonly engine: AppOptions["engine"];
  readonly observe: AppOptions["onResponse"];
  /** Named in the log/metrics entry (ResponseEntry.via) of the requests it serves; the app's own are not. */
  readonly via: string | undefined;

  constructor(route: RouteSpec, options: Pick<AppOptions, "engine" | "onResponse">, via?: string) {
    this.method = route.method.toUpperCase();
    this.path = route.path;
    this.limit = route.maxBodyBytes ?? MAX_BODY_BYTES;
    this.operation = route.json!;
    this.engine = options.engine;
    this.observe = options.onResponse;
    this.via = via;
  }

  /** Answers `req` through `reply` to `sink`, exactly once; never throws. */
  serve<R, S>(reader: BodyReader<R>, req: R, reply: JsonReply<S>, sink: S): void {
    const x = new Exchange(this, reply, sink);
    try {
      x.call = { engine: this.engine() };
      if (this.method === "GET") return x.respond(undefined);
      const tooLarge = declaredTooLarge(reader, req, this.limit);
      if (tooLarge) return x.fail(tooLarge);
      // the body's callback may run in a stream event: nothing may throw out of it
      readJsonThen(reader, req, this.limit, (err, body) => {
        try {
          x.respond(err, body);
        } catch (e) {
          x.lastResort(e);
        }
      });
    } catch (e) {
      // the engine getter or a header failed: still a problem, if the answer can be sent
      try {
        x.fail(e);
      } catch (e2) {
        x.lastResort(e2);
      }
    }
  }
}

/** One request's state while it is served: an object, not closures, so it costs one allocation. */
class Exchange<S> {
  readonly route: JsonRoute;
  readonly reply: JsonReply<S>;
  readonly sink: S;
  readonly start: number;
  call: JsonCall | undefined;
  answered = false;

  constructor(route: JsonRoute, reply: JsonReply<S>, sink: S) {
    this.route = route;
    this.reply = reply;
    this.sink = sink;
    this.start = route.observe ? performance.now() : 0;
  }

  respond(err: unknown, body?: unknown): void {
    if (err) return this.fail(err);
    let result: unknown;
    try {
      result = withValidation(() => this.route.operation(body, this.call!));
    } catch (e) {
      return this.fail(e);
    }
    // an operation returns a promise only when it must wait (a batch, the request schemas still loading)
    if (result instanceof Promise)
      result
        .then(
          (r) => this.ok(r),
          (e) => this.fail(e),
        )
        .catch((e) => this.lastResort(e));
    else this.ok(result);
  }

  ok(result: unknown): void {
    if (result instanceof TextAnswer) return this.answer(200, result.type, result.text);
    let text: string;
    try {
      text = JSON.stringify(result);
    } catch (e) {
      return this.fail(e);
    }
    this.answer(200, JSON_TYPE, text);
  }

  fail(err: unknown): void {
    const problem = problemForError(err, this.route.method, this.route.path);
    this.answer(problem.status, PROBLEM_CONTENT_TYPE, JSON.stringify(problem));
  }

  answer(status: number, type: string, text: string): void {
    if (this.answered) return;
    this.answered = true;
    this.reply.send(this.sink, status, type, text);
    const { observe, method, path, via } = this.route;
    if (observe) observe(responseEntry(method, path, status, this.start, this.call?.decision, via));
  }

  /** Every error is answered as a problem; this is for what fails beyond that (a throwing log hook), never a crash. */
  lastResort(err: unknown): void {
    console.error(`isoplace: unexpected error on ${this.route.method} ${this.route.path}:`, err);
    this.answered = true;
    this.reply.abort(this.sink);
  }
}
