// oci://HOST[:PORT]/REPO:TAG and oci://HOST[:PORT]/REPO@sha256:HEX (pinned), with the grammar of
// the OCI distribution spec for repository names and tags. Runtime-neutral.
import { OciError } from "./errors.ts";

export interface OciReference {
  /** host[:port] as written (IPv6 in brackets): the key for credentials and --insecure-registry. */
  registry: string;
  /** The host name alone, without brackets or port. */
  hostname: string;
  repository: string;
  tag?: string;
  /** sha256:<64 hex>: when set, the reference is pinned (a tag written beside it is ignored). */
  digest?: string;
}

const REPO = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?))(?::(\d{1,5}))?$/;

const bad = (text: string, why: string) =>
  new OciError("reference", `"${text}" is not an OCI reference: ${why} (expected oci://HOST[:PORT]/REPO:TAG or oci://HOST[:PORT]/REPO@sha256:…)`);

const isOciReference = (text: string) => /^oci:\/\//i.test(text);

export function parseReference(text: string): OciReference {
  if (!isOciReference(text)) throw bad(text, "it does not start with oci://");
  const rest = text.slice("oci://".length);
  const slash = rest.indexOf("/");
  if (slash <= 0) throw bad(text, "no repository after the host");
  const registry = rest.slice(0, slash);
  const host = HOST.exec(registry);
  if (!host || (host[3] !== undefined && (Number(host[3]) < 1 || Number(host[3]) > 65535)))
    throw bad(text, `"${registry}" is not a host name with an optional port`);
  let path = rest.slice(slash + 1);
  let digest: string | undefined;
  const at = path.indexOf("@");
  if (at >= 0) {
    digest = path.slice(at + 1);
    path = path.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(text, `"${digest}" is not a sha256 digest (sha256: and 64 lower-case hex digits)`);
  }
  let tag: string | undefined;
  const colon = path.lastIndexOf(":");
  if (colon > path.lastIndexOf("/")) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) throw bad(text, `"${tag}" is not a valid tag (letters, digits, _ . -, up to 128, not starting with . or -)`);
  }
  if (!REPO.test(path)) throw bad(text, `"${path}" is not a valid repository name (lower-case letters, digits, separators . _ __ - and /)`);
  if (!tag && !digest) throw bad(text, "no :TAG or @sha256:… after the repository");
  return { registry, hostname: host[1] ?? host[2], repository: path, tag, digest };
}

/** The reference as text; pinned when it has a digest. */
export function formatReference(r: OciReference): string {
  return `oci://${r.registry}/${r.repository}${r.digest ? `@${r.digest}` : `:${r.tag}`}`;
}

export const pinned = (r: OciReference, digest: string): OciReference => ({ ...r, tag: undefined, digest });

export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || /^127(?:\.\d{1,3}){3}$/.test(h) || h === "::1" || /^(?:0*:)*:?0*1$/.test(h);
}

/**
 * https, unless the host is loopback or named in `insecure` (by host or host:port), which get
 * plain HTTP: a registry on a private network or in a test.
 */
export function schemeFor(r: Pick<OciReference, "registry" | "hostname">, insecure: readonly string[] = []): "http" | "https" {
  const names = insecure.map((s) => s.toLowerCase());
  return isLoopback(r.hostname) || names.includes(r.registry.toLowerCase()) || names.includes(r.hostname.toLowerCase()) ? "http" : "https";
}
