// `policy test`: a policy's test cases — the self-test vectors built into its module (derived
// from its scenarios and needs, and its source's `tests:`) and the cases of its test files —
// each decided by the engine and checked. Runtime-neutral: files arrive as text.
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import type { Decision, Engine } from "../engine/engine.ts";
import { parseCases, type Expectation, type TestCase } from "./cases.ts";

interface CaseResult {
  name: string;
  origin: string;
  line: number | null;
  request: unknown;
  expected: Expectation;
  got: { level: string | null; runtime: string | null; runtimeClassName: string | null; rule: string };
  pass: boolean;
  /** The decision's explanation (for a failure, why it decided otherwise). */
  explanation: string;
}

export interface TestReport {
  policy: { name: string; version: string; sha256: string };
  /** What ran: the module's vectors, then each test file, with its number of cases. */
  ran: { from: string; cases: number }[];
  /** Test files looked for by name beside the policy and not found (FILE.test.yaml, NAME.test.yaml). */
  missing: string[];
  cases: CaseResult[];
  passed: number;
  failed: number;
}

/** Where the module's own vectors are reported from. */
const VECTORS = "the module's self-test vectors";

/** The lines of a source's own `tests:`, by name (the source already built, so it parses). */
function sourceTestLines(source: { file: string; text: string }): Map<string, number> {
  const lines = new LineCounter();
  const tests = parseDocument(source.text, { lineCounter: lines }).get("tests", true);
  const out = new Map<string, number>();
  if (isSeq(tests)) {
    for (const item of tests.items) {
      const name = isMap(item) ? item.get("name") : undefined;
      if (typeof name === "string" && !out.has(name) && item && (item as { range?: number[] }).range)
        out.set(name, lines.linePos((item as { range: number[] }).range[0]).line);
    }
  }
  return out;
}

/** The module's own vectors as cases; with its source, those of the source's `tests:` name their line. */
function vectorCases(engine: Engine, source?: { file: string; text: string }): TestCase[] {
  const lines = source ? sourceTestLines(source) : new Map<string, number>();
  return engine.vectors().map((v) => {
    const line = lines.get(v.name);
    return {
      name: v.name,
      origin: line ? source!.file : "module",
      line: line ?? null,
      request: v.request,
      expect: { levels: v.expect, ...(v.runtime ? { runtime: v.runtime } : {}) },
    };
  });
}

function check(e: Expectation, d: Decision): boolean {
  return (
    (e.levels === undefined || e.levels.includes(d.level)) &&
    (e.runtime === undefined || e.runtime === d.runtime) &&
    (e.runtimeClassName === undefined || e.runtimeClassName === d.runtimeClassName) &&
    (e.rule === undefined || e.rule === d.rule)
  );
}

export function runCases(
  engine: Engine,
  cases: TestCase[],
  ran: TestReport["ran"] = [{ from: "cases", cases: cases.length }],
  missing: string[] = [],
): TestReport {
  const results = cases.map((c): CaseResult => {
    const d = engine.decide(c.request);
    return {
      name: c.name,
      origin: c.origin,
      line: c.line,
      request: c.request,
      expected: c.expect,
      got: { level: d.level, runtime: d.runtime, runtimeClassName: d.runtimeClassName, rule: d.rule },
      pass: check(c.expect, d),
      explanation: d.explanation,
    };
  });
  const passed = results.filter((r) => r.pass).length;
  return {
    policy: { name: engine.policy.name, version: engine.policy.version, sha256: engine.policy.sha256 },
    ran,
    missing,
    cases: results,
    passed,
    failed: results.length - passed,
  };
}

/** The vectors, then every test file's cases (a bad file throws CaseFileError); `missing`: the test files looked for and not found. */
export function testPolicy(
  engine: Engine,
  files: { file: string; text: string }[],
  source?: { file: string; text: string },
  missing: string[] = [],
): TestReport {
  const vectors = vectorCases(engine, source);
  const fromFiles = files.map((f) => ({ file: f.file, cases: parseCases(f.text, f.file, engine) }));
  const ran = [{ from: VECTORS, cases: vectors.length }, ...fromFiles.map((f) => ({ from: f.file, cases: f.cases.length }))];
  return runCases(engine, [...vectors, ...fromFiles.flatMap((f) => f.cases)], ran, missing);
}

const levelsText = (l: (string | null)[]) => l.map((x) => x ?? "none").join(" or ");

function expectationText(e: Expectation): string {
  const parts = [
    ...(e.levels ? [levelsText(e.levels)] : []),
    ...(e.runtime !== undefined ? [`runtime ${e.runtime ?? "none"}`] : []),
    ...(e.runtimeClassName !== undefined ? [`runtimeClassName ${e.runtimeClassName ?? "none"}`] : []),
    ...(e.rule ? [`rule ${e.rule}`] : []),
  ];
  return parts.join(", ");
}

function gotText(g: CaseResult["got"], e: Expectation): string {
  if (g.level === null) return `none (rule ${g.rule})`;
  const extra = [...(e.runtimeClassName !== undefined ? [`runtimeClassName ${g.runtimeClassName ?? "none"}`] : []), ...(e.rule ? [`rule ${g.rule}`] : [])];
  return `${g.level}/${g.runtime}${extra.length ? `, ${extra.join(", ")}` : ""}`;
}

/** One line per case, the failures with their explanation, and a summary. */
export function formatTestReport(r: TestReport): string {
  const lines = r.cases.map((c) => {
    const where = c.origin === "module" ? "" : `  [${c.origin}${c.line ? `:${c.line}` : ""}]`;
    const head = `${c.pass ? "✓" : "✗"} ${c.name} — expected ${expectationText(c.expected)}, got ${gotText(c.got, c.expected)}${where}`;
    return c.pass ? head : `${head}\n    why: ${c.explanation}`;
  });
  const ran = `ran ${r.ran.map((x) => `${x.cases} from ${x.from}`).join(", ")}`;
  const missing = r.missing.length ? [`not found: ${r.missing.join(", ")} (every *.test.yaml beside the policy is run)`] : [];
  const summary = `${r.cases.length} cases: ${r.passed} passed, ${r.failed} failed (policy ${r.policy.name} ${r.policy.version})`;
  return [...lines, "", ran, ...missing, summary].join("\n");
}
