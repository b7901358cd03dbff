// RFC 9457 problem details: every error the HTTP API answers.
import type { FieldError } from "../engine/errors.ts";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

const TYPE_BASE = "urn:isoplace:problem:";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function problemOf(status: number, slug: string | null, title: string, detail: string, errors?: FieldError[]): Problem {
  return { type: slug ? TYPE_BASE + slug : "about:blank", title, status, detail, ...(errors ? { errors } : {}) };
}

export function problemResponse(p: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(p), { status: p.status, headers: { "content-type": PROBLEM_CONTENT_TYPE, ...headers } });
}

export const invalidRequest = (errors: FieldError[], detail = "The request has invalid fields; see errors.") =>
  problemOf(400, "invalid-request", "Invalid request", detail, errors);
