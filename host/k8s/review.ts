// AdmissionReview (admission.k8s.io/v1): the request the API server sends and the answer it
// expects. Parsed with zod, loosely (the API server may add fields), strictly where we rely on
// a field. Runtime-neutral.
import { z } from "zod";

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";

/** A JSON object (its values are checked as the annotations are read: annotations.ts). */
const isObject = (v: unknown): boolean => typeof v === "object" && v !== null && !Array.isArray(v);

const groupVersionKind = z.looseObject({ group: z.string(), version: z.string(), kind: z.string() });

const podLike = z.looseObject({
  metadata: z.looseObject({
    name: z.string().optional(),
    generateName: z.string().optional(),
    namespace: z.string().optional(),
    // not copied key by key (z.record): a review may carry 3 MiB of them; read in one pass (annotations.ts)
    annotations: z.custom<Record<string, string>>(isObject, { error: "metadata.annotations must map strings to strings" }).nullish(),
  }, { error: "metadata must be an object" }).optional(),
  spec: z.looseObject({ runtimeClassName: z.string().nullish() }, { error: "spec must be an object" }).optional(),
}, { error: "object must be a Kubernetes object" });

export const admissionReview = z.looseObject({
  apiVersion: z.literal(ADMISSION_API_VERSION, { error: `apiVersion must be "${ADMISSION_API_VERSION}"` }),
  kind: z.literal("AdmissionReview", { error: 'kind must be "AdmissionReview"' }),
  request: z.looseObject({
    uid: z.string({ error: "request.uid must be a string" }).min(1, "request.uid must not be empty").max(256, "request.uid is at most 256 characters"),
    kind: groupVersionKind,
    operation: z.string({ error: "request.operation must be a string (CREATE, UPDATE, DELETE, CONNECT)" }),
    namespace: z.string().optional(),
    name: z.string().optional(),
    subResource: z.string().optional(),
    dryRun: z.boolean().optional(),
    object: z.unknown().optional(),
  }, { error: "request must be an object" }),
}, { error: "the body must be an AdmissionReview object" });

export type AdmissionReview = z.infer<typeof admissionReview>;
export type AdmissionRequest = AdmissionReview["request"];
export const pod = podLike;
export type PodLike = z.infer<typeof podLike>;

export interface AdmissionStatus { code: number; reason?: string; message: string }

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: "JSONPatch";
  patch?: string;
  warnings?: string[];
  status?: AdmissionStatus;
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewAnswer { apiVersion: typeof ADMISSION_API_VERSION; kind: "AdmissionReview"; response: AdmissionResponse }

export const reviewAnswer = (response: AdmissionResponse): AdmissionReviewAnswer =>
  ({ apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response });

/** The answer's schema: /openapi.json documents it, the tests parse every answer with it. */
export const reviewAnswerSchema = z.object({
  apiVersion: z.literal(ADMISSION_API_VERSION),
  kind: z.literal("AdmissionReview"),
  response: z.object({
    uid: z.string(),
    allowed: z.boolean(),
    patchType: z.literal("JSONPatch").optional(),
    patch: z.string().meta({ description: "RFC 6902 JSON Patch, base64" }).optional(),
    warnings: z.array(z.string().max(120)).optional(),
    status: z.object({ code: z.number().int(), reason: z.string().optional(), message: z.string() }).optional(),
    auditAnnotations: z.record(z.string(), z.string()).optional(),
  }).strict(),
}).strict().meta({ title: "AdmissionReviewAnswer" });
