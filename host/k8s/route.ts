// POST /v1/admission/pods: the admission webhook's route, described once like the API's own
// (the app registers it and /openapi.json documents it). Added by the webhook server only.
import { parseOrThrow } from "../engine/request-schemas.ts";
import type { RouteSpec } from "../http/types.ts";
import { Admitter, type Admission, type AdmissionConfig } from "./admit.ts";
import { admissionReview, reviewAnswer, reviewAnswerSchema } from "./review.ts";

export const ADMISSION_PATH = "/v1/admission/pods";
/** An AdmissionReview carries the whole pod: up to the API server's own 3 MiB request limit, not the API's 64 KiB. */
export const MAX_REVIEW_BYTES = 3 * 1024 * 1024;

export interface AdmissionRouteOptions extends AdmissionConfig {
  /** Called once per admission answered (metrics, logs), with its time in milliseconds. */
  onAdmission?: (a: Admission, ms: number, dryRun: boolean) => void;
}

const problem = { schema: "problem", contentType: "application/problem+json" } as const;

export function admissionRoute(options: AdmissionRouteOptions): RouteSpec {
  const admitter = new Admitter(options);
  return {
    method: "post",
    path: ADMISSION_PATH,
    operationId: "admitPod",
    summary: "Kubernetes mutating admission for Pods: sets runtimeClassName from the policy's decision",
    body: { contentType: "application/json", schema: () => admissionReview },
    maxBodyBytes: MAX_REVIEW_BYTES,
    responses: {
      200: { description: "An AdmissionReview with the response (allowed, JSON Patch, warnings)", schema: reviewAnswerSchema },
      400: { description: "Not an AdmissionReview: errors name each bad field", ...problem },
      413: { description: "Body over 3 MiB", ...problem },
      415: { description: "Body is not JSON", ...problem },
    },
    json: async (body, call) => {
      const start = performance.now();
      const review = parseOrThrow(admissionReview, body);
      const a = await admitter.admit(call.engine, review.request);
      if (a.decision) call.decision = { id: a.decision.id, level: a.decision.level };
      options.onAdmission?.(a, performance.now() - start, review.request.dryRun === true);
      return reviewAnswer(a.response);
    },
  };
}
