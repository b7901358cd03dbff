// The predicate of a policy statement: what a signer vouches for about one module besides its
// digest (which is the statement's subject). Its fields are listed, checked and copied here and
// nowhere else, so a new field is added in one place. A staged rollout's plan and guard are
// predicate fields too, checked by rollout.ts. Runtime-neutral.
import { rolloutProblem, type Guard, type Rollout } from "./rollout.ts";
import { parseSignedTime } from "./signed-time.ts";

/** The statement's predicateType: what `cosign attest-blob --type` is given. */
export const PREDICATE_TYPE = "https://isoplace.dev/policy-statement/v1";

export interface PolicyPredicate {
  name: string;
  version: string;
  /** A positive integer that only grows for a policy name. */
  serial: number;
  issuedAt: string;
  expires?: string;
  /** A staged rollout: when which share of the fleet may adopt it (rollout.ts). */
  rollout?: Rollout;
  /** The shadow evaluation each agent runs before it adopts (rollout.ts). */
  guard?: Guard;
}

export { parseSignedTime };

const isDate = (v: unknown) => parseSignedTime(v) !== null;

/** Why a decoded predicate is not one; null when it is. */
export function predicateProblem(p: unknown): string | null {
  const st = p as Partial<PolicyPredicate> | null;
  if (!st || typeof st !== "object" || Array.isArray(st)) return "the predicate is not a JSON object";
  if (typeof st.name !== "string" || st.name === "") return "name must be a non-empty string";
  if (typeof st.version !== "string" || st.version === "") return "version must be a non-empty string";
  if (typeof st.serial !== "number" || !Number.isSafeInteger(st.serial) || st.serial < 1) return "serial must be a positive integer";
  if (!isDate(st.issuedAt))
    return `issuedAt must be an RFC 3339 time with Z or an offset (2026-01-31T12:00:00Z); got ${JSON.stringify(st.issuedAt)?.slice(0, 60)}`;
  if (st.expires !== undefined && !isDate(st.expires))
    return `expires must be an RFC 3339 time with Z or an offset (2026-01-31T12:00:00Z); got ${JSON.stringify(st.expires)?.slice(0, 60)}`;
  return rolloutProblem(st);
}

/** The predicate's own fields of a checked object (anything else in it is left behind), in the order they are signed. */
export function predicateOf(p: PolicyPredicate): PolicyPredicate {
  return {
    name: p.name,
    version: p.version,
    serial: p.serial,
    issuedAt: p.issuedAt,
    ...(p.expires !== undefined ? { expires: p.expires } : {}),
    ...(p.rollout !== undefined ? { rollout: p.rollout } : {}),
    ...(p.guard !== undefined ? { guard: p.guard } : {}),
  };
}
