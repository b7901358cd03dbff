// The OCI client's pure parts: references, config.json credentials, challenges, and where the
// Authorization header may go when a registry redirects (a recorded fetch stands in for the
// network here; everything that claims a registry is in the other files, against a real one).
import { describe, expect, it } from "vitest";
import { credentialsFor, parseDockerConfig, parseReference, schemeFor, Transport } from "../../host/oci/index.ts";
import { parseChallenge } from "../../host/oci/auth.ts";

describe("references", () => {
  it("parses tags, digests, ports and IPv6 hosts", () => {
    expect(parseReference("oci://ghcr.io/acme/policies/edge:2025.11")).toEqual({
      registry: "ghcr.io",
      hostname: "ghcr.io",
      repository: "acme/policies/edge",
      tag: "2025.11",
      digest: undefined,
    });
    const d = `sha256:${"a".repeat(64)}`;
    expect(parseReference(`oci://localhost:5000/p@${d}`)).toMatchObject({
      registry: "localhost:5000",
      hostname: "localhost",
      repository: "p",
      digest: d,
      tag: undefined,
    });
    expect(parseReference(`oci://[::1]:5000/p:v1@${d}`)).toMatchObject({ hostname: "::1", tag: "v1", digest: d });
  });

  it.each([
    ["https://ghcr.io/a:b", /does not start with oci:\/\//],
    ["oci://ghcr.io", /no repository/],
    ["oci://ghcr.io/a", /no :TAG or @sha256/],
    ["oci://ghcr.io/A:b", /not a valid repository name/],
    ["oci://ghcr.io/a:-b", /not a valid tag/],
    ["oci://ghcr.io/a@sha256:abc", /not a sha256 digest/],
    ["oci://gh_cr.io/a:b", /not a host name/],
    ["oci://ghcr.io:99999/a:b", /not a host name/],
  ])("refuses %s clearly", (text, why) => {
    expect(() => parseReference(text)).toThrow(why);
  });

  it("uses plain HTTP only for loopback hosts and hosts named as insecure", () => {
    for (const h of ["127.0.0.1:5000", "localhost:5000", "[::1]:5000"]) expect(schemeFor(parseReference(`oci://${h}/p:v`))).toBe("http");
    const lan = parseReference("oci://registry.lan:5000/p:v");
    expect(schemeFor(lan)).toBe("https");
    expect(schemeFor(lan, ["registry.lan:5000"])).toBe("http");
    expect(schemeFor(lan, ["registry.lan"])).toBe("http");
    expect(schemeFor(lan, ["other.lan"])).toBe("https");
  });
});

describe("credentials from config.json", () => {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  it("finds the entry by host[:port], whatever the key's scheme and path; auth, username/password, tokens", () => {
    const config = parseDockerConfig(
      JSON.stringify({
        auths: {
          "registry.lan:5000": { auth: b64("u:p:with:colons") },
          "https://ghcr.io/v2/": { username: "g", password: "q" },
          "https://index.docker.io/v1/": { identitytoken: "refresh" },
          "quay.io": { registrytoken: "tok" },
        },
      }),
      "config.json",
    );
    expect(credentialsFor(config, "registry.lan:5000")).toEqual({ kind: "basic", username: "u", password: "p:with:colons" });
    expect(credentialsFor(config, "registry.lan")).toBeUndefined();
    expect(credentialsFor(config, "ghcr.io")).toEqual({ kind: "basic", username: "g", password: "q" });
    expect(credentialsFor(config, "docker.io")).toEqual({ kind: "identity", token: "refresh" });
    expect(credentialsFor(config, "quay.io")).toEqual({ kind: "token", token: "tok" });
    expect(credentialsFor(undefined, "quay.io")).toBeUndefined();
  });
  it("says which file and entry is malformed", () => {
    expect(() => parseDockerConfig("{", "/x/config.json")).toThrow(/\/x\/config.json is not JSON/);
    expect(() => parseDockerConfig('{"auths":[]}', "c.json")).toThrow(/"auths" is not an object/);
    expect(() => credentialsFor({ auths: { h: { auth: b64("nocolon") } } }, "h")).toThrow(/not base64 of user:password/);
  });
  it("parses Bearer and Basic challenges", () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://auth.example/token", service: "registry.example", scope: "repository:a/b:pull" },
    });
    expect(parseChallenge('Basic realm="isoplace-test"')).toEqual({ scheme: "basic", params: { realm: "isoplace-test" } });
  });
});

describe("Authorization and redirects", () => {
  type Seen = { url: string; auth: string | null };
  /** A registry that wants a Bearer token and redirects blobs to `blobHost`. */
  function recorded(blobHost: string) {
    const seen: Seen[] = [];
    const fetch = (async (input: URL | string, init?: RequestInit) => {
      const url = new URL(String(input));
      const auth = new Headers(init?.headers).get("authorization");
      seen.push({ url: url.href, auth });
      if (url.pathname === "/token") {
        expect(auth).toBe(`Basic ${Buffer.from("u:p").toString("base64")}`);
        expect(url.searchParams.getAll("scope")).toContain("repository:team/p:pull");
        return Response.json({ token: "T" });
      }
      if (auth !== "Bearer T" && url.host === "registry.example") {
        return new Response("", {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="https://registry.example/token",service="registry.example",scope="repository:team/p:pull"' },
        });
      }
      if (url.pathname.startsWith("/v2/team/p/blobs/")) return new Response(null, { status: 307, headers: { location: `${blobHost}/data/x?sig=1` } });
      return new Response("blob");
    }) as typeof globalThis.fetch;
    return { seen, fetch };
  }
  const ref = parseReference("oci://registry.example/team/p:v1");

  it("gets a token from the Bearer challenge's realm with config.json's user, and never sends Authorization to another host after a redirect", async () => {
    const r = recorded("https://storage.example");
    const t = new Transport(ref, { fetch: r.fetch, credentials: { kind: "basic", username: "u", password: "p" } });
    const res = await t.request("GET", `/v2/team/p/blobs/sha256:${"0".repeat(64)}`, "pull");
    expect(await res.text()).toBe("blob");
    expect(r.seen.map((s) => [new URL(s.url).host + new URL(s.url).pathname, s.auth])).toEqual([
      ["registry.example/v2/team/p/blobs/sha256:" + "0".repeat(64), null],
      ["registry.example/token", `Basic ${Buffer.from("u:p").toString("base64")}`],
      ["registry.example/v2/team/p/blobs/sha256:" + "0".repeat(64), "Bearer T"],
      ["storage.example/data/x", null],
    ]);
    // the token is reused: the next request carries it at once
    await t.request("GET", "/v2/team/p/manifests/v1", "pull");
    expect(r.seen.at(-1)).toEqual({ url: "https://registry.example/v2/team/p/manifests/v1", auth: "Bearer T" });
  });

  it("refuses a redirect from HTTPS to plain HTTP on another host", async () => {
    const r = recorded("http://storage.example");
    const t = new Transport(ref, { fetch: r.fetch, credentials: { kind: "basic", username: "u", password: "p" } });
    await expect(t.request("GET", `/v2/team/p/blobs/sha256:${"0".repeat(64)}`, "pull")).rejects.toThrow(
      /redirected .* to http:\/\/storage.example, which is not HTTPS/,
    );
  });
});
