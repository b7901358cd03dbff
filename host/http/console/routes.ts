// The console's routes: GET / (the page) and its script and style sheet. They are served as
// separate files so the Content-Security-Policy can allow scripts and styles from 'self' only,
// with no inline code and no hash to keep in step.
import type { RouteSpec } from "../types.ts";
import { CONSOLE_HTML, FAVICON_SVG } from "./page.ts";
import { CONSOLE_JS } from "./script.generated.ts";
import { CONSOLE_CSS } from "./style.ts";

const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const common = { "x-content-type-options": "nosniff", "cache-control": "no-cache", "referrer-policy": "no-referrer" };

export function consoleRoutes(): RouteSpec[] {
  return [
    {
      method: "get",
      path: "/",
      operationId: "console",
      summary: "The web console: the levels, a chart, the scenarios, decide and compare",
      responses: { 200: { description: "The console page", contentType: "text/html" } },
      handler: (c) =>
        c.body(CONSOLE_HTML, 200, {
          ...common,
          "content-type": "text/html; charset=utf-8",
          "content-security-policy": CONSOLE_CSP,
          "x-frame-options": "DENY",
        }),
    },
    {
      method: "get",
      path: "/console.js",
      operationId: "consoleScript",
      summary: "The web console's script",
      responses: { 200: { description: "JavaScript", contentType: "text/javascript" } },
      handler: (c) => c.body(CONSOLE_JS, 200, { ...common, "content-type": "text/javascript; charset=utf-8" }),
    },
    {
      method: "get",
      path: "/console.css",
      operationId: "consoleStyle",
      summary: "The web console's style sheet",
      responses: { 200: { description: "CSS", contentType: "text/css" } },
      handler: (c) => c.body(CONSOLE_CSS, 200, { ...common, "content-type": "text/css; charset=utf-8" }),
    },
    ...(["/favicon.svg", "/favicon.ico"] as const).map(
      (path): RouteSpec => ({
        method: "get",
        path,
        operationId: path === "/favicon.svg" ? "favicon" : "faviconIco",
        summary: "The web console's icon (SVG)",
        responses: { 200: { description: "SVG", contentType: "image/svg+xml" } },
        handler: (c) => c.body(FAVICON_SVG, 200, { ...common, "content-type": "image/svg+xml" }),
      }),
    ),
  ];
}
