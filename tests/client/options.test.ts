// createClient checks its options when the client is made: each mistake is a TypeError naming
// the option and what it takes, before any request, so neither the retries nor the fallback can
// hide it (a baseUrl without its scheme used to fail every call as "network" and let the
// fallback answer them all).
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, inProcess } from "../../host/client/embedded.node.ts";
import { createClient as createBareClient, type ClientOptions } from "../../host/client/index.ts";
import { loadPolicy } from "../../host/index.ts";

/** createClient's TypeError for `options`, or undefined when it made a client. */
function refusal(options: unknown, create: (o: never) => unknown = createClient): TypeError | undefined {
  try {
    create(options as never);
  } catch (err) {
    return err as TypeError;
  }
  return undefined;
}

describe("baseUrl", () => {
  const allowed =
    /^isoplace\/client: baseUrl must be an http: or https: URL such as "http:\/\/127\.0\.0\.1:8787", without credentials, query or fragment \(or give a fetcher\), got /;
  const bad: [unknown, string][] = [
    ["localhost:8787", '"localhost:8787"'], // parses as a URL whose scheme is "localhost:"
    ["127.0.0.1:8787", '"127.0.0.1:8787"'],
    ["isoplace.internal", '"isoplace.internal"'],
    ["", '""'],
    ["http://", '"http://"'],
    ["ftp://127.0.0.1:8787", '"ftp://127.0.0.1:8787"'],
    ["http://user:secret@127.0.0.1:8787", '"http://user:secret@127.0.0.1:8787"'],
    ["http://127.0.0.1:8787/?via=proxy", '"http://127.0.0.1:8787/?via=proxy"'],
    ["http://127.0.0.1:8787/#top", '"http://127.0.0.1:8787/#top"'],
    [8787, "8787"],
    [undefined, "undefined"], // and no fetcher either
  ];
  for (const [baseUrl, shown] of bad) {
    it(`${shown} is refused at createClient, with or without a fallback`, () => {
      for (const options of [{ baseUrl }, { baseUrl, fallback: "embedded" }, { baseUrl, fallback: inProcess(() => loadPolicy()) }]) {
        const err = refusal(options);
        expect(err).toBeInstanceOf(TypeError);
        expect(err!.message).toMatch(allowed);
        expect(err!.message.endsWith(`got ${shown}`)).toBe(true);
      }
      expect(refusal({ baseUrl }, createBareClient)?.message).toMatch(allowed);
    });
  }

  it("a bad baseUrl is refused beside a fetcher too (its URLs are sent to the fetcher)", () => {
    expect(refusal({ fetcher: { fetch }, baseUrl: "localhost:8787" })?.message).toMatch(allowed);
    expect(refusal({ fetcher: { fetch } })).toBeUndefined();
  });

  describe("a good one: scheme and host, optionally a path prefix, trailing slashes or not", () => {
    let url: string;
    const seen: { url?: string; headers: IncomingHttpHeaders }[] = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url, headers: req.headers });
      res.writeHead(200, { "content-type": "application/json" }).end('{"levels":[]}');
    });
    beforeAll(async () => {
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => {
      server.closeAllConnections();
      server.close();
    });

    it("each request goes to the prefix plus the API's path, with the caller's headers", async () => {
      for (const baseUrl of [url, `${url}/`, `${url}/isoplace`, `${url}/isoplace//`]) {
        const answer = await createBareClient({ baseUrl, timeoutMs: 60_000, headers: { authorization: "Bearer t" } }).levels();
        expect(answer).toEqual({ levels: [], source: "agent" });
      }
      expect(seen.map((s) => s.url)).toEqual(["/v1/levels", "/v1/levels", "/isoplace/v1/levels", "/isoplace/v1/levels"]);
      expect(seen.map((s) => s.headers.authorization)).toEqual(Array(4).fill("Bearer t"));
    });
  });
});

describe("the other options", () => {
  const base = { baseUrl: "http://127.0.0.1:8787" };
  const cases: [string, Record<string, unknown>, string][] = [
    ["timeoutMs", { timeoutMs: 0 }, "timeoutMs must be a number from 1 to 2147483647, got 0"],
    ["timeoutMs", { timeoutMs: -5 }, "timeoutMs must be a number from 1 to 2147483647, got -5"],
    ["timeoutMs", { timeoutMs: Infinity }, "timeoutMs must be a number from 1 to 2147483647, got Infinity"],
    ["timeoutMs", { timeoutMs: 2 ** 31 }, "timeoutMs must be a number from 1 to 2147483647, got 2147483648"],
    ["timeoutMs", { timeoutMs: "100" }, 'timeoutMs must be a number from 1 to 2147483647, got "100"'],
    ["timeoutMs", { timeoutMs: null }, "timeoutMs must be a number from 1 to 2147483647, got null"],
    ["retries", { retries: -1 }, "retries must be an integer from 0 to 10, got -1"],
    ["retries", { retries: 1.5 }, "retries must be an integer from 0 to 10, got 1.5"],
    ["retries", { retries: 11 }, "retries must be an integer from 0 to 10, got 11"],
    ["retries", { retries: NaN }, "retries must be an integer from 0 to 10, got NaN"],
    ["backoffMs", { backoffMs: -1 }, "backoffMs must be a number from 0 to 60000, got -1"],
    ["backoffMs", { backoffMs: NaN }, "backoffMs must be a number from 0 to 60000, got NaN"],
    ["backoffMs", { backoffMs: 60_001 }, "backoffMs must be a number from 0 to 60000, got 60001"],
    [
      "fetcher",
      { fetcher: fetch },
      "fetcher must be an object with a fetch(request) method, such as a Workers service binding ({ fetch } for a fetch function), got function",
    ],
    [
      "fetcher",
      { fetcher: {} },
      "fetcher must be an object with a fetch(request) method, such as a Workers service binding ({ fetch } for a fetch function), got object",
    ],
    [
      "fetcher",
      { fetcher: "http://127.0.0.1:8787" },
      'fetcher must be an object with a fetch(request) method, such as a Workers service binding ({ fetch } for a fetch function), got "http://127.0.0.1:8787"',
    ],
    ["onRetry", { onRetry: "log" }, 'onRetry must be a function, got "log"'],
    ["onFallback", { onFallback: {} }, "onFallback must be a function, got object"],
    ["headers", { headers: { "x bad": "1" } }, "headers must be HTTP header names and values ("],
    ["headers", { headers: { "x-ok": "line\nbreak" } }, "headers must be HTTP header names and values ("],
    [
      "an unknown option",
      { timeout: 50 },
      'unknown option "timeout"; the options are baseUrl, fetcher, timeoutMs, retries, backoffMs, headers, fallback, onRetry, onFallback',
    ],
  ];
  for (const [what, given, message] of cases) {
    it(`${what}: ${message}`, () => {
      for (const create of [createClient, createBareClient]) {
        const err = refusal({ ...base, ...given }, create);
        expect(err).toBeInstanceOf(TypeError);
        expect(err!.message).toContain(`isoplace/client: ${message}`);
      }
    });
  }

  it("the options themselves must be an object", () => {
    expect(refusal(undefined)?.message).toBe('isoplace/client: options must be an object such as { baseUrl: "http://127.0.0.1:8787" }, got undefined');
    expect(refusal("http://127.0.0.1:8787", createBareClient)?.message).toMatch(/options must be an object .* got "http:\/\/127\.0\.0\.1:8787"$/);
  });

  it('fallback: the bare client takes a fetcher and says where "embedded" and engines are', () => {
    for (const fallback of ["embedded", "local", {}]) {
      expect(refusal({ ...base, fallback }, createBareClient)?.message).toMatch(
        /^isoplace\/client: fallback must be a fetcher \(an object with a fetch\(request\) method\); for "embedded" or an engine, import createClient from "isoplace\/client\/embedded", got /,
      );
    }
  });

  it('fallback: the embedded client takes "embedded", an engine or a fetcher', async () => {
    const allowed =
      'isoplace/client: fallback must be "embedded", an engine (loadPolicy, createEngine) or a fetcher (an object with a fetch(request) method), got ';
    expect(refusal({ ...base, fallback: "embeded" })?.message).toBe(`${allowed}"embeded"`);
    expect(refusal({ ...base, fallback: {} })?.message).toBe(`${allowed}object`);
    expect(refusal({ ...base, fallback: null })?.message).toBe(`${allowed}null`);
    expect(refusal({ ...base, fallback: "embedded" })).toBeUndefined();
    expect(refusal({ ...base, fallback: await loadPolicy() })).toBeUndefined();
    expect(refusal({ ...base, fallback: { fetch } })).toBeUndefined();
  });

  it("the limits themselves are taken, and so are the defaults", () => {
    const edges: ClientOptions[] = [
      { ...base, timeoutMs: 1, retries: 0, backoffMs: 0 },
      { ...base, timeoutMs: 2 ** 31 - 1, retries: 10, backoffMs: 60_000 },
      { ...base, timeoutMs: 12.5, backoffMs: 0.5, headers: {} },
      base,
    ];
    for (const options of edges) expect(refusal(options, createBareClient)).toBeUndefined();
  });
});
