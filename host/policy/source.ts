// Reading a policy source: YAML → a validated PolicySource. Every error names the line and the
// field, so an operator can fix a policy without reading the schema.
import { LineCounter, parseDocument, isNode } from "yaml";
import type { z } from "zod";
import { VERSION_AFTER_NAME } from "../engine/stacks.ts";
import { PLACEABLE_LEVELS, LEVEL_IDS, METRIC_IDS } from "../engine/vocabulary.ts";
import { policySchema, type PolicySource } from "./schema.ts";

// The error class lives on its own, so code that only catches it (the CLI) loads no YAML parser.
export { PolicySourceError } from "./source-error.ts";
import { PolicySourceError } from "./source-error.ts";

export function parsePolicySource(text: string, file = "policy"): PolicySource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    // (linePos is only filled in with prettyErrors; the offset and the line counter always are)
    throw new PolicySourceError(
      file,
      doc.errors.map((e) => ({ line: lines.linePos(e.pos[0]).line, path: "", message: e.message.split("\n")[0] })),
    );
  }
  const lineOf = (path: (string | number)[]): number | null => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    }
    return null;
  };
  const parsed = policySchema.safeParse(doc.toJS());
  if (!parsed.success) {
    throw new PolicySourceError(
      file,
      parsed.error.issues.map((i: z.core.$ZodIssue) => {
        const path = i.path.filter((p): p is string | number => typeof p !== "symbol");
        return { line: lineOf(path), path: path.join("."), message: i.message };
      }),
    );
  }
  const problems = crossCheck(parsed.data);
  if (problems.length) {
    throw new PolicySourceError(
      file,
      problems.map(([path, message]) => ({ line: lineOf(path), path: path.join("."), message })),
    );
  }
  return parsed.data;
}

// The module keeps figures as 32-bit floats; read back at 7 significant digits they are exact.
const exact = (x: number) => Number(Math.fround(x).toPrecision(7)) === x;
const PRECISION = "a figure has at most 7 significant digits (the module stores it as a 32-bit float)";

/** What is wrong with a figure [lo, hi] (hi null: open) in a metric's unit, a level's or a runtime's. */
function figureProblems(lo: number, hi: number | null, unit: string | undefined): string[] {
  const out: string[] = [];
  if (!exact(lo) || (hi !== null && !exact(hi))) out.push(PRECISION);
  if (lo < 0) out.push("a figure is ≥ 0");
  if (hi !== null && hi < lo) out.push(`max ${hi} is below min ${lo}`);
  if (unit === "stars" && (lo < 1 || (hi ?? 6) > 5)) out.push("stars are 1–5");
  if (unit === "scale" && (lo < 1 || (hi ?? 5) > 4)) out.push("the density scale is 1 (low) … 4 (very high)");
  return out;
}

type Stack = PolicySource["scenarios"][number]["levels"]["L1"]["stack"];
const yamlText = (s: string) => (/^[\w .()/-]+$/.test(s) && !/^[\d.]+$/.test(s) ? s : JSON.stringify(s));

/**
 * What is wrong with a scenario's stack for a level: a runtime that does not provide the level;
 * text that names a runtime of the level (the stack must be built on it, so that an answer on
 * another runtime names that one, and the version is the runtime's own); text that names a
 * runtime with a version `versions` does not give it. (Outcomes are reports of what ran, and
 * keep the versions they name.)
 */
function stackProblems(p: PolicySource, stack: Stack, level: (typeof PLACEABLE_LEVELS)[number]): string[] {
  const out: string[] = [];
  const ofLevel = p.runtimes.filter((r) => r.levels.includes(level));
  if (typeof stack === "object" && !ofLevel.some((r) => r.id === stack.runtime)) {
    out.push(`runtime "${stack.runtime}" does not provide ${level}; allowed: ${ofLevel.map((r) => r.id).join(", ")}`);
  }
  const texts = typeof stack === "string" ? [stack] : [stack.orchestrator, stack.extra].filter((t): t is string => !!t);
  for (const text of texts) {
    const lower = text.toLowerCase();
    for (const r of p.runtimes) {
      const at = lower.indexOf(r.name.toLowerCase());
      if (at < 0) continue;
      const after = text.slice(at + r.name.length);
      const version = VERSION_AFTER_NAME.exec(after)?.[0].trim();
      const known = p.versions?.[r.id];
      if (r.levels.includes(level)) {
        const orchestrator = text.slice(0, at).replace(/\s*\+\s*$/, ""),
          extra = after.replace(VERSION_AFTER_NAME, "").trim();
        const parts = [orchestrator && `orchestrator: ${yamlText(orchestrator)}`, `runtime: ${r.id}`, extra && `extra: ${yamlText(extra)}`]
          .filter(Boolean)
          .join(", ");
        const setVersion = version && version !== known ? ` and versions.${r.id}: ${version}` : "";
        out.push(
          `"${text}" names ${r.name}, a runtime of ${level}: write the stack as { ${parts} }${setVersion}, so its version comes from versions.${r.id} and an answer on another ${level} runtime names that one`,
        );
      } else if (version && version !== known) {
        out.push(`"${text}" names ${r.name} ${version}, but versions.${r.id} is ${known ?? "not set"}: stack texts and versions must agree`);
      }
    }
  }
  return out;
}

/** What the schema cannot say: order, uniqueness, references between entries, ranges. */
function crossCheck(p: PolicySource): [(string | number)[], string][] {
  const out: [(string | number)[], string][] = [];
  const unique = (kind: string, rows: { id: string; zh?: string }[]) => {
    const seen = new Map<string, number>();
    rows.forEach((r, i) => {
      for (const name of [r.id, r.zh]) {
        if (!name) continue;
        if (seen.has(name) && seen.get(name) !== i) out.push([[kind, i], `"${name}" is used twice among ${kind}`]);
        seen.set(name, i);
      }
    });
  };
  p.metrics.forEach((m, i) => {
    if (m.id !== METRIC_IDS[i])
      out.push([["metrics", i, "id"], `metric ${i + 1} must be ${METRIC_IDS[i]} (metrics come in the order ${METRIC_IDS.join(", ")})`]);
  });
  p.levels.forEach((l, i) => {
    if (l.id !== LEVEL_IDS[i]) out.push([["levels", i, "id"], `level ${i} must be ${LEVEL_IDS[i]}`]);
  });
  unique("needs", p.needs);
  unique("scenarios", p.scenarios);
  unique("runtimes", p.runtimes);
  unique("metrics", p.metrics);

  p.levels.forEach((level, li) => {
    for (const [mi, metric] of METRIC_IDS.entries()) {
      const f = level.figures[metric];
      const unit = p.metrics[mi]?.unit;
      const at = ["levels", li, "figures", metric];
      if (f === null) {
        if (li > 0) out.push([at, `${level.id} needs a figure for ${metric}: placement compares L1–L4 on every metric`]);
        continue;
      }
      const lo = typeof f === "number" ? f : f.min,
        hi = typeof f === "number" ? f : f.max;
      for (const problem of figureProblems(lo, hi, unit)) out.push([at, problem]);
    }
    for (const t of p.technical) {
      if (!Object.hasOwn(level.technical, t.id)) out.push([["levels", li, "technical"], `missing ${t.id}`]);
    }
    for (const key of Object.keys(level.technical)) {
      if (!p.technical.some((t) => t.id === key))
        out.push([["levels", li, "technical", key], `unknown dimension; allowed: ${p.technical.map((t) => t.id).join(", ")}`]);
    }
  });

  p.scenarios.forEach((s, si) => {
    const fit = (id: string) => s.levels[id as (typeof PLACEABLE_LEVELS)[number]].fit;
    if (fit(s.first) === "❌") out.push([["scenarios", si, "first"], `${s.id}'s first choice ${s.first} is marked ❌ for it`]);
    if (s.second && fit(s.second) === "❌") out.push([["scenarios", si, "second"], `${s.id}'s second choice ${s.second} is marked ❌ for it`]);
    if (s.second === s.first) out.push([["scenarios", si, "second"], "the second choice repeats the first"]);
  });

  p.scenarios.forEach((s, si) => {
    for (const level of PLACEABLE_LEVELS) {
      for (const problem of stackProblems(p, s.levels[level].stack, level)) out.push([["scenarios", si, "levels", level, "stack"], problem]);
    }
  });

  const runtimeIds = new Set(p.runtimes.map((r) => r.id));
  p.runtimes.forEach((r, ri) => {
    (r.requires ?? []).forEach((req, k) => {
      if (!runtimeIds.has(req)) out.push([["runtimes", ri, "requires", k], `unknown runtime "${req}"; allowed: ${[...runtimeIds].join(", ")}`]);
      if (req === r.id) out.push([["runtimes", ri, "requires", k], "a runtime cannot require itself"]);
    });
  });
  for (const level of PLACEABLE_LEVELS) {
    if (!p.runtimes.some((r) => r.levels.includes(level))) out.push([["runtimes"], `no runtime provides ${level}`]);
  }
  p.runtimes.forEach((r, ri) => {
    for (const [metric, f] of Object.entries(r.figures ?? {})) {
      if (!f) continue;
      const at = ["runtimes", ri, "figures", metric];
      const unit = p.metrics[METRIC_IDS.indexOf(metric as (typeof METRIC_IDS)[number])]?.unit;
      for (const problem of figureProblems(f.min, f.max, unit)) out.push([at, problem]);
    }
  });
  (p.tests ?? []).forEach((t, k) => {
    if (t.runtime !== undefined && !runtimeIds.has(t.runtime))
      out.push([["tests", k, "runtime"], `unknown runtime "${t.runtime}"; allowed: ${[...runtimeIds].join(", ")}`]);
    if (t.runtime !== undefined && t.expect === null) out.push([["tests", k, "runtime"], "a test that expects no placement names no runtime"]);
  });
  for (const g of ["performance", "security", "cost"] as const) {
    if (!p.needs.some((n) => n.group === g)) out.push([["needs"], `no ${g} need`]);
  }
  return out;
}
