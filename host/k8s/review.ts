// AdmissionReview (admission.k8s.io/v1): the request the API server sends and the answer it
// expects. Parsed with zod, loosely (the API server may add fields), strictly where we rely on
// a field. Runtime-neutral.
import { z } from "zod";

const ADMISSION_API_VERSION = "admission.k8s.io/v1";

const ANNOTATIONS_ERROR = "metadata.annotations must map strings to strings";

/**
 * Annotations: a JSON object of strings, checked where it is (z.record would copy it key by key,
 * and a review may carry 3 MiB of them); a value that is not a string is an issue at its key.
 */
const annotations = z
  .custom<Record<string, string>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), { error: ANNOTATIONS_ERROR })
  .superRefine((v, ctx) => {
    for (const key in v) {
      if (typeof v[key] !== "string") ctx.addIssue({ code: "invalid_type", expected: "string", input: v[key], path: [key], message: ANNOTATIONS_ERROR });
    }
  });

const groupVersionKind = z.looseObject({ group: z.string(), version: z.string(), kind: z.string() });

const podLike = z.looseObject(
  {
    metadata: z
      .looseObject(
        {
          name: z.string().optional(),
          generateName: z.string().optional(),
          namespace: z.string().optional(),
          annotations: annotations.nullish(),
        },
        { error: "metadata must be an object" },
      )
      .optional(),
    spec: z.looseObject({ runtimeClassName: z.string().nullish() }, { error: "spec must be an object" }).optional(),
  },
  { error: "object must be a Kubernetes object" },
);

export const admissionReview = z.looseObject(
  {
    apiVersion: z.literal(ADMISSION_API_VERSION, { error: `apiVersion must be "${ADMISSION_API_VERSION}"` }),
    kind: z.literal("AdmissionReview", { error: 'kind must be "AdmissionReview"' }),
    request: z.looseObject(
      {
        uid: z.string({ error: "request.uid must be a string" }).min(1, "request.uid must not be empty").max(256, "request.uid is at most 256 characters"),
        kind: groupVersionKind,
        operation: z.string({ error: "request.operation must be a string (CREATE, UPDATE, DELETE, CONNECT)" }),
        namespace: z.string().optional(),
        name: z.string().optional(),
        subResource: z.string().optional(),
        dryRun: z.boolean().optional(),
        object: z.unknown().optional(),
      },
      { error: "request must be an object" },
    ),
  },
  { error: "the body must be an AdmissionReview object" },
);

type AdmissionReview = z.infer<typeof admissionReview>;
export type AdmissionRequest = AdmissionReview["request"];
export const pod = podLike;
export type PodLike = z.infer<typeof podLike>;

interface AdmissionStatus {
  code: number;
  reason?: string;
  message: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: "JSONPatch";
  patch?: string;
  warnings?: string[];
  status?: AdmissionStatus;
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewAnswer {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: "AdmissionReview";
  response: AdmissionResponse;
}

export const reviewAnswer = (response: AdmissionResponse): AdmissionReviewAnswer => ({ apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response });

/** The answer's schema: /openapi.json documents it, the tests parse every answer with it. */
export const reviewAnswerSchema = z
  .object({
    apiVersion: z.literal(ADMISSION_API_VERSION),
    kind: z.literal("AdmissionReview"),
    response: z
      .object({
        uid: z.string(),
        allowed: z.boolean(),
        patchType: z.literal("JSONPatch").optional(),
        patch: z.string().meta({ description: "RFC 6902 JSON Patch, base64" }).optional(),
        warnings: z.array(z.string().max(120)).optional(),
        status: z.object({ code: z.number().int(), reason: z.string().optional(), message: z.string() }).optional(),
        auditAnnotations: z.record(z.string(), z.string()).optional(),
      })
      .strict(),
  })
  .strict()
  .meta({ title: "AdmissionReviewAnswer" });
