// A staged candidate an agent holds (manager.ts): verified like any other, but not adopted until
// its rollout step opens and its guard has spoken (rollout.ts). Meanwhile the live decisions are
// decided with it in the shadow (shadow.ts). What GET /v1/policy and state.json show of it.
import type { Engine, NodeProfile } from "../engine/engine.ts";
import type { Candidate, Checked } from "./pipeline.ts";
import { judge, stepFor, type Verdict } from "./rollout.ts";
import { Shadow, type ShadowCounts, type ShadowOptions } from "./shadow.ts";
import type { Adoption, PendingEntry } from "./state.ts";
import type { Statement } from "./statement.ts";

/** How many transitions the status and the refusal show (the shadow keeps up to 64). */
export const TOP_TRANSITIONS = 5;
const round2 = (x: number) => Math.round(x * 100) / 100;

export class PendingCandidate {
  readonly candidate: Candidate;
  readonly checked: Checked;
  readonly statement: Statement;
  readonly bucket: number;
  /** When this agent first held it (ms since the epoch, its own clock). */
  readonly since: number;
  readonly shadow: Shadow;
  /** The shadow's version when its counts were last saved. */
  savedVersion: number;

  constructor(candidate: Candidate, checked: Checked, bucket: number, since: number, node: NodeProfile | undefined, shadow: ShadowOptions) {
    this.candidate = candidate;
    this.checked = checked;
    this.statement = checked.statement!;
    this.bucket = bucket;
    this.since = since;
    const engine: Engine = checked.engine.withNode(node);
    this.shadow = new Shadow(engine, shadow);
    this.savedVersion = this.shadow.version;
  }

  get sha(): string {
    return this.checked.moduleSha256;
  }
  get name(): string {
    return this.statement.name;
  }
  get serial(): number {
    return this.statement.serial;
  }
  get dirty(): boolean {
    return this.shadow.version !== this.savedVersion;
  }

  judge(now: number): Verdict {
    return judge(this.statement, this.bucket, this.since, this.shadow.tally, now);
  }

  /** What the active entry records once it is adopted. */
  adoption(v: Extract<Verdict, { kind: "adopt" }>): Adoption {
    return adoptionOf(this.statement, this.bucket, v, this.shadow.tally);
  }

  /** As state.json keeps it. */
  entry(): PendingEntry {
    const st = this.statement;
    return {
      name: st.name,
      version: st.version,
      serial: st.serial,
      moduleSha256: this.sha,
      source: this.candidate.source,
      since: new Date(this.since).toISOString(),
      shadow: this.shadow.counts(),
    };
  }

  /** As GET /v1/policy shows it under `pending`. */
  view(): Record<string, unknown> {
    const st = this.statement,
      { step, opensAt } = stepFor(st, this.bucket);
    const counts: ShadowCounts = this.shadow.counts(TOP_TRANSITIONS);
    return {
      name: st.name,
      version: st.version,
      serial: st.serial,
      moduleSha256: this.sha,
      source: this.candidate.source,
      bucket: round2(this.bucket),
      percent: step.percent,
      opensAt: new Date(opensAt).toISOString(),
      ...(st.guard ? { bakeUntil: new Date(Math.max(opensAt, this.since) + st.guard.bake * 1000).toISOString(), guard: st.guard } : {}),
      since: new Date(this.since).toISOString(),
      shadow: counts,
    };
  }
}

export function adoptionOf(st: Statement, bucket: number, v: Extract<Verdict, { kind: "adopt" }>, tally: { decisions: number; changed: number }): Adoption {
  const { step, opensAt } = stepFor(st, bucket);
  return {
    bucket: round2(bucket),
    percent: step.percent,
    opensAt: new Date(opensAt).toISOString(),
    guard: v.guard,
    decisions: tally.decisions,
    changed: tally.changed,
    message: v.message,
  };
}
