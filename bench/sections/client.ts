// What isoplace/client costs a caller's bundle: the client alone, and with the embedded fallback
// as a Worker bundles it (isoplace/client/embedded's Workers build: the engine, the HTTP app it
// answers through, zod, and the policy module beside the script), each bundled by esbuild
// (minified, ESM, the conditions wrangler resolves with) and gzipped at level 9. Sizes, not
// timings: the same on any machine for the same sources.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";
import type { Section } from "../section.ts";

const gz = (bytes: Uint8Array | string) => gzipSync(bytes, { level: 9 }).length;

async function bundle(root: string, entry: string): Promise<{ code: string; metafile: Metafile }> {
  const r = await build({
    entryPoints: [join(root, entry)],
    absWorkingDir: root,
    bundle: true,
    minify: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    external: ["*.wasm"],
    logLevel: "silent",
  });
  return { code: r.outputFiles[0].text, metafile: r.metafile };
}

/** Minified bytes of the bundle by where they come from. */
function byPart(metafile: Metafile): Record<string, number> {
  const parts: [string, RegExp][] = [
    ["zod", /node_modules\/zod\//],
    ["hono", /node_modules\/hono\//],
    ["loader", /node_modules\/@assemblyscript\//],
    ["engine", /^host\/engine\//],
    ["httpApp", /^host\/http\/(?!console\/)/],
    ["console", /^host\/http\/console\//],
    ["client", /^host\/client\//],
  ];
  const out: Record<string, number> = Object.fromEntries([...parts.map(([name]) => [name, 0]), ["other", 0]]);
  for (const [path, input] of Object.entries(Object.values(metafile.outputs)[0].inputs)) {
    out[parts.find(([, re]) => re.test(path))?.[0] ?? "other"] += input.bytesInOutput;
  }
  return out;
}

export const clientSection: Section = {
  name: "client",
  title: "isoplace/client: bundle sizes (esbuild, minified, gzip -9)",
  async run(ctx) {
    const bare = await bundle(ctx.root, "host/client/index.ts");
    const embedded = await bundle(ctx.root, "host/client/embedded.workerd.ts");
    const module = readFileSync(join(ctx.root, "dist/policies/default.metered.wasm"));
    const client = { minBytes: bare.code.length, gzipBytes: gz(bare.code) };
    const withEmbedded = {
      script: { minBytes: embedded.code.length, gzipBytes: gz(embedded.code) },
      module: { bytes: module.length, gzipBytes: gz(module) },
      gzipBytes: gz(embedded.code) + gz(module),
      minBytesByPart: byPart(embedded.metafile),
    };
    return {
      figures: {
        client: {
          bare: client,
          embedded: withEmbedded,
          method:
            "esbuild bundle of host/client/index.ts (isoplace/client) and host/client/embedded.workerd.ts (isoplace/client/embedded on Workers), minified ESM, conditions workerd/worker/browser, the .wasm import external; gzip level 9; the embedded total adds the metered policy module (dist/policies/default.metered.wasm), gzipped",
        },
      },
      rows: [
        {
          id: "client.bare.gzipBytes",
          label: "isoplace/client alone, min+gzip",
          value: client.gzipBytes,
          unit: "bytes",
          target: { op: "<=", limit: 4096 },
          note: `${client.minBytes} bytes minified`,
        },
        {
          id: "client.embedded.gzipBytes",
          label: "with the embedded fallback (Workers build), min+gzip, module included",
          value: withEmbedded.gzipBytes,
          unit: "bytes",
          note: `script ${withEmbedded.script.gzipBytes} + module ${withEmbedded.module.gzipBytes}; zod ${withEmbedded.minBytesByPart.zod} of ${withEmbedded.script.minBytes} bytes minified`,
        },
      ],
    };
  },
};
