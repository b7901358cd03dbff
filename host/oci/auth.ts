// Credentials for a registry: Docker's config.json (`auths`, as `docker login`, `oras login` and
// `kubectl create secret docker-registry` write it) and the WWW-Authenticate challenges of the
// distribution spec (Bearer token service, Basic). The file itself is read by the Node side;
// this module takes the parsed object. Runtime-neutral.
import { OciError } from "./errors.ts";

interface DockerAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}
export interface DockerConfig {
  auths?: Record<string, DockerAuthEntry>;
}

export type Credentials =
  | { kind: "basic"; username: string; password: string }
  /** An OAuth2 refresh token (`identitytoken`) for the Bearer token service. */
  | { kind: "identity"; token: string }
  /** A bearer token to send as it is (`registrytoken`). */
  | { kind: "token"; token: string };

/** The host[:port] a config.json key names: keys may be "host", "host:port" or "https://host/v1/". */
function keyHost(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//i, "")
    .replace(/\/.*$/, "")
    .toLowerCase();
}

const DOCKER_HUB = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/** The credentials config.json holds for `registry` (host[:port]); undefined: go anonymous. */
export function credentialsFor(config: DockerConfig | undefined, registry: string): Credentials | undefined {
  const want = registry.toLowerCase();
  for (const [key, entry] of Object.entries(config?.auths ?? {})) {
    const host = keyHost(key);
    if (host !== want && !(DOCKER_HUB.has(host) && DOCKER_HUB.has(want))) continue;
    if (!entry || typeof entry !== "object") continue;
    if (typeof entry.registrytoken === "string" && entry.registrytoken) return { kind: "token", token: entry.registrytoken };
    if (typeof entry.identitytoken === "string" && entry.identitytoken) return { kind: "identity", token: entry.identitytoken };
    if (typeof entry.auth === "string" && entry.auth) {
      let decoded: string;
      try {
        decoded = new TextDecoder().decode(Uint8Array.from(atob(entry.auth.trim()), (c) => c.charCodeAt(0)));
      } catch {
        throw new OciError("auth", `config.json: the "auth" of "${key}" is not base64 (expected base64 of user:password)`);
      }
      const colon = decoded.indexOf(":");
      if (colon < 0) throw new OciError("auth", `config.json: the "auth" of "${key}" is not base64 of user:password`);
      return { kind: "basic", username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (typeof entry.username === "string" && typeof entry.password === "string") return { kind: "basic", username: entry.username, password: entry.password };
  }
  return undefined;
}

/** Parses config.json's text; a clear error when it is not the expected shape. */
export function parseDockerConfig(text: string, where: string): DockerConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new OciError("auth", `${where} is not JSON: ${(err as Error).message}`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new OciError("auth", `${where} is not a JSON object`);
  const auths = (value as DockerConfig).auths;
  if (auths !== undefined && (typeof auths !== "object" || auths === null || Array.isArray(auths)))
    throw new OciError("auth", `${where}: "auths" is not an object`);
  return { auths };
}

export function basicHeader(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return `Basic ${btoa(s)}`;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** The first challenge of a WWW-Authenticate header: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  // own keys only: a parameter named __proto__ or toString is a parameter, never an inherited value
  const params: Record<string, string> = Object.create(null);
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/g;
  for (let p = re.exec(m[2]); p; p = re.exec(m[2])) params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3];
  return { scheme: m[1].toLowerCase(), params };
}
