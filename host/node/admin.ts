// The policy admin routes, PUT /v1/policy and POST /v1/policy/rollback, added to the app by the
// Node agent only when an admin token is configured. The bearer token is compared in constant
// time (both sides hashed first, so their lengths say nothing either).
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { readBody } from "../http/body.ts";
import { problemOf, problemResponse, type Problem } from "../http/problem.ts";
import type { AppEnv, RouteSpec } from "../http/types.ts";
import { MAX_MODULE_BYTES } from "../delivery/limits.ts";
import type { OfferResult, PolicyManager } from "../delivery/manager.ts";

export const SIGNATURE_HEADER = "Isoplace-Signature";
const WASM_TYPES = ["application/wasm", "application/octet-stream"];

const problemJson = "application/problem+json";
const asProblem = (description: string) => ({ description, schema: "problem" as const, contentType: problemJson });
const authProblems = { 401: asProblem("No bearer token"), 403: asProblem("Wrong bearer token") };

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Checks `Authorization: Bearer <token>`: null when allowed, else the 401/403 answer. */
export function bearerCheck(token: string): (c: Context<AppEnv>) => Response | null {
  const expected = digest(token);
  return (c) => {
    const header = c.req.header("authorization");
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      return problemResponse(problemOf(401, "unauthorized", "Unauthorized", "This admin call needs Authorization: Bearer <token>."), {
        "www-authenticate": 'Bearer realm="isoplace"',
      });
    }
    if (!timingSafeEqual(digest(m[1]), expected))
      return problemResponse(problemOf(403, "forbidden", "Forbidden", "The bearer token is not the agent's admin token."));
    return null;
  };
}

function answer(c: Context<AppEnv>, manager: PolicyManager, result: OfferResult): Response {
  if (result.status === "rejected") {
    // RFC 9457 extension member `reason`: the check that failed (as in the rejections metric)
    return problemResponse({
      ...problemOf(
        422,
        "policy-rejected",
        "Policy rejected",
        `The module failed the ${result.reason} check and was not activated; the active policy is unchanged. ${result.message}`,
      ),
      reason: result.reason,
    } as Problem);
  }
  // pending: verified, held until its rollout step opens (GET /v1/policy's `pending`)
  return c.json({ result: result.status, ...manager.status() }, result.status === "pending" ? 202 : 200);
}

export function adminRoutes(manager: () => PolicyManager, token: string): RouteSpec[] {
  const auth = bearerCheck(token);
  return [
    {
      method: "put",
      path: "/v1/policy",
      operationId: "putPolicy",
      summary: "Offer a signed policy module; it is activated only if it passes every check (admin)",
      body: { contentType: "application/wasm", schema: () => ({ type: "string", contentMediaType: "application/wasm" }) },
      headers: {
        [SIGNATURE_HEADER]: {
          description:
            "the module's signed statement: its DSSE envelope's JSON (as `isoplace policy sign` writes it to FILE.wasm.sig) or the base64 of it, signed by a trusted key",
          required: true,
        },
      },
      security: true,
      maxBodyBytes: MAX_MODULE_BYTES,
      responses: {
        200: { description: "Activated (result: activated) or already active (result: unchanged); the policy status", schema: "policyStatus" },
        202: {
          description:
            "Verified and held pending (result: pending): its statement stages it, and its rollout step has not opened or its guard has not spoken yet; the policy status",
          schema: "policyStatus",
        },
        ...authProblems,
        413: asProblem("Body over 1 MiB (the largest module accepted)"),
        415: asProblem("Body is not application/wasm"),
        422: asProblem(
          "The module failed a check (member `reason`: size, signature, statement, digest, expired, name, version, serial-lower, serial-reused, guard, abi, compile, meter, imports, meta, catalogue, self-test, budget; see docs/API.md); nothing changed",
        ),
      },
      handler: async (c) => {
        const denied = auth(c);
        if (denied) return denied;
        const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
        if (!WASM_TYPES.includes(type)) {
          return problemResponse(
            problemOf(
              415,
              "unsupported-media-type",
              "Unsupported media type",
              `The body must be the module's bytes (content-type: application/wasm); got ${type ? `"${type.slice(0, 100)}"` : "none"}.`,
            ),
          );
        }
        const bytes = await readBody(c, MAX_MODULE_BYTES);
        const envelope = c.req.header(SIGNATURE_HEADER) ?? null;
        return answer(c, manager(), await manager().offer({ bytes, envelope, source: "admin" }));
      },
    },
    {
      method: "post",
      path: "/v1/policy/rollback",
      operationId: "rollbackPolicy",
      summary: "Re-activate the previous policy, checked again (admin)",
      security: true,
      responses: {
        200: { description: "Rolled back; the policy status", schema: "policyStatus" },
        ...authProblems,
        409: asProblem("No previous policy is kept"),
        422: asProblem("The previous policy no longer passes its checks (e.g. its key is no longer trusted); nothing changed"),
      },
      handler: async (c) => {
        const denied = auth(c);
        if (denied) return denied;
        const result = await manager().rollback();
        if (result.status === "nothing-to-roll-back") {
          return problemResponse(
            problemOf(409, "nothing-to-roll-back", "Nothing to roll back to", "No previous policy is kept; see history in GET /v1/policy."),
          );
        }
        return answer(c, manager(), result);
      },
    },
  ];
}
