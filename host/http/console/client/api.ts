// The API client. Relative URLs: the console works wherever the app is mounted.
import type { Problem } from "../../problem.ts";

/** A non-2xx answer; problem is the RFC 9457 body when the server sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Partial<Problem> | null;
  constructor(status: number, problem: Partial<Problem> | null) {
    super(problem?.detail ? problem.detail : "the server answered HTTP " + status);
    this.status = status;
    this.problem = problem;
  }
}

export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, Object.assign({ headers: { accept: "application/json" } }, init));
  let body = null;
  try {
    body = await res.json();
  } catch (_) {
    body = null;
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

/** An error's message, whatever was thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
