// Issue 22, finding 2: the OCI client read the 401 challenge from the answer it ended on after
// following redirects, so a registry that redirects a blob to another origin answering
// `401 Bearer realm=<itself>` handed that origin the Docker config's credentials (Basic
// alice:… arrived at its token endpoint on main at 5930eb5). A challenge is now answered only
// when the registry's own origin sent it. Real HTTP servers on two loopback ports (two origins).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseReference, Transport } from "../../host/oci/index.ts";
import { parseChallenge } from "../../host/oci/auth.ts";

const ALICE = `Basic ${Buffer.from("alice:s3cret").toString("base64")}`;
const BLOB = `/v2/team/p/blobs/sha256:${"0".repeat(64)}`;
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

interface Seen {
  path: string;
  authorization: string | undefined;
}

async function server(handle: (req: IncomingMessage, res: ServerResponse, origin: string) => void): Promise<{ origin: string; host: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  let origin = "";
  const s = createServer((req, res) => {
    seen.push({ path: req.url!, authorization: req.headers.authorization });
    handle(req, res, origin);
  });
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(s.address() as AddressInfo).port}`;
  origin = `http://${host}`;
  return { origin, host, seen };
}

/** A registry that wants a token from its own realm (with alice's Basic) and redirects blobs to `elsewhere`. */
function registry(elsewhere: () => string) {
  return server((req, res, origin) => {
    if (req.url!.startsWith("/token")) {
      if (req.headers.authorization !== ALICE) return void res.writeHead(401).end();
      return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: "registry-token" }));
    }
    if (req.headers.authorization !== "Bearer registry-token") {
      return void res.writeHead(401, { "www-authenticate": `Bearer realm="${origin}/token",service="registry",scope="repository:team/p:pull"` }).end();
    }
    if (req.url === BLOB) return void res.writeHead(307, { location: `${elsewhere()}/data/blob?sig=1` }).end();
    res.writeHead(200).end("manifest");
  });
}

const transport = (host: string) =>
  new Transport(parseReference(`oci://${host}/team/p:v1`), {
    credentials: { kind: "basic", username: "alice", password: "s3cret" },
    credentialsFrom: "config.json",
  });

describe("credentials stay with the registry's origin", () => {
  it("a redirect target answering 401 with a Bearer challenge of its own realm: an error naming that host; it never sees a credential", async () => {
    const other = await server((req, res, origin) => {
      if (req.url!.startsWith("/token")) return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: "stolen" }));
      res.writeHead(401, { "www-authenticate": `Bearer realm="${origin}/token",service="other"` }).end();
    });
    const reg = await registry(() => other.origin);
    const err = await transport(reg.host)
      .request("GET", BLOB, "pull")
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "OciError", message: expect.stringContaining(`redirected ${BLOB} to ${other.host}, which asks for authentication`) });
    expect(other.seen.filter((s) => s.path.startsWith("/token"))).toEqual([]);
    expect(other.seen.filter((s) => s.authorization !== undefined)).toEqual([]);
    // the registry's own realm did get alice's credentials: that is its token service
    expect(reg.seen.filter((s) => s.path.startsWith("/token")).map((s) => s.authorization)).toEqual([ALICE]);
  });

  it("a redirect target answering 401 with a Basic challenge: the same error; no Authorization crosses", async () => {
    const other = await server((_req, res) => res.writeHead(401, { "www-authenticate": 'Basic realm="storage"' }).end());
    const reg = await registry(() => other.origin);
    await expect(transport(reg.host).request("GET", BLOB, "pull")).rejects.toThrow(`to ${other.host}, which asks for authentication`);
    expect(other.seen.length).toBeGreaterThan(0);
    expect(other.seen.filter((s) => s.authorization !== undefined)).toEqual([]);
  });

  it("a redirect target that serves the blob: followed, without the registry's token", async () => {
    const other = await server((_req, res) => res.writeHead(200).end("blob bytes"));
    const reg = await registry(() => other.origin);
    const t = transport(reg.host);
    expect(await (await t.request("GET", BLOB, "pull")).text()).toBe("blob bytes");
    expect(other.seen).toEqual([{ path: "/data/blob?sig=1", authorization: undefined }]);
    expect(reg.seen.filter((s) => s.path === BLOB).map((s) => s.authorization)).toEqual([undefined, "Bearer registry-token"]);
    // the token is the registry's: used there, and only there, for the next request
    await t.request("GET", "/v2/team/p/manifests/v1", "pull");
    expect(reg.seen.at(-1)).toEqual({ path: "/v2/team/p/manifests/v1", authorization: "Bearer registry-token" });
  });
});

describe("challenge parameters are own keys", () => {
  it("__proto__ and constructor in a challenge are parameters like any other, never inherited values", () => {
    const c = parseChallenge('Bearer __proto__="x",constructor="y",realm="https://r.example/t"')!;
    expect(Object.getPrototypeOf(c.params)).toBeNull();
    expect(c.params.realm).toBe("https://r.example/t");
    expect(c.params.constructor).toBe("y");
    expect(Object.keys(c.params)).toEqual(["__proto__", "constructor", "realm"]);
    expect(parseChallenge('Bearer service="s"')!.params.realm).toBeUndefined();
  });
});
