// Pushing and pulling a policy module with its signed statement (runtime-neutral).
// Push order keeps a tag from ever naming an unsigned policy: blobs, the policy manifest by its
// digest, the signature (tagged sha256-<hex>.sig), and only then the policy's tag.
import { CAPS, checkWasmConfig, MEDIA, parseManifest, policyArtifact, policyLayer, signatureArtifact, signatureLayer, signatureTag, type Manifest, type PolicyArtifactInput } from "./artifact.ts";
import { OciError } from "./errors.ts";
import { formatReference, pinned, type OciReference } from "./reference.ts";
import { Repository } from "./registry.ts";
import type { TransportOptions } from "./transport.ts";

export const MAX_POLICY_BYTES = 1024 * 1024;

export interface PushResult { digest: string; pinned: string; uploaded: number; existing: number }

export async function pushPolicy(ref: OciReference, p: PolicyArtifactInput & { envelope: string }, o: TransportOptions = {}): Promise<PushResult> {
  if (!ref.tag || ref.digest) throw new OciError("reference", `push needs a tag: ${formatReference(ref)} (oci://HOST/REPO:TAG)`);
  const repo = new Repository(ref, o);
  const policy = await policyArtifact(p);
  const sig = await signatureArtifact(p.envelope, policy.manifest.descriptor, p.created);
  let uploaded = 0, existing = 0;
  for (const b of [...policy.blobs, ...sig.blobs]) {
    if ((await repo.putBlob(b.bytes, b.descriptor)) === "uploaded") uploaded++; else existing++;
  }
  const digest = policy.manifest.descriptor.digest;
  await repo.putManifest(digest, policy.manifest.bytes, MEDIA.manifest, digest);
  await repo.putManifest(signatureTag(digest), sig.manifest.bytes, MEDIA.manifest, sig.manifest.descriptor.digest);
  await repo.putManifest(ref.tag, policy.manifest.bytes, MEDIA.manifest, digest);
  return { digest, pinned: formatReference(pinned(ref, digest)), uploaded, existing };
}

export interface PulledPolicy {
  module: Uint8Array;
  /** The DSSE envelope's JSON text; null when the registry has no signature for this manifest. */
  envelope: string | null;
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
  return { module, envelope: await pullSignature(repo, m.digest, what), digest: m.digest, manifest, etag: m.etag };
}

/** The envelope of the signature artifact for `digest`, found by its tag; null when there is none. */
export async function pullSignature(repo: Repository, digest: string, what: string): Promise<string | null> {
  const tag = signatureTag(digest);
  const m = await repo.getManifest(tag, CAPS.manifest);
  if (!m) return null;
  const sigWhat = `${what}'s signature (${tag})`;
  const layer = signatureLayer(parseManifest(m.bytes, sigWhat), digest, sigWhat);
  return new TextDecoder().decode(await repo.getBlob(layer, CAPS.envelope, sigWhat));
}
