// host/http is runtime-neutral: the Worker runs it as the Node agent does, and what is Node's
// (reading an IncomingMessage, the JSON lane) lives in host/node, handed to the app through its
// options. Nothing under host/http imports a Node module, @hono/node-server or host/node, or
// names Node's globals and types (nor the IncomingMessage @hono/node-server passes).
import { builtinModules } from "node:module";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../host/package.ts";

const HTTP = join(PACKAGE_ROOT, "host", "http");
// `incoming`: @hono/node-server's binding of the IncomingMessage (c.env.incoming)
const NODE_NAMES = new Set(["incoming", "IncomingMessage", "ServerResponse", "NodeJS", "Buffer", "process", "require", "__dirname", "__filename", "global"]);

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));

/** What a file names of Node's: its imports (static, type-only, dynamic, /// references) and identifiers. */
function nodeUses(file: string, text = readFileSync(file, "utf8")): string[] {
  const found: string[] = [];
  const pre = ts.preProcessFile(text, true, true);
  for (const { fileName: spec } of [...pre.importedFiles, ...pre.typeReferenceDirectives, ...pre.referencedFiles]) {
    const bare = spec.replace(/^node:/, "").split("/")[0];
    const local = spec.startsWith(".") ? relative(PACKAGE_ROOT, resolve(dirname(file), spec)) : "";
    if (
      spec.startsWith("node:") ||
      builtinModules.includes(bare) ||
      spec.startsWith("@hono/node-") ||
      spec === "node" ||
      local.startsWith(join("host", "node"))
    )
      found.push(`imports ${spec}`);
  }
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && NODE_NAMES.has(n.text)) found.push(`names ${n.text}`);
    n.forEachChild(visit);
  };
  visit(source);
  return found;
}

it("host/http imports and names nothing of Node's", () => {
  const uses = files(HTTP).flatMap((f) => nodeUses(f).map((u) => `${relative(PACKAGE_ROOT, f)} ${u}`));
  expect(files(HTTP).length).toBeGreaterThan(5);
  expect(uses).toEqual([]);
});

it("the check sees each way of naming Node", () => {
  const probe = (text: string) => nodeUses(join(HTTP, "probe.ts"), text);
  expect(probe('import type { IncomingMessage } from "node:http";')).toEqual(["imports node:http", "names IncomingMessage"]);
  expect(probe('const { readFile } = await import("fs");')).toEqual(["imports fs"]);
  expect(probe('export { serve } from "@hono/node-server";')).toEqual(["imports @hono/node-server"]);
  expect(probe('import { jsonLane } from "../node/json-lane.ts";')).toEqual(["imports ../node/json-lane.ts"]);
  expect(probe('/// <reference types="node" />\nexport const n = 1;')).toEqual(["imports node"]);
  expect(probe("export const raw = (c: { env: any }) => c.env.incoming;")).toEqual(["names incoming"]);
  expect(probe("export const bytes = (s: string) => Buffer.byteLength(s);")).toEqual(["names Buffer"]);
  expect(probe('import { Hono } from "hono";\nimport { problemOf } from "./problem.ts";\nexport const app = new Hono();')).toEqual([]);
});
