// What a bench section is: something that measures and returns figures. The runner (run.ts)
// builds one shared context, runs the sections asked for, prints their rows as one table and
// writes their figures, all of one run, into bench/results.json.
// To add a section (e.g. HTTP): export a Section from bench/sections/<name>.ts and list it in
// run.ts; it may use everything in the context (the request mix, the module, an engine).
import type { Engine } from "../host/engine/engine.ts";
import type { BaselinePlacer } from "./baseline.ts";
import type { BaselineEngine } from "./baseline-answer.ts";
import type { RequestMix } from "./mix.ts";

export interface BenchContext {
  quick: boolean; // --quick: tiny iteration counts, figures checked for presence only
  root: string; // the package root
  modulePath: string; // dist/policies/default.wasm
  moduleBytes: Uint8Array<ArrayBuffer>;
  module: WebAssembly.Module; // compiled once
  engine: Engine; // the default policy, planning mode (no node profile)
  baseline: BaselinePlacer; // the rules in plain TypeScript, from the policy source
  baselineEngine: BaselineEngine; // engine.decide with those rules instead of the module: the same full answer
  mix: RequestMix; // the mixed requests, as objects and as codes
  log(message: string): void; // progress, on stderr
}

/** A target (issues 8, 15): met when `value op limit`. Reported, never asserted. */
export interface Target {
  op: "<=" | ">=";
  limit: number;
}

/** One line of the printed table. `id` names it in results.json's `targets` when it has a target. */
export interface Row {
  id: string;
  label: string;
  value: number | null;
  unit: string;
  target?: Target;
  note?: string;
}

export interface SectionResult {
  /** Top-level keys of results.json that this section owns (replaced on every run). */
  figures: Record<string, unknown>;
  rows: Row[];
}

export interface Section {
  name: string; // for --only
  title: string; // the table's group heading
  run(ctx: BenchContext): Promise<SectionResult>;
}

export const met = (value: number | null, t: Target): boolean | null =>
  value === null || !Number.isFinite(value) ? null : t.op === "<=" ? value <= t.limit : value >= t.limit;
