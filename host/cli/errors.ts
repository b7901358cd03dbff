// Exit codes of docs/API.md: 0 done, 2 invalid input or usage, 3 no feasible level (1: anything else).
export const EXIT = { ok: 0, failed: 1, usage: 2, infeasible: 3 } as const;

/** A bad flag or value: exit 2 with a message naming it. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
