// The distribution API calls isoplace needs, on one repository: manifests (GET/HEAD/PUT) and
// blobs (HEAD, GET, upload). Every manifest and blob read is checked against its digest and a
// size cap before it is returned. Runtime-neutral.
import { digestOf, MEDIA, parseIndex, type Descriptor, type Referrer } from "./artifact.ts";
import { discard, readCapped } from "./body.ts";
import { OciError } from "./errors.ts";
import { DIGEST, type OciReference } from "./reference.ts";
import { Transport, type TransportOptions } from "./transport.ts";

const MANIFEST_ACCEPT = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json;q=0.5";

export interface FetchedManifest {
  bytes: Uint8Array;
  digest: string;
  etag?: string;
}
export type HeadResult = { status: "not-modified" } | { status: "ok"; digest: string; etag?: string };

async function httpError(res: Response, what: string): Promise<OciError> {
  let detail = "";
  try {
    const body = JSON.parse(new TextDecoder().decode(await readCapped(res, 16 * 1024, "the error body"))) as { errors?: { code?: string; message?: string }[] };
    const e = body.errors?.[0];
    if (e) detail = `: ${e.code ?? ""}${e.message ? ` ${e.message}` : ""}`;
  } catch {
    await discard(res);
  }
  const kind = res.status === 404 ? "not-found" : res.status === 401 || res.status === 403 ? "auth" : "registry";
  return new OciError(kind, `${what}: HTTP ${res.status}${detail}`, res.status);
}

export class Repository {
  readonly ref: OciReference;
  readonly transport: Transport;
  private readonly base: string;

  constructor(ref: OciReference, o: TransportOptions = {}) {
    this.ref = ref;
    this.transport = new Transport(ref, o);
    this.base = `/v2/${ref.repository}`;
  }

  private where(kind: string, id: string): string {
    return `${kind} ${this.ref.registry}/${this.ref.repository}${id.startsWith("sha256:") ? "@" : ":"}${id}`;
  }

  /** HEAD of a manifest by tag, with If-None-Match: a 304 means the tag still names what it did. */
  async headManifest(reference: string, etag?: string): Promise<HeadResult> {
    const headers: Record<string, string> = { accept: MANIFEST_ACCEPT };
    if (etag) headers["if-none-match"] = etag;
    const res = await this.transport.request("HEAD", `${this.base}/manifests/${reference}`, "pull", { headers });
    await discard(res);
    if (res.status === 304) return { status: "not-modified" };
    if (!res.ok) throw await httpError(res, `HEAD ${this.where("manifest", reference)}`);
    const digest = res.headers.get("docker-content-digest") ?? res.headers.get("etag")?.replace(/^(W\/)?"|"$/g, "");
    if (!digest || !DIGEST.test(digest))
      throw new OciError("registry", `HEAD ${this.where("manifest", reference)}: the registry sent no sha256 Docker-Content-Digest`);
    return { status: "ok", digest, etag: res.headers.get("etag") ?? undefined };
  }

  /** GET a manifest (null on 404) and check its bytes against the digest asked for, or the one the registry claims. */
  async getManifest(reference: string, max: number): Promise<FetchedManifest | null> {
    const what = this.where("manifest", reference);
    const res = await this.transport.request("GET", `${this.base}/manifests/${reference}`, "pull", { headers: { accept: MANIFEST_ACCEPT } });
    if (res.status === 404) {
      await discard(res);
      return null;
    }
    if (!res.ok) throw await httpError(res, `GET ${what}`);
    const bytes = await readCapped(res, max, what);
    const digest = await digestOf(bytes);
    const expected = DIGEST.test(reference) ? reference : res.headers.get("docker-content-digest");
    if (expected && expected !== digest)
      throw new OciError("digest", `${what}: the manifest's digest is ${digest}, not ${expected} (the registry's content does not match its digest)`);
    return { bytes, digest, etag: res.headers.get("etag") ?? undefined };
  }

  /** GET a blob, checked against its descriptor's size (and a cap, before reading) and digest. */
  async getBlob(d: Descriptor, max: number, what: string): Promise<Uint8Array> {
    if (d.size > max) throw new OciError("size", `${what} is ${d.size} bytes; the limit is ${max}`);
    const res = await this.transport.request("GET", `${this.base}/blobs/${d.digest}`, "pull");
    if (!res.ok) throw await httpError(res, `GET ${what} (${d.digest})`);
    let bytes: Uint8Array;
    try {
      bytes = await readCapped(res, d.size, what);
    } catch (err) {
      if (err instanceof OciError && err.kind === "size") throw new OciError("digest", `${what} (${d.digest}) is larger than its descriptor's ${d.size} bytes`);
      throw err;
    }
    if (bytes.length !== d.size) throw new OciError("digest", `${what} (${d.digest}) is ${bytes.length} bytes, not the ${d.size} of its descriptor`);
    const digest = await digestOf(bytes);
    if (digest !== d.digest)
      throw new OciError("digest", `${what}: its content's digest is ${digest}, not ${d.digest} (tampered or corrupted in the registry)`);
    return bytes;
  }

  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.transport.request("HEAD", `${this.base}/blobs/${digest}`, "push");
    await discard(res);
    if (res.status === 404) return false;
    if (!res.ok) throw await httpError(res, `HEAD blob ${digest}`);
    return true;
  }

  /** Uploads a blob unless the registry has it: POST an upload session, then PUT its Location with the digest. */
  async putBlob(bytes: Uint8Array, d: Descriptor): Promise<"uploaded" | "exists"> {
    if (await this.hasBlob(d.digest)) return "exists";
    const post = await this.transport.request("POST", `${this.base}/blobs/uploads/`, "push");
    await discard(post);
    const location = post.headers.get("location");
    if (post.status !== 202 || !location) {
      throw post.status === 202
        ? new OciError("registry", `POST upload to ${this.ref.registry}/${this.ref.repository}: no Location`)
        : await httpError(post, `POST upload to ${this.ref.registry}/${this.ref.repository}`);
    }
    const url = new URL(location, this.transport.origin);
    url.searchParams.set("digest", d.digest);
    const put = await this.transport.request("PUT", url.href, "push", {
      headers: { "content-type": "application/octet-stream", "content-length": String(bytes.length) },
      body: bytes,
    });
    if (put.status !== 201) throw await httpError(put, `PUT blob ${d.digest}`);
    await discard(put);
    return "uploaded";
  }

  /**
   * PUT a manifest under a tag or its digest; checks the digest the registry computed. Returns the
   * OCI-Subject header: a registry serving the referrers API names the subject it indexed.
   */
  async putManifest(reference: string, bytes: Uint8Array, mediaType: string, digest: string): Promise<{ subject: string | null }> {
    const res = await this.transport.request("PUT", `${this.base}/manifests/${reference}`, "push", { headers: { "content-type": mediaType }, body: bytes });
    if (res.status !== 201) throw await httpError(res, `PUT ${this.where("manifest", reference)}`);
    await discard(res);
    const got = res.headers.get("docker-content-digest");
    if (got && got !== digest) throw new OciError("digest", `PUT ${this.where("manifest", reference)}: the registry stored ${got}, not ${digest}`);
    return { subject: res.headers.get("oci-subject") };
  }

  /**
   * The manifests whose subject is `digest`, from the referrers API (OCI 1.1), filtered by
   * artifactType here whether or not the registry applied the filter. A list split into pages
   * (`Link: <…>; rel="next"`) is followed on this registry's own referrers path, up to
   * `maxPages` pages of at most `maxBytes` each; `truncated` says pages were left. Null when the
   * registry does not serve the API: a 404, any other client error but 408 and 429 (registries
   * without the API answer 400, 403 or 405 too), or an answer that is not an image index.
   */
  async referrers(
    digest: string,
    artifactType: string,
    o: { maxBytes: number; maxPages: number },
  ): Promise<{ referrers: Referrer[]; truncated: boolean } | null> {
    const what = `referrers of ${this.where("manifest", digest)}`;
    const path = `${this.base}/referrers/${digest}`;
    let next: URL | null = new URL(`${path}?artifactType=${encodeURIComponent(artifactType)}`, this.transport.origin);
    const seen = new Set<string>();
    const listed: Referrer[] = [];
    let truncated = false;
    for (let page = 1; next; page++) {
      if (page > o.maxPages || seen.has(next.href) || next.origin !== this.transport.origin || next.pathname !== path) {
        // past the cap, a page linking back, or a link elsewhere: what was read is what there is
        truncated = true;
        break;
      }
      seen.add(next.href);
      const res = await this.transport.request("GET", next.href, "pull", { headers: { accept: MEDIA.index } });
      const type = res.headers.get("content-type")?.split(";")[0].trim();
      const refused = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
      if (refused || (res.ok && type !== MEDIA.index)) {
        await discard(res);
        if (page === 1) return null;
        truncated = true;
        break;
      }
      if (!res.ok) throw await httpError(res, `GET ${what}`);
      listed.push(...parseIndex(await readCapped(res, o.maxBytes, what), what));
      next = nextPage(res.headers.get("link"), next);
    }
    // a registry that takes artifactType from the config (go-containerregistry's) reports oras's empty config for an artifact that has one
    const referrers = listed.filter((d) => d.artifactType === undefined || d.artifactType === artifactType || d.artifactType === MEDIA.empty);
    return { referrers, truncated };
  }
}

/** The page a Link header names as next (RFC 8288), resolved against the current one; null when there is none. */
function nextPage(link: string | null, current: URL): URL | null {
  const m = link && /<([^>]*)>[^,]*;\s*rel="?next"?(?=[\s;,]|$)/i.exec(link);
  if (!m) return null;
  try {
    return new URL(m[1], current);
  } catch {
    return null;
  }
}
