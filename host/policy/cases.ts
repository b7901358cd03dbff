// A policy's test file (`*.test.yaml` beside the source): a list of { name, request, expect }.
// expect: a level, a list of levels, null (nothing feasible), or an object with level /
// runtime / runtimeClassName / rule. Every problem names the file, the line and the field.
import { isNode, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { RULES } from "../engine/abi.ts";
import type { Engine } from "../engine/engine.ts";
import { fieldErrors } from "../engine/request-schemas.ts";
import { PLACEABLE_LEVELS } from "../engine/vocabulary.ts";

export interface Expectation {
  /** Acceptable levels; null among them: nothing feasible. Absent: any level. */
  levels?: (string | null)[];
  runtime?: string | null;
  runtimeClassName?: string | null;
  rule?: string;
}

export interface TestCase {
  name: string;
  origin: string;
  line: number | null;
  request: unknown;
  expect: Expectation;
}

export interface CaseFileProblem {
  line: number | null;
  path: string;
  message: string;
}

export class CaseFileError extends Error {
  readonly file: string;
  readonly problems: CaseFileProblem[];
  constructor(file: string, problems: CaseFileProblem[]) {
    super(`${file}: invalid test file\n${problems.map((p) => `  ${p.line ? `line ${p.line}: ` : ""}${p.path || "(document)"}: ${p.message}`).join("\n")}`);
    this.name = "CaseFileError";
    this.file = file;
    this.problems = problems;
  }
}

const level = z.enum(PLACEABLE_LEVELS);
const levels = z.union([level.transform((l) => [l]), z.array(level).min(1), z.null().transform(() => [null])], {
  error: `a level (${PLACEABLE_LEVELS.join(", ")}), a list of levels, or null (nothing feasible)`,
});
const expectSchema = z.union(
  [
    levels.transform((l): Expectation => ({ levels: l })),
    z
      .strictObject({
        level: levels.optional(),
        runtime: z.string().nullable().optional(),
        runtimeClassName: z.string().nullable().optional(),
        rule: z.enum(RULES).optional(),
      })
      .refine((o) => Object.keys(o).length > 0, "name at least one of level, runtime, runtimeClassName, rule")
      .transform(({ level: l, ...rest }): Expectation => ({ ...(l ? { levels: l } : {}), ...rest })),
  ],
  { error: "expect is a level, a list of levels, null, or { level, runtime, runtimeClassName, rule }" },
);

const caseSchema = z.strictObject(
  {
    name: z.string().min(1).max(200),
    request: z.record(z.string(), z.unknown(), { error: "request is a POST /v1/decide body (an object)" }),
    expect: expectSchema,
  },
  { error: "a case is { name, request, expect }" },
);
const fileSchema = z.array(caseSchema, { error: "a test file is a list of cases: - { name, request, expect }" });

const pathOf = (p: readonly PropertyKey[]) => p.filter((k): k is string | number => typeof k !== "symbol");
const dotted = (p: (string | number)[]) => p.map((k, i) => (typeof k === "number" ? `[${k}]` : i ? `.${k}` : k)).join("");

/** Parses a test file against the policy of `engine` (its ids): the cases, or CaseFileError. */
export function parseCases(text: string, file: string, engine: Engine): TestCase[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length)
    throw new CaseFileError(
      file,
      doc.errors.map((e) => ({ line: counter.linePos(e.pos[0]).line, path: "", message: e.message.split("\n")[0] })),
    );
  const lineOf = (path: (string | number)[]): number | null => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
    }
    return null;
  };
  const parsed = fileSchema.safeParse(doc.toJS() ?? []);
  if (!parsed.success) {
    throw new CaseFileError(
      file,
      parsed.error.issues.map((i) => ({ line: lineOf(pathOf(i.path)), path: dotted(pathOf(i.path)), message: i.message })),
    );
  }
  const problems: CaseFileProblem[] = [];
  const names = new Map<string, number>();
  parsed.data.forEach((c, k) => {
    if (names.has(c.name))
      problems.push({ line: lineOf([k, "name"]), path: `[${k}].name`, message: `"${c.name}" is also the name of case ${names.get(c.name)! + 1}` });
    names.set(c.name, k);
    // the request as decide validates it, with the policy's own ids
    const r = engine.schemas.decide.safeParse(c.request);
    if (!r.success) {
      for (const e of fieldErrors(r.error)) {
        const sub = e.path
          ? e.path
              .replace(/\[(\d+)\]/g, ".$1")
              .split(".")
              .map((s) => (/^\d+$/.test(s) ? Number(s) : s))
          : [];
        problems.push({ line: lineOf([k, "request", ...sub]), path: `[${k}].request${e.path ? `.${e.path}` : ""}`, message: e.message });
      }
    }
    for (const [field, ids] of [
      ["runtime", engine.tables.runtime.ids],
      ["runtimeClassName", engine.catalogue.runtimes.map((rt) => rt.runtimeClassName)],
    ] as const) {
      const v = c.expect[field];
      if (typeof v === "string" && !(ids as (string | null)[]).includes(v)) {
        problems.push({
          line: lineOf([k, "expect", field]),
          path: `[${k}].expect.${field}`,
          message: `unknown ${field} "${v}"; allowed: ${[...new Set(ids.filter(Boolean))].join(", ")}, or null`,
        });
      }
    }
  });
  if (problems.length) throw new CaseFileError(file, problems);
  return parsed.data.map((c, k) => ({ name: c.name, origin: file, line: lineOf([k]), request: c.request, expect: c.expect }));
}
