// The arrows of host/ point one way (.dependency-cruiser.mjs): the tree as it is has no back-arrow,
// and each rule fails on one, proved on a copy of host/ with a forbidden import added per rule
// and per pair the issue names (value and type-only imports both, as a type is an arrow too).
import { execFile } from "node:child_process";
import { cp, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const CLI = join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruiser.mjs");
const run = promisify(execFile);

/** `npm run lint:deps` in `cwd` (dependency-cruiser over host/ with the project's rules): its exit code and "rule from" of each error. */
async function cruise(cwd: string): Promise<{ code: number; errors: string[] }> {
  const args = [CLI, "host", "--config", ".dependency-cruiser.mjs"];
  const out = await run(process.execPath, args, { cwd, maxBuffer: 64 << 20 }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
  );
  const errors = [...out.stdout.matchAll(/^\s*error (\S+): (\S+) → \S+$/gm)].map((m) => `${m[1]} ${m[2]}`);
  return { code: out.code, errors };
}

/** A real module in each room, so that a forbidden import resolves as a real one would. */
const IN_ROOM: Record<string, string> = {
  node: "node/keys.ts",
  http: "http/types.ts",
  delivery: "delivery/limits.ts",
  oci: "oci/reference.ts",
  k8s: "k8s/annotations.ts",
  worker: "worker/index.ts",
  cli: "cli/errors.ts",
  client: "client/options.ts",
  net: "net/response.ts",
  policy: "policy/schema.ts",
};

/** Every back-arrow the rules forbid: [rule, from room, to room]. */
const BACK_ARROWS: [string, string, string][] = [
  ...["http", "k8s", "delivery", "oci", "engine", "net"].map((from): [string, string, string] => ["neutral-not-node-adapter", from, "node"]),
  ["oci-not-delivery", "oci", "delivery"],
  ["delivery-not-http", "delivery", "http"],
  ...["http", "k8s", "delivery", "oci", "net", "node", "worker", "cli", "client", "policy"].map((to): [string, string, string] => [
    "engine-at-the-bottom",
    "engine",
    to,
  ]),
];

describe("dependency rules (npm run lint:deps)", () => {
  const temps: string[] = [];
  afterAll(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

  it("host/ has no back-arrow", async () => {
    const { code, errors } = await cruise(ROOT);
    expect(errors).toEqual([]);
    expect(code).toBe(0);
  });

  it("fails on each forbidden import, type-only ones included", async () => {
    const copy = await mkdtemp(join(tmpdir(), "isoplace-arrows-"));
    temps.push(copy);
    await Promise.all([
      cp(join(ROOT, "host"), join(copy, "host"), { recursive: true }),
      cp(join(ROOT, "tsconfig.json"), join(copy, "tsconfig.json")),
      cp(join(ROOT, ".dependency-cruiser.mjs"), join(copy, ".dependency-cruiser.mjs")),
      symlink(join(ROOT, "node_modules"), join(copy, "node_modules")),
    ]);
    const expected: string[] = [];
    const add = async (rule: string, file: string, source: string) => {
      await writeFile(join(copy, "host", file), source);
      expected.push(`${rule} host/${file}`);
    };
    for (const [i, [rule, from, to]] of BACK_ARROWS.entries()) {
      // every other one type-only: the rules follow imports that compile away
      const source = i % 2 ? `import type * as M from "../${IN_ROOM[to]}";\nexport type T = typeof M;\n` : `export * as m from "../${IN_ROOM[to]}";\n`;
      await add(rule, `${from}/zz-arrow-to-${to}.ts`, source);
    }
    await add("neutral-not-node-builtins", "delivery/zz-node-fs.ts", `import { readFile } from "node:fs/promises";\nexport const read = readFile;\n`);
    await add("answer-schemas-with-openapi", "k8s/zz-schemas.ts", `import { problem } from "../http/schemas.ts";\nexport const p = problem;\n`);
    await add("openapi-on-demand", "cli/zz-openapi.ts", `import { openApiDocument } from "../http/openapi.ts";\nexport const d = openApiDocument;\n`);
    // allowed: the answer schemas' types, and openapi.ts loaded on demand
    await writeFile(
      join(copy, "host/k8s/zz-allowed.ts"),
      `import type * as S from "../http/schemas.ts";\nexport type P = typeof S.problem;\nexport const load = () => import("../http/openapi.ts");\n`,
    );

    const { code, errors } = await cruise(copy);
    expect(errors.sort()).toEqual(expected.sort());
    expect(code).toBe(expected.length);
  });
});
