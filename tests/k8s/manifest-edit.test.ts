// `plan -o yaml`'s writer (host/cli/manifest-edit.ts) over pod templates laid out the ways YAML
// and JSON allow: random templates written by js-yaml's dumper in random styles (block, flow at
// each depth, quoting, indentation, folded lines) or as JSON, and random changes of the kind the
// webhook makes (an annotation set or added, runtimeClassName set or added, spec added). The text
// written reads back — with the `yaml` package, another reader — as the object with exactly those
// changes; when every change adds a field, the text read is kept whole, in order, around them.
import fc from "fast-check";
import { dump } from "js-yaml";
import { expect, it } from "vitest";
import { parse } from "yaml";
import type { Edit } from "../../host/k8s/plan.ts";
import { writeManifests } from "../../host/cli/manifest-edit.ts";
import { readManifests, type InputProblem } from "../../host/cli/manifests.ts";

const RUNS = Number(process.env.ISOPLACE_FUZZ_RUNS ?? 300);

const text = fc.oneof(
  fc.constantFrom(
    "L4",
    "gvisor",
    "yes",
    "on",
    "~",
    "0o17",
    "1e3",
    "2024-01-01",
    "1:20",
    "a: b",
    "# not a comment",
    "it's",
    'say "hi"',
    "",
    " lead",
    "tail ",
    "multi\nline\n",
    "kept\n\n",
    "ünïcode",
    "<<",
  ),
  fc.string({ maxLength: 12 }),
);
const key = fc.oneof(
  fc.constantFrom("isoplace.io/scenario", "isoplace.io/level", "example.com/note", "a", "yes"),
  fc.stringMatching(/^[a-z][a-z0-9./-]{0,10}$/),
);

const template = fc.record(
  {
    metadata: fc.record(
      { labels: fc.dictionary(key, text, { maxKeys: 2 }), annotations: fc.dictionary(key, text, { minKeys: 1, maxKeys: 4 }) },
      { requiredKeys: ["annotations"] },
    ),
    spec: fc.option(fc.record({ runtimeClassName: fc.option(text), containers: fc.constant([]) }, { requiredKeys: ["containers"] }), { nil: undefined }),
  },
  { requiredKeys: ["metadata"] },
);

const layout = fc.oneof(
  fc
    .record({
      indent: fc.constantFrom(2, 4),
      flowLevel: fc.constantFrom(-1, 1, 2, 3, 4, 5),
      forceQuotes: fc.boolean(),
      quoteStyle: fc.constantFrom("single", "double"),
      lineWidth: fc.constantFrom(-1, 12, 80),
      seqNoIndent: fc.boolean(),
    })
    .map((o) => (v: unknown) => dump(v, o as Parameters<typeof dump>[1])),
  fc.constantFrom(0, 2, 4).map((indent) => (v: unknown) => `${JSON.stringify(v, null, indent)}\n`),
);

/** The changes the webhook could make to this template, as edits of the object. */
const changesFor = (t: { metadata: { annotations: Record<string, string> }; spec?: { runtimeClassName?: string | null } }, at: string[]) =>
  fc
    .record({
      annotations: fc.array(fc.tuple(fc.oneof(key, fc.constantFrom(...Object.keys(t.metadata.annotations))), text), { maxLength: 4 }),
      runtimeClassName: fc.option(text, { nil: undefined }),
    })
    .map(({ annotations, runtimeClassName }): Edit[] => [
      // in the webhook's order: the class, then the annotations
      ...(runtimeClassName === undefined
        ? []
        : t.spec
          ? [{ path: [...at, "spec", "runtimeClassName"], value: runtimeClassName }]
          : [{ path: [...at, "spec"], value: { runtimeClassName } }]),
      ...[...new Map(annotations)].map(([k, v]) => ({ path: [...at, "metadata", "annotations", k], value: v })),
    ]);

function setAt(root: any, path: string[], value: unknown): any {
  if (!path.length) return value;
  return { ...root, [path[0]]: setAt(root?.[path[0]], path.slice(1), value) };
}

/** Whether `a` is `b` with characters inserted (only). */
function within(a: string, b: string): boolean {
  let i = 0;
  for (let j = 0; j < b.length && i < a.length; j++) if (a[i] === b[j]) i++;
  return i === a.length;
}

it("writes the webhook's changes into any layout: they read back exactly, the rest is kept", () => {
  fc.assert(
    fc.property(template, fc.boolean(), layout, (t, asDeployment, write) => {
      const object = asDeployment
        ? { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, spec: { template: t } }
        : { apiVersion: "v1", kind: "Pod", ...t, metadata: { name: "p", ...t.metadata } };
      const at = asDeployment ? ["spec", "template"] : [];
      const source = { name: "t.yaml", text: write(object) };
      const problems: InputProblem[] = [];
      const m = readManifests(source, problems);
      // only layouts that read back as the object (the dumper's quoting covers the kube schema)
      fc.pre(m !== undefined && problems.length === 0 && JSON.stringify(m.objects[0].value) === JSON.stringify(object));
      fc.assert(
        fc.property(changesFor(t, at), (edits) => {
          const written = writeManifests(m!, [{ obj: m!.objects[0], edits }], problems);
          expect(problems, `${source.text}\n${JSON.stringify(edits)}`).toEqual([]);
          const expected = edits.reduce((o, e) => setAt(o, e.path as string[], e.value), object as any);
          expect(parse(written!, { version: "1.2" }), written).toEqual(expected);
          const added = edits.every((e) => e.path.reduce((o: any, k) => o?.[k], object) === undefined);
          if (added) expect(within(source.text, written!), written).toBe(true);
        }),
        { numRuns: 5 },
      );
    }),
    { numRuns: RUNS },
  );
});
