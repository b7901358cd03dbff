// The strings the WASI command matches and prints (ids and their aliases, names, stacks,
// RuntimeClass names), as the AssemblyScript file `assembly/wasi/catalogue.ts` (supplied in
// memory, like policy.ts). The policy module keeps its catalogue deflated for hosts to inflate;
// a WASI command has nothing to inflate with, so it carries these few strings plainly.
import type { Catalogue, PolicyMeta } from "../engine/catalogue.ts";
import { stackTable } from "../engine/stacks.ts";
import { ARTIFACT_ALIASES, ARTIFACT_IDS, NEED_GROUPS } from "../engine/vocabulary.ts";

const str = (s: string) => JSON.stringify(s);
const strings = (name: string, values: (string | null | undefined)[]) => `export const ${name}: string[] = [${values.map((v) => str(v ?? "")).join(", ")}];`;

export function wasiCatalogue(c: Catalogue, meta: PolicyMeta): string {
  return [
    `// Generated from policy ${meta.name} ${meta.version} (source sha256 ${meta.sourceSha256}) for the WASI command. Do not edit.`,
    `export const POLICY_NAME = ${str(meta.name)};`,
    `export const POLICY_VERSION = ${str(meta.version)};`,
    `export const POLICY_SHA256 = ${str(meta.sourceSha256)};`,
    '// "" where there is no alias (or no RuntimeClass: the node\'s default handler).',
    strings(
      "LEVEL_NAMES",
      c.levels.map((l) => l.name),
    ),
    strings(
      "SCENARIO_IDS",
      c.scenarios.map((s) => s.id),
    ),
    strings(
      "SCENARIO_ALIASES",
      c.scenarios.map((s) => s.zh),
    ),
    "// The stack an answer names (host/engine/stacks.ts), by [scenario + 1][level 0..4][runtime + 1], flattened.",
    strings("STACKS", stackTable(c).flat(2)),
    strings(
      "NEED_IDS",
      c.needs.map((n) => n.id),
    ),
    strings(
      "NEED_ALIASES",
      c.needs.map((n) => n.zh),
    ),
    `export const NEED_GROUPS: i32[] = [${c.needs.map((n) => NEED_GROUPS.indexOf(n.group)).join(", ")}];`,
    strings(
      "METRIC_IDS",
      c.metrics.map((m) => m.id),
    ),
    strings(
      "METRIC_ALIASES",
      c.metrics.map((m) => m.zh),
    ),
    strings(
      "RUNTIME_IDS",
      c.runtimes.map((r) => r.id),
    ),
    "// The artifact kinds (ids, then every alias with the index of its id).",
    strings("ARTIFACT_IDS", [...ARTIFACT_IDS]),
    strings(
      "ARTIFACT_ALIASES",
      ARTIFACT_IDS.flatMap((id) => ARTIFACT_ALIASES[id]),
    ),
    `export const ARTIFACT_ALIAS_OF: i32[] = [${ARTIFACT_IDS.flatMap((id, i) => ARTIFACT_ALIASES[id].map(() => i)).join(", ")}];`,
    strings(
      "RUNTIME_CLASSES",
      c.runtimes.map((r) => r.runtimeClassName),
    ),
    "",
  ].join("\n");
}
