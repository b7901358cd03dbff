// What a failed request answers: the problem for an error a route threw, the same whichever host
// served it (Hono's app or the Node agent's JSON lane). Anything unexpected is logged and is a
// plain 500 that says nothing of the inside.
import { InvalidRequestError, PolicyTrapError } from "../engine/errors.ts";
import { invalidRequest, ProblemError, problemOf, type Problem } from "./problem.ts";

export function problemForError(err: unknown, method: string, path: string): Problem {
  if (err instanceof InvalidRequestError) return invalidRequest(err.errors);
  if (err instanceof ProblemError) return err.problem;
  if (err instanceof PolicyTrapError)
    return problemOf(
      500,
      "policy-trap",
      "Policy module trapped",
      "The policy module failed on this request; it has been restarted and the next request is served.",
    );
  console.error(`isoplace: unexpected error on ${method} ${path}:`, err);
  return problemOf(500, "internal", "Internal error", "An unexpected error occurred.");
}
