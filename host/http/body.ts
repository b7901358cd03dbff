// Reading a JSON request body: the content type is checked before anything is read, the size
// by bodyLimit (content-length first, then while streaming), malformed JSON named as such.
import type { Context } from "hono";
import { invalidRequest, problemOf, type Problem } from "./problem.ts";

export const MAX_BODY_BYTES = 64 * 1024;

export class BodyProblem extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail);
    this.problem = problem;
  }
}

const isJson = (type: string) => /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type);

export async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!isJson(type)) {
    // no body at all is an empty request (every field is optional); anything else must be JSON
    if (!type && (c.req.raw.body === null || c.req.header("content-length") === "0")) return {};
    throw new BodyProblem(problemOf(415, "unsupported-media-type", "Unsupported media type",
      `The body must be JSON (content-type: application/json); got ${type ? `"${type.slice(0, 100)}"` : "none"}.`));
  }
  const text = await c.req.text();
  if (text.trim().length === 0) return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BodyProblem({ ...invalidRequest([{ path: "", message: `malformed JSON: ${(err as Error).message.slice(0, 200)}` }], "The body is not valid JSON."), type: "urn:isoplace:problem:malformed-json", title: "Malformed JSON" });
  }
}
