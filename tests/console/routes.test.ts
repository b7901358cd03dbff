// GET / and its assets as the app serves them on every host (no browser needed): headers, a
// CSP that allows 'self' only, no external URL anywhere, a script that parses, and the routes
// documented in /openapi.json beside the API.
import vm from "node:vm";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../host/http/app.ts";
import { defaultEngine } from "../core/support/policy.ts";

let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  const engine = await defaultEngine();
  app = createApp({ engine: () => engine });
});

const get = async (path: string) => {
  const res = await app.request(path);
  return { res, text: await res.text() };
};

/** Every URL-looking string: scheme URLs, protocol-relative ones, and CSS url()/@import. */
function externalRefs(text: string): string[] {
  const found = [
    ...(text.match(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>)]+/gi) ?? []),
    ...(text.match(/(?:src|href|action)\s*=\s*["']?\/\/[^\s"'>]+/gi) ?? []),
    ...(text.match(/url\(|@import/gi) ?? []),
  ];
  // The SVG namespace is an identifier passed to createElementNS, never fetched.
  return found.filter((u) => u !== "http://www.w3.org/2000/svg");
}

describe("the console's routes", () => {
  it("GET / is HTML with a strict CSP and safe headers", async () => {
    const { res, text } = await get("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const csp = Object.fromEntries(
      res.headers
        .get("content-security-policy")!
        .split(/;\s*/)
        .map((d) => {
          const [name, ...values] = d.split(/\s+/);
          return [name, values.join(" ")];
        }),
    );
    expect(csp).toEqual({
      "default-src": "'none'",
      "script-src": "'self'",
      "style-src": "'self'",
      "connect-src": "'self'",
      "img-src": "'self'",
      "base-uri": "'none'",
      "form-action": "'self'",
      "frame-ancestors": "'none'",
    });
    expect(text).toMatch(/^<!doctype html>/i);
    expect(text).toContain('<html lang="en">');
    expect(text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    // Nothing inline for the CSP to block: the script and style sheet are files of the app.
    expect(text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(text).toContain('<script src="console.js" defer></script>');
    expect(text).toContain('<link rel="stylesheet" href="console.css">');
  });

  it("serves the script and style sheet with their types", async () => {
    const js = await get("/console.js");
    expect(js.res.status).toBe(200);
    expect(js.res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(() => new vm.Script(js.text, { filename: "console.js" })).not.toThrow();
    const css = await get("/console.css");
    expect(css.res.status).toBe(200);
    expect(css.res.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(css.text).toContain(":focus-visible");
  });

  it("serves an icon: /favicon.svg, linked from the page, and /favicon.ico, which browsers ask for unbidden", async () => {
    expect((await get("/")).text).toContain('<link rel="icon" href="favicon.svg" type="image/svg+xml">');
    for (const path of ["/favicon.svg", "/favicon.ico"]) {
      const { res, text } = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/svg+xml");
      expect(text).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 32 32">/);
      expect(text).not.toMatch(/<script|\son[a-z]+=|href=/i);
    }
  });

  it("names no external URL: no CDN, no web font, nothing but the app", async () => {
    for (const path of ["/", "/console.js", "/console.css", "/favicon.svg"]) {
      expect(externalRefs((await get(path)).text), path).toEqual([]);
    }
    // the check itself finds what it must
    expect(externalRefs('<link href="//cdn.example/x.css"> @import "a"; fetch("https://x.test/")')).toHaveLength(3);
  });

  it("the page builds its selects from the API: no policy id is written into it", async () => {
    const engine = await defaultEngine();
    const sc = engine.scenarios();
    const ids = [...sc.scenarios.map((s) => s.id), ...sc.needs.map((n) => n.id), ...sc.runtimes.map((r) => r.id)];
    const code = (await get("/")).text + (await get("/console.js")).text;
    for (const id of ids) expect(code, id).not.toMatch(new RegExp(`["'\`]${id}["'\`]`));
  });

  it("is in /openapi.json beside the API; other methods are refused", async () => {
    const doc = await (await app.request("/openapi.json")).json();
    expect(doc.paths["/"].get.responses["200"].content).toHaveProperty("text/html");
    expect(doc.paths["/console.js"].get).toBeDefined();
    expect(doc.paths["/console.css"].get).toBeDefined();
    expect((await app.request("/", { method: "POST" })).status).toBe(405);
  });
});
