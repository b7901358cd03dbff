// The two artifacts isoplace stores in a registry, built and checked here (runtime-neutral):
//   the policy — the CNCF Wasm layout: an OCI image manifest, config
//     application/vnd.wasm.config.v0+json {architecture, os, layerDigests}, one application/wasm layer;
//   its signature — artifactType and config application/vnd.isoplace.policy.signature.v1+json,
//     one layer (the DSSE envelope), `subject` = the policy's manifest: a referrer of the policy
//     where the registry serves the referrers API, else tagged sha256-<hex>.sig.
import { sha256Hex } from "../engine/digest.ts";
import { OciError } from "./errors.ts";
import { DIGEST } from "./reference.ts";

export const MEDIA = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  wasmConfig: "application/vnd.wasm.config.v0+json",
  wasm: "application/wasm",
  signature: "application/vnd.isoplace.policy.signature.v1+json",
  envelope: "application/vnd.dsse.envelope.v1+json",
  /** OCI 1.1's empty descriptor (the config oras push writes for an artifact). */
  empty: "application/vnd.oci.empty.v1+json",
} as const;

const ANNOTATION = {
  title: "org.opencontainers.image.title",
  version: "org.opencontainers.image.version",
  created: "org.opencontainers.image.created",
  policyName: "io.isoplace.policy.name",
} as const;

/** Size caps: every manifest and blob is checked against one before it is read or used. */
export const CAPS = { manifest: 256 * 1024, config: 64 * 1024, envelope: 64 * 1024 } as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}
export interface Manifest {
  schemaVersion: 2;
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** A blob to upload: its bytes and its descriptor. */
export interface Blob {
  bytes: Uint8Array;
  descriptor: Descriptor;
}

const encoder = new TextEncoder();
export const digestOf = async (bytes: Uint8Array) => `sha256:${await sha256Hex(bytes)}`;

async function blob(mediaType: string, bytes: Uint8Array, annotations?: Record<string, string>): Promise<Blob> {
  return { bytes, descriptor: { mediaType, digest: await digestOf(bytes), size: bytes.length, ...(annotations ? { annotations } : {}) } };
}

/** A manifest's bytes (what is pushed and digested) with its descriptor. */
export async function manifestBlob(m: Manifest): Promise<Blob> {
  return blob(MEDIA.manifest, encoder.encode(JSON.stringify(m)));
}

export interface PolicyArtifactInput {
  module: Uint8Array;
  name: string;
  version: string;
  title: string;
  created: string;
}

export async function policyArtifact(p: PolicyArtifactInput): Promise<{ blobs: Blob[]; manifest: Blob }> {
  const layer = await blob(MEDIA.wasm, p.module, { [ANNOTATION.title]: p.title });
  const config = await blob(MEDIA.wasmConfig, encoder.encode(JSON.stringify({ architecture: "wasm", os: "wasip1", layerDigests: [layer.descriptor.digest] })));
  const manifest = await manifestBlob({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: config.descriptor,
    layers: [layer.descriptor],
    annotations: { [ANNOTATION.title]: p.title, [ANNOTATION.version]: p.version, [ANNOTATION.created]: p.created, [ANNOTATION.policyName]: p.name },
  });
  return { blobs: [config, layer], manifest };
}

export async function signatureArtifact(envelope: string, subject: Descriptor, created: string): Promise<{ blobs: Blob[]; manifest: Blob }> {
  const layer = await blob(MEDIA.envelope, encoder.encode(envelope));
  const config = await blob(MEDIA.signature, encoder.encode("{}"));
  const manifest = await manifestBlob({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    artifactType: MEDIA.signature,
    config: config.descriptor,
    layers: [layer.descriptor],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { [ANNOTATION.created]: created },
  });
  return { blobs: [config, layer], manifest };
}

/** The tag a signature is found by on registries without the referrers API (as cosign's .sig tags). */
export const signatureTag = (manifestDigest: string) => `${manifestDigest.replace(":", "-")}.sig`;

/** OCI 1.1's referrers tag schema: the tag of the image index listing a manifest's referrers where the API is missing (what oras attach writes). */
export const referrersTag = (manifestDigest: string) => manifestDigest.replace(":", "-");

export interface Referrer extends Descriptor {
  artifactType?: string;
}

/** The JSON in `bytes`, of a shape still to check; a format error naming `what` when it is not JSON. */
function parseJson<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch {
    throw new OciError("format", `${what} is not JSON`);
  }
}

/** An image index's manifests (a referrers answer or a referrers tag schema index), each checked to be a descriptor. */
export function parseIndex(bytes: Uint8Array, what: string): Referrer[] {
  const m = parseJson<{ schemaVersion?: unknown; mediaType?: unknown; manifests?: unknown }>(bytes, what);
  if (!m || typeof m !== "object" || m.schemaVersion !== 2 || (m.mediaType !== undefined && m.mediaType !== MEDIA.index))
    throw new OciError("format", `${what} is not an OCI image index`);
  if (!Array.isArray(m.manifests)) throw new OciError("format", `${what} has no manifests list`);
  return m.manifests.map((d, i) => descriptor(d, `${what}'s manifest ${i}`) as Referrer);
}

function descriptor(value: unknown, where: string): Descriptor {
  const d = value as Descriptor;
  if (!d || typeof d !== "object" || typeof d.mediaType !== "string" || typeof d.digest !== "string" || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new OciError("format", `${where} is not a descriptor (mediaType, digest, size)`);
  }
  if (!DIGEST.test(d.digest)) throw new OciError("format", `${where}'s digest "${d.digest}" is not sha256:<64 hex>`);
  return d;
}

/** A manifest's JSON, checked to be an OCI image manifest with descriptors that make sense. */
export function parseManifest(bytes: Uint8Array, what: string): Manifest {
  const m = parseJson<Manifest>(bytes, what);
  if (!m || typeof m !== "object" || m.schemaVersion !== 2) throw new OciError("format", `${what} is not an OCI manifest (schemaVersion 2)`);
  if (m.mediaType === MEDIA.index) throw new OciError("format", `${what} is an image index, not a policy artifact`);
  if (m.mediaType !== undefined && m.mediaType !== MEDIA.manifest)
    throw new OciError("format", `${what} has media type ${m.mediaType}; expected ${MEDIA.manifest}`);
  descriptor(m.config, `${what}'s config`);
  if (!Array.isArray(m.layers)) throw new OciError("format", `${what} has no layers`);
  m.layers.forEach((l, i) => descriptor(l, `${what}'s layer ${i}`));
  if (m.subject !== undefined) descriptor(m.subject, `${what}'s subject`);
  return m;
}

/** The policy's one layer, after checking the CNCF Wasm layout. */
export function policyLayer(m: Manifest, what: string): Descriptor {
  if (m.config.mediaType !== MEDIA.wasmConfig)
    throw new OciError("format", `${what} is not a Wasm artifact: its config is ${m.config.mediaType}, expected ${MEDIA.wasmConfig}`);
  const wasm = m.layers.filter((l) => l.mediaType === MEDIA.wasm);
  if (m.layers.length !== 1 || wasm.length !== 1)
    throw new OciError(
      "format",
      `${what} must have exactly one ${MEDIA.wasm} layer; it has ${m.layers.length} layer(s) (${m.layers.map((l) => l.mediaType).join(", ")})`,
    );
  return wasm[0];
}

/** Checks the Wasm config blob (architecture, os, layerDigests naming the layer). */
export function checkWasmConfig(bytes: Uint8Array, layer: Descriptor, what: string): void {
  const c = parseJson<{ architecture?: unknown; os?: unknown; layerDigests?: unknown }>(bytes, `${what}'s config`);
  if (c?.architecture !== "wasm") throw new OciError("format", `${what}'s config has architecture ${JSON.stringify(c?.architecture)}, expected "wasm"`);
  if (Array.isArray(c.layerDigests) && !c.layerDigests.includes(layer.digest))
    throw new OciError("format", `${what}'s config does not list its layer ${layer.digest} in layerDigests`);
}

/**
 * The envelope layer of a signature manifest, after checking that it signs `subjectDigest`. A
 * manifest found by its sha256-<hex>.sig tag may have no subject (a tool that only tags, as
 * `oras push` does): the tag names the policy; one that has a subject must name the policy.
 */
export function signatureLayer(m: Manifest, subjectDigest: string, what: string, o: { byTag?: boolean } = {}): Descriptor {
  if (m.artifactType !== MEDIA.signature && m.config.mediaType !== MEDIA.signature)
    throw new OciError("format", `${what} is not an isoplace signature (artifactType ${m.artifactType ?? "none"})`);
  if ((m.subject || !o.byTag) && m.subject?.digest !== subjectDigest)
    throw new OciError("digest", `${what} is for ${m.subject?.digest ?? "no subject"}, not for the policy ${subjectDigest}`);
  if (m.layers.length !== 1) throw new OciError("format", `${what} must have exactly one layer (the DSSE envelope); it has ${m.layers.length}`);
  return m.layers[0];
}
