// Pushing and pulling a policy module with its signed statement (runtime-neutral).
// Push order keeps a tag from ever naming an unsigned policy: blobs, the policy manifest by its
// digest, the signature (its `subject` the policy's manifest), and only then the policy's tag.
// The signature is a referrer of the policy where the registry serves the OCI 1.1 referrers API;
// elsewhere it is also tagged sha256-<hex>.sig, as cosign and notation fall back to a tag.
// Pulling looks everywhere any of these tools may have put one: the referrers API, the .sig tag,
// OCI 1.1's referrers tag schema (the sha256-<hex> index oras attach writes without the API). It
// hands back every isoplace signature it finds there, unverified and in no order that matters:
// which one (if any) to trust is the caller's decision (the agent verifies each), never a label's.
import {
  CAPS,
  checkWasmConfig,
  MEDIA,
  parseIndex,
  parseManifest,
  policyArtifact,
  policyLayer,
  referrersTag,
  signatureArtifact,
  signatureLayer,
  signatureTag,
  type Manifest,
  type PolicyArtifactInput,
  type Referrer,
} from "./artifact.ts";
import { OciError } from "./errors.ts";
import { formatReference, pinned, type OciReference } from "./reference.ts";
import { Repository } from "./registry.ts";
import type { TransportOptions } from "./transport.ts";

const MAX_POLICY_BYTES = 1024 * 1024;
/**
 * At most this many signatures are read from the referrers API, and as many from the referrers
 * tag schema index (the .sig tag is one more): a repository anyone could write junk into costs a
 * bounded number of requests and bytes.
 */
export const MAX_REFERRERS = 8;
/** At most this many pages of a referrers list are read. */
export const MAX_REFERRER_PAGES = 4;

/** Where a signature was found or put: as a referrer (API or tag schema index), or by its .sig tag. */
export type SignaturePath = "referrers" | "referrers-tag" | "tag";

export interface PushResult {
  digest: string;
  pinned: string;
  uploaded: number;
  existing: number;
  signature: SignaturePath;
}

export async function pushPolicy(ref: OciReference, p: PolicyArtifactInput & { envelope: string }, o: TransportOptions = {}): Promise<PushResult> {
  if (!ref.tag || ref.digest) throw new OciError("reference", `push needs a tag: ${formatReference(ref)} (oci://HOST/REPO:TAG)`);
  const repo = new Repository(ref, o);
  const policy = await policyArtifact(p);
  const sig = await signatureArtifact(p.envelope, policy.manifest.descriptor, p.created);
  let uploaded = 0,
    existing = 0;
  for (const b of [...policy.blobs, ...sig.blobs]) {
    if ((await repo.putBlob(b.bytes, b.descriptor)) === "uploaded") uploaded++;
    else existing++;
  }
  const digest = policy.manifest.descriptor.digest,
    sigDigest = sig.manifest.descriptor.digest;
  await repo.putManifest(digest, policy.manifest.bytes, MEDIA.manifest, digest);
  const put = await repo.putManifest(sigDigest, sig.manifest.bytes, MEDIA.manifest, sigDigest);
  // OCI-Subject says the registry indexed it; a registry that does not send it may still list it
  let signature: SignaturePath = "referrers";
  if (put.subject !== digest && !(await listsReferrer(repo, digest, sigDigest))) {
    await repo.putManifest(signatureTag(digest), sig.manifest.bytes, MEDIA.manifest, sigDigest);
    signature = "tag";
  }
  await repo.putManifest(ref.tag, policy.manifest.bytes, MEDIA.manifest, digest);
  return { digest, pinned: formatReference(pinned(ref, digest)), uploaded, existing, signature };
}

/**
 * Whether the registry lists `sigDigest` among `digest`'s referrers. Any failure to say so means
 * no: the .sig tag is then written too, which is never wrong, where failing here would leave a
 * push with its manifests written and its tag not moved.
 */
async function listsReferrer(repo: Repository, digest: string, sigDigest: string): Promise<boolean> {
  try {
    const listed = await repo.referrers(digest, MEDIA.signature, { maxBytes: CAPS.manifest, maxPages: MAX_REFERRER_PAGES });
    return listed?.referrers.some((d) => d.digest === sigDigest) ?? false;
  } catch (err) {
    if (err instanceof OciError) return false;
    throw err;
  }
}

export interface PulledPolicy {
  module: Uint8Array;
  /** Every isoplace signature found for this manifest (none: unsigned), unverified. */
  signatures: FoundSignature[];
  /** Signatures looked at and passed over, each with why. */
  skipped: OciError[];
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

/** Pulls the policy a reference names (a tag, or a pinned digest) and its signatures, every byte checked. */
export async function pullPolicy(ref: OciReference, o: PullOptions = {}, repo = new Repository(ref, o)): Promise<PulledPolicy> {
  const id = ref.digest ?? ref.tag!;
  const what = formatReference(ref);
  const m = await repo.getManifest(id, CAPS.manifest);
  if (!m) throw new OciError("not-found", `${what}: no such manifest in the registry`, 404);
  const manifest = parseManifest(m.bytes, what);
  const layer = policyLayer(manifest, what);
  if (o.config !== false) checkWasmConfig(await repo.getBlob(manifest.config, CAPS.config, `${what}'s config`), layer, what);
  const module = await repo.getBlob(layer, o.maxModuleBytes ?? MAX_POLICY_BYTES, `${what}'s module`);
  const { found, skipped } = await pullSignatures(repo, m.digest, what);
  return { module, signatures: found, skipped, digest: m.digest, manifest, etag: m.etag };
}

/** An isoplace signature of a policy manifest, as found: its envelope (unverified), where, and its own manifest's digest. */
interface FoundSignature {
  envelope: string;
  path: SignaturePath;
  digest: string;
}

export interface Signatures {
  found: FoundSignature[];
  skipped: OciError[];
}

/** What makes one signature unusable without making the others so: the rest are the registry's or the network's and end the pull. */
const PASSED_OVER = new Set(["format", "digest", "size", "not-found"]);

/**
 * Every isoplace signature of the manifest `digest`: the referrers the API lists (every page up
 * to the cap), the .sig tag's, and where the API is missing the entries of the referrers tag
 * schema index; each once. A
 * signature that cannot be read, is not isoplace's or is for another manifest is passed over (in
 * `skipped`, with why), so junk beside a good signature never hides it.
 */
export async function pullSignatures(repo: Repository, digest: string, what: string): Promise<Signatures> {
  const found: FoundSignature[] = [],
    skipped: OciError[] = [];
  const seen = new Set<string>();
  const passOver = (err: unknown) => {
    if (!(err instanceof OciError && PASSED_OVER.has(err.kind))) throw err;
    skipped.push(err);
  };
  const read = async (reference: string, path: SignaturePath) => {
    try {
      const sig = await readSignature(repo, reference, digest, what, path);
      if (sig && !seen.has(sig.digest)) found.push(sig);
      if (sig) seen.add(sig.digest);
    } catch (err) {
      passOver(err);
    }
  };
  const readListed = async (listed: Referrer[], path: SignaturePath, from: string) => {
    const fresh = listed.filter((d) => !seen.has(d.digest));
    for (const d of fresh.slice(0, MAX_REFERRERS)) await read(d.digest, path);
    if (fresh.length > MAX_REFERRERS)
      skipped.push(new OciError("size", `${what}: ${from} lists ${fresh.length} signatures; only the first ${MAX_REFERRERS} were read`));
  };

  let api = false;
  try {
    const listed = await repo.referrers(digest, MEDIA.signature, { maxBytes: CAPS.manifest, maxPages: MAX_REFERRER_PAGES });
    api = listed !== null;
    if (listed?.truncated)
      skipped.push(new OciError("size", `${what}: the referrers API's list goes on past ${MAX_REFERRER_PAGES} pages; the rest was not read`));
    if (listed) await readListed(listed.referrers, "referrers", "the referrers API");
  } catch (err) {
    passOver(err);
  }

  // cosign writes .sig tags beside the API too; the tag schema index is OCI 1.1's fallback for where the API is missing
  await read(signatureTag(digest), "tag");
  if (api) return { found, skipped };

  const indexWhat = `${what}'s referrers index (${referrersTag(digest)})`;
  try {
    const index = await repo.getManifest(referrersTag(digest), CAPS.manifest);
    if (index)
      await readListed(
        parseIndex(index.bytes, indexWhat).filter((d) => d.artifactType === MEDIA.signature),
        "referrers-tag",
        indexWhat,
      );
  } catch (err) {
    passOver(err);
  }
  return { found, skipped };
}

/** One signature manifest (by digest or by the .sig tag) and its envelope; null when there is no such manifest. */
async function readSignature(repo: Repository, reference: string, digest: string, what: string, path: SignaturePath): Promise<FoundSignature | null> {
  const sigWhat = `${what}'s signature (${reference})`;
  const m = await repo.getManifest(reference, CAPS.manifest);
  if (!m) return null; // listed but since deleted, or no .sig tag
  const layer = signatureLayer(parseManifest(m.bytes, sigWhat), digest, sigWhat, { byTag: path === "tag" });
  const envelope = new TextDecoder().decode(await repo.getBlob(layer, CAPS.envelope, sigWhat));
  return { envelope, path, digest: m.digest };
}
