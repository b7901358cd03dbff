// Publishing to the test registry from the tests, with the client isoplace ships: a module and
// its statement (pushPolicy, as `policy push` does), or only parts of it (an unsigned artifact,
// a tag moved onto a manifest pushed earlier) to play a publisher's mistakes and a compromised registry.
import { META_SECTION } from "../../../host/engine/abi.ts";
import { customSections, readMeta } from "../../../host/engine/meta.ts";
import { MEDIA, parseReference, pushPolicy, Repository } from "../../../host/oci/index.ts";
import { manifestBlob, policyArtifact, signatureArtifact } from "../../../host/oci/artifact.ts";

const metaOf = (module: Uint8Array) => readMeta(customSections(module, META_SECTION));

export async function publish(ref: string, module: Uint8Array, envelope: string, created = new Date().toISOString()): Promise<string> {
  const meta = metaOf(module);
  return (await pushPolicy(parseReference(ref), { module, envelope, name: meta.name, version: meta.version, title: "policy.wasm", created })).digest;
}

/** The policy artifact alone, with no signature artifact, under the reference's tag. */
export async function publishUnsigned(ref: string, module: Uint8Array): Promise<string> {
  const meta = metaOf(module);
  const r = parseReference(ref);
  const repo = new Repository(r);
  const a = await policyArtifact({ module, name: meta.name, version: meta.version, title: "policy.wasm", created: new Date().toISOString() });
  for (const b of a.blobs) await repo.putBlob(b.bytes, b.descriptor);
  await repo.putManifest(r.tag!, a.manifest.bytes, MEDIA.manifest, a.manifest.descriptor.digest);
  return a.manifest.descriptor.digest;
}

/** A manifest's bytes, by digest. */
export async function manifestBytes(ref: string, digest: string): Promise<Uint8Array> {
  const m = await new Repository(parseReference(ref)).getManifest(digest, 1 << 20);
  if (!m) throw new Error(`no manifest ${digest}`);
  return m.bytes;
}

/** Points the reference's tag at a manifest already in the repository (its bytes), as `oras tag` does. */
export async function retag(ref: string, bytes: Uint8Array, digest: string): Promise<void> {
  const r = parseReference(ref);
  await new Repository(r).putManifest(r.tag!, bytes, MEDIA.manifest, digest);
}

/**
 * Another signature artifact on a pushed policy manifest, put by its digest (a referrer where the
 * registry serves the API): what a second `oras attach` of a statement leaves; `foreign`, another
 * tool's artifact attached to the same manifest. Its digest.
 */
export async function attach(ref: string, subject: string, envelope: string, o: { created?: string; foreign?: boolean } = {}): Promise<string> {
  const r = parseReference(ref);
  const repo = new Repository(r);
  const bytes = await manifestBytes(ref, subject);
  const sig = await signatureArtifact(envelope, { mediaType: MEDIA.manifest, digest: subject, size: bytes.length }, o.created ?? new Date().toISOString());
  const manifest = JSON.parse(new TextDecoder().decode(sig.manifest.bytes));
  if (o.foreign) {
    // another tool's artifact as oras writes one: its own artifactType, the empty config ("{}", the same bytes)
    manifest.artifactType = "application/vnd.example.sbom.v1+json";
    manifest.config.mediaType = MEDIA.empty;
    manifest.layers[0].mediaType = "application/json";
  }
  const written = await manifestBlob(manifest);
  for (const b of sig.blobs) await repo.putBlob(b.bytes, b.descriptor);
  await repo.putManifest(written.descriptor.digest, written.bytes, MEDIA.manifest, written.descriptor.digest);
  return written.descriptor.digest;
}
