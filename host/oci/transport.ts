// HTTP to one registry: the distribution spec's auth dance and manual redirects. A 401 with a
// challenge is answered once — Basic with config.json's user and password, or a token from the
// Bearer challenge's realm — and the answer is reused for later requests. Redirects (blob
// downloads are often sent to object storage) are followed here, not by fetch, so that the
// Authorization header is only ever sent to the registry's own origin; a challenge is answered
// only when that origin sent it (a redirect target asking for authentication is an error naming
// it), and the token service is asked without following redirects. Runtime-neutral.
import { basicHeader, parseChallenge, type Challenge, type Credentials } from "./auth.ts";
import { describeFetchError as describeFailure } from "../net/response.ts";
import { discard, readCapped } from "./body.ts";
import { OciError } from "./errors.ts";
import { isLoopback, schemeFor, type OciReference } from "./reference.ts";

export interface TransportOptions {
  /** Hosts (host or host:port) reached over plain HTTP although not loopback. */
  insecure?: readonly string[];
  credentials?: Credentials;
  /** Says where the credentials came from, for error messages ("config.json"). */
  credentialsFrom?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type Access = "pull" | "push";
const MAX_REDIRECTS = 5;
const MAX_TOKEN_BYTES = 64 * 1024;

export class Transport {
  readonly origin: string;
  private readonly ref: OciReference;
  private readonly o: TransportOptions;
  /** Aborts the requests made from now on (a poller sets it for each poll). */
  pollSignal: AbortSignal | undefined;
  /** Authorization per access (a pull token does not allow a push). */
  private readonly auth = new Map<Access, string>();
  private basic = false;

  constructor(ref: OciReference, o: TransportOptions = {}) {
    this.ref = ref;
    this.o = o;
    this.origin = `${schemeFor(ref, o.insecure)}://${ref.registry}`;
  }

  private get fetch(): typeof fetch {
    return this.o.fetch ?? globalThis.fetch;
  }

  /** A request to a path on the registry (or an absolute URL it gave, e.g. an upload Location). */
  async request(method: string, pathOrUrl: string, access: Access, init: { headers?: Record<string, string>; body?: Uint8Array } = {}): Promise<Response> {
    const url = new URL(pathOrUrl, this.origin);
    let { res, at } = await this.send(method, url, init, this.currentAuth(access));
    if (res.status !== 401) return res;
    await this.fromRegistry(res, at, url);
    const challenge = parseChallenge(res.headers.get("www-authenticate"));
    await discard(res);
    const auth = await this.authorize(challenge, access);
    ({ res, at } = await this.send(method, url, init, auth));
    if (res.status === 401) {
      await this.fromRegistry(res, at, url);
      await discard(res);
      throw this.refused();
    }
    return res;
  }

  /**
   * A 401 is answered only when the registry's own origin sent it: a redirect target (object
   * storage, a CDN) that asks for authentication would otherwise be handed the credentials meant
   * for the registry, through the token service its challenge names.
   */
  private async fromRegistry(res: Response, at: URL, asked: URL): Promise<void> {
    if (at.origin === this.origin) return;
    await discard(res);
    throw new OciError(
      "auth",
      `${this.ref.registry} redirected ${asked.pathname} to ${at.host}, which asks for authentication; credentials are only sent to ${this.ref.registry}`,
      401,
    );
  }

  private currentAuth(access: Access): string | undefined {
    const c = this.o.credentials;
    if (c?.kind === "token") return `Bearer ${c.token}`;
    if (this.basic && c?.kind === "basic") return basicHeader(c.username, c.password);
    return this.auth.get(access) ?? (access === "pull" ? this.auth.get("push") : undefined);
  }

  private refused(): OciError {
    const c = this.o.credentials,
      from = this.o.credentialsFrom ?? "the Docker config.json";
    if (!c)
      return new OciError(
        "auth",
        `${this.ref.registry} requires credentials and ${from} has none for "${this.ref.registry}" (docker login ${this.ref.registry}, or set DOCKER_CONFIG)`,
        401,
      );
    const who = c.kind === "basic" ? `the user name and password for "${c.username}"` : "the token";
    return new OciError("auth", `${this.ref.registry} refused ${who} from ${from} (wrong password?) for ${this.ref.repository}`, 401);
  }

  private async authorize(challenge: Challenge | undefined, access: Access): Promise<string> {
    const c = this.o.credentials;
    if (challenge?.scheme === "basic") {
      if (c?.kind !== "basic") throw this.refused();
      this.basic = true;
      return basicHeader(c.username, c.password);
    }
    if (challenge?.scheme !== "bearer" || !challenge.params.realm) {
      if (c?.kind === "token") throw this.refused();
      throw new OciError("auth", `${this.ref.registry} answered 401 without a Basic or Bearer challenge`, 401);
    }
    const header = `Bearer ${await this.token(challenge, access)}`;
    this.auth.set(access, header);
    return header;
  }

  /** A token from the Bearer challenge's realm (the distribution token spec), with config.json's credentials when there are any. */
  private async token(challenge: Challenge, access: Access): Promise<string> {
    const realm = new URL(challenge.params.realm);
    if (realm.protocol !== "https:" && !(realm.protocol === "http:" && (isLoopback(realm.hostname) || this.insecureHost(realm)))) {
      throw new OciError(
        "insecure",
        `${this.ref.registry}'s token service ${realm.origin} is not HTTPS; credentials are not sent over plain HTTP (name it with --insecure-registry to allow it)`,
      );
    }
    const scopes = new Set([`repository:${this.ref.repository}:${access === "push" ? "pull,push" : "pull"}`]);
    if (challenge.params.scope) scopes.add(challenge.params.scope);
    const c = this.o.credentials;
    let res: Response;
    const signal = this.signal();
    try {
      if (c?.kind === "identity") {
        const form = new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: c.token,
          client_id: "isoplace",
          service: challenge.params.service ?? "",
          scope: [...scopes].join(" "),
        });
        res = await this.fetch(realm, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: form.toString(),
          redirect: "error",
          signal,
        });
      } else {
        if (challenge.params.service) realm.searchParams.set("service", challenge.params.service);
        for (const s of scopes) realm.searchParams.append("scope", s);
        res = await this.fetch(realm, {
          headers: c?.kind === "basic" ? { authorization: basicHeader(c.username, c.password) } : {},
          redirect: "error",
          signal,
        });
      }
    } catch (err) {
      throw new OciError("network", `the token service of ${this.ref.registry} (${realm.origin}): ${describeFailure(err)}`);
    }
    if (res.status === 401 || res.status === 403) {
      await discard(res);
      throw this.refused();
    }
    if (!res.ok) {
      await discard(res);
      throw new OciError("auth", `the token service of ${this.ref.registry} (${realm.origin}) answered HTTP ${res.status}`, res.status);
    }
    let body: { token?: unknown; access_token?: unknown };
    try {
      body = JSON.parse(new TextDecoder().decode(await readCapped(res, MAX_TOKEN_BYTES, "the token response")));
    } catch (err) {
      throw err instanceof OciError ? err : new OciError("auth", `the token service of ${this.ref.registry} did not answer JSON`);
    }
    const token = typeof body?.token === "string" ? body.token : typeof body?.access_token === "string" ? body.access_token : undefined;
    if (!token) throw new OciError("auth", `the token service of ${this.ref.registry} answered without a token`);
    return token;
  }

  private insecureHost(u: URL): boolean {
    const names = (this.o.insecure ?? []).map((s) => s.toLowerCase());
    return names.includes(u.host.toLowerCase()) || names.includes(u.hostname.toLowerCase());
  }

  private signal(): AbortSignal {
    const t = AbortSignal.timeout(this.o.timeoutMs ?? 30_000);
    const outer = [this.o.signal, this.pollSignal].filter((s): s is AbortSignal => s !== undefined);
    return outer.length ? AbortSignal.any([...outer, t]) : t;
  }

  /** One request, following redirects by hand; Authorization goes only to the registry's origin. The answer, and the URL that gave it. */
  private async send(
    method: string,
    start: URL,
    init: { headers?: Record<string, string>; body?: Uint8Array },
    auth: string | undefined,
  ): Promise<{ res: Response; at: URL }> {
    let url = start;
    const signal = this.signal();
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = { ...init.headers };
      if (auth && url.origin === this.origin) headers.authorization = auth;
      let res: Response;
      try {
        res = await this.fetch(url, { method, headers, body: init.body as BodyInit | undefined, redirect: "manual", signal });
      } catch (err) {
        throw new OciError("network", `${method} ${url.origin}${url.pathname}: ${describeFailure(err)}`);
      }
      const location = res.headers.get("location");
      if (![301, 302, 303, 307, 308].includes(res.status) || !location || (method !== "GET" && method !== "HEAD")) return { res, at: url };
      await discard(res);
      const next = new URL(location, url);
      if (next.protocol !== "https:" && !(next.protocol === "http:" && (isLoopback(next.hostname) || this.insecureHost(next)))) {
        throw new OciError("insecure", `${this.ref.registry} redirected ${url.pathname} to ${next.origin}, which is not HTTPS`);
      }
      url = next;
    }
    throw new OciError("registry", `${method} ${start.pathname}: more than ${MAX_REDIRECTS} redirects`);
  }
}
