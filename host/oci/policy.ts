// Pushing and pulling a policy module with its signed statement (runtime-neutral).
// Push order keeps a tag from ever naming an unsigned policy: blobs, the policy manifest by its
// digest, the signature (its `subject` the policy's manifest), and only then the policy's tag.
// The signature is a referrer of the policy where the registry serves the OCI 1.1 referrers API;
// elsewhere it is also tagged sha256-<hex>.sig, as cosign and notation fall back to a tag.
// Pulling looks where any of these tools may have put it: the referrers API, the .sig tag, OCI
// 1.1's referrers tag schema (the sha256-<hex> index oras attach writes without the API).
import {
  CAPS, checkWasmConfig, MEDIA, parseIndex, parseManifest, policyArtifact, policyLayer, referrersTag, signatureArtifact, signatureLayer, signatureTag,
  type Manifest, type PolicyArtifactInput, type Referrer,
} from "./artifact.ts";
import { OciError } from "./errors.ts";
import { formatReference, pinned, type OciReference } from "./reference.ts";
import { Repository } from "./registry.ts";
import type { TransportOptions } from "./transport.ts";

export const MAX_POLICY_BYTES = 1024 * 1024;
/** At most this many signature referrers of one policy are read (the newest first). */
const MAX_REFERRERS = 8;

/** Where a signature was found or put: as a referrer (API or tag schema index), or by its .sig tag. */
export type SignaturePath = "referrers" | "referrers-tag" | "tag";

export interface PushResult { digest: string; pinned: string; uploaded: number; existing: number; signature: SignaturePath }

export async function pushPolicy(ref: OciReference, p: PolicyArtifactInput & { envelope: string }, o: TransportOptions = {}): Promise<PushResult> {
  if (!ref.tag || ref.digest) throw new OciError("reference", `push needs a tag: ${formatReference(ref)} (oci://HOST/REPO:TAG)`);
  const repo = new Repository(ref, o);
  const policy = await policyArtifact(p);
  const sig = await signatureArtifact(p.envelope, policy.manifest.descriptor, p.created);
  let uploaded = 0, existing = 0;
  for (const b of [...policy.blobs, ...sig.blobs]) {
    if ((await repo.putBlob(b.bytes, b.descriptor)) === "uploaded") uploaded++; else existing++;
  }
  const digest = policy.manifest.descriptor.digest, sigDigest = sig.manifest.descriptor.digest;
  await repo.putManifest(digest, policy.manifest.bytes, MEDIA.manifest, digest);
  const put = await repo.putManifest(sigDigest, sig.manifest.bytes, MEDIA.manifest, sigDigest);
  // OCI-Subject says the registry indexed it; a registry that does not send it may still list it
  let signature: SignaturePath = "referrers";
  if (put.subject !== digest && !(await repo.referrers(digest, MEDIA.signature, CAPS.manifest))?.some((d) => d.digest === sigDigest)) {
    await repo.putManifest(signatureTag(digest), sig.manifest.bytes, MEDIA.manifest, sigDigest);
    signature = "tag";
  }
  await repo.putManifest(ref.tag, policy.manifest.bytes, MEDIA.manifest, digest);
  return { digest, pinned: formatReference(pinned(ref, digest)), uploaded, existing, signature };
}

export interface PulledPolicy {
  module: Uint8Array;
  /** The DSSE envelope's JSON text (or a sigstore bundle holding one); null when the registry has no signature for this manifest. */
  envelope: string | null;
  /** How the signature was found. */
  signature: SignaturePath | null;
  /** The policy manifest's digest: what the pulled content is pinned to. */
  digest: string;
  manifest: Manifest;
  etag?: string;
}

export interface PullOptions extends TransportOptions {
  maxModuleBytes?: number;
  /**
   * Fetch and check the Wasm config blob too (default). The agent skips it: it runs only the
   * module, whose bytes the signed statement names, and a fleet saves a request per agent per version.
   */
  config?: boolean;
}

/** Pulls the policy a reference names (a tag, or a pinned digest) and its signature, every byte checked. */
export async function pullPolicy(ref: OciReference, o: PullOptions = {}, repo = new Repository(ref, o)): Promise<PulledPolicy> {
  const id = ref.digest ?? ref.tag!;
  const what = formatReference(ref);
  const m = await repo.getManifest(id, CAPS.manifest);
  if (!m) throw new OciError("not-found", `${what}: no such manifest in the registry`, 404);
  const manifest = parseManifest(m.bytes, what);
  const layer = policyLayer(manifest, what);
  if (o.config !== false) checkWasmConfig(await repo.getBlob(manifest.config, CAPS.config, `${what}'s config`), layer, what);
  const module = await repo.getBlob(layer, o.maxModuleBytes ?? MAX_POLICY_BYTES, `${what}'s module`);
  const sig = await pullSignature(repo, m.digest, what);
  return { module, envelope: sig?.envelope ?? null, signature: sig?.path ?? null, digest: m.digest, manifest, etag: m.etag };
}

const created = (d: Referrer) => d.annotations?.["org.opencontainers.image.created"] ?? "";

/**
 * The envelope of the signature artifact for `digest`, wherever it is: a referrer listed by the
 * referrers API (the newest first), else the .sig tag, else an entry of the referrers tag schema
 * index; null when there is none.
 */
export async function pullSignature(repo: Repository, digest: string, what: string): Promise<{ envelope: string; path: SignaturePath } | null> {
  const listed = await repo.referrers(digest, MEDIA.signature, CAPS.manifest);
  const byApi = listed?.length ? await firstSignature(repo, listed, digest, what) : null;
  if (byApi) return { envelope: byApi, path: "referrers" };

  const tag = signatureTag(digest);
  const m = await repo.getManifest(tag, CAPS.manifest);
  if (m) {
    const sigWhat = `${what}'s signature (${tag})`;
    const layer = signatureLayer(parseManifest(m.bytes, sigWhat), digest, sigWhat, { byTag: true });
    return { envelope: new TextDecoder().decode(await repo.getBlob(layer, CAPS.envelope, sigWhat)), path: "tag" };
  }

  const index = await repo.getManifest(referrersTag(digest), CAPS.manifest);
  const indexed = index ? parseIndex(index.bytes, `${what}'s referrers index (${referrersTag(digest)})`).filter((d) => d.artifactType === MEDIA.signature) : [];
  const byIndex = indexed.length ? await firstSignature(repo, indexed, digest, what) : null;
  return byIndex ? { envelope: byIndex, path: "referrers-tag" } : null;
}

/** The envelope of the newest isoplace signature among a policy's referrers (a re-signed statement is pushed beside the one it renews). */
async function firstSignature(repo: Repository, referrers: Referrer[], digest: string, what: string): Promise<string | null> {
  for (const d of referrers.sort((a, b) => created(b).localeCompare(created(a))).slice(0, MAX_REFERRERS)) {
    const sigWhat = `${what}'s signature (${d.digest})`;
    const m = await repo.getManifest(d.digest, CAPS.manifest);
    if (!m) continue; // listed but since deleted
    const sm = parseManifest(m.bytes, sigWhat);
    if (sm.artifactType !== MEDIA.signature && sm.config.mediaType !== MEDIA.signature) continue; // another tool's referrer
    return new TextDecoder().decode(await repo.getBlob(signatureLayer(sm, digest, sigWhat), CAPS.envelope, sigWhat));
  }
  return null;
}
