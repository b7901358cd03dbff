// RFC 9457 problem details: every error the HTTP API answers.
import { listedErrors, MAX_LISTED_ERRORS, type FieldError } from "../engine/errors.ts";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** At most MAX_LISTED_ERRORS, each bounded (engine/errors.ts). */
  errors?: FieldError[];
  /** RFC 9457 extension member: how many more errors the request has, not listed. */
  omittedErrors?: number;
}

/** An error that is its answer: the problem, as it is (a body over the limit, not ready). */
export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail);
    this.problem = problem;
  }
}

const TYPE_BASE = "urn:isoplace:problem:";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function problemOf(status: number, slug: string | null, title: string, detail: string, errors?: FieldError[], maxListed = MAX_LISTED_ERRORS): Problem {
  const p: Problem = { type: slug ? TYPE_BASE + slug : "about:blank", title, status, detail };
  if (errors) {
    const listed = listedErrors(errors, maxListed);
    p.errors = listed.errors;
    if (listed.omitted) p.omittedErrors = listed.omitted;
  }
  return p;
}

export function problemResponse(p: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(p), { status: p.status, headers: { "content-type": PROBLEM_CONTENT_TYPE, ...headers } });
}

export const invalidRequest = (errors: FieldError[], detail = "The request has invalid fields; see errors.", maxListed = MAX_LISTED_ERRORS) =>
  problemOf(400, "invalid-request", "Invalid request", detail, errors, maxListed);
