// The catalogue side of a policy diff: figures, fits, stacks, versions, choices, needs and runtimes of two
// policies, flattened to named entries and compared side by side.
import type { Engine } from "./engine.ts";

export interface CatalogueChange {
  what: string;
  a: string | null;
  b: string | null;
}

type Flat = Map<string, string>;

function flatten(value: unknown, path: string, out: Flat): void {
  if (value === undefined) return;
  if (value === null || typeof value !== "object") {
    out.set(path, String(value));
    return;
  }
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== "object")) {
    out.set(path, value.join(", "));
    return;
  }
  for (const [k, v] of Object.entries(value)) flatten(v, path ? `${path}.${k}` : k, out);
}

const figureText = (f: { min: number | null; max: number | null; text: string } | null) => (f === null ? null : `${f.text} [${f.min}–${f.max ?? "∞"}]`);

/** What an operator edits, by name: the decision-relevant parts of a policy's catalogue. */
function entries(e: Engine): Flat {
  const levels = e.levels(),
    sc = e.scenarios(),
    out: Flat = new Map();
  const view = {
    defaultLevel: e.catalogue.defaultLevel,
    // the versions stacks name (a bump changes every stack built on that runtime)
    versions: e.catalogue.versions,
    figures: Object.fromEntries(levels.levels.map((l) => [l.id, Object.fromEntries(Object.entries(l.figures).map(([m, f]) => [m, figureText(f)]))])),
    scenarios: Object.fromEntries(
      sc.scenarios.map((s) => [
        s.id,
        {
          first: s.first?.level ?? null,
          second: s.second?.level ?? null,
          ...Object.fromEntries(Object.entries(s.levels).map(([l, row]) => [l, { fit: row.symbol, stack: row.stack }])),
        },
      ]),
    ),
    needs: Object.fromEntries(sc.needs.map((n) => [n.id, { group: n.group, levels: n.levels, metrics: n.metrics }])),
    runtimes: Object.fromEntries(sc.runtimes.map(({ id, name: _name, ...r }) => [id, r])),
    // a runtime's own figures (where it differs from its level), once per runtime
    runtimeFigures: Object.fromEntries(
      levels.levels
        .flatMap(
          (l) => (l as { runtimes?: { id: string; figures: Record<string, { min: number | null; max: number | null; text: string }> }[] }).runtimes ?? [],
        )
        .map((r) => [r.id, Object.fromEntries(Object.entries(r.figures).map(([m, f]) => [m, figureText(f)]))]),
    ),
  };
  flatten(view, "", out);
  return out;
}

export function diffCatalogues(a: Engine, b: Engine): CatalogueChange[] {
  const ea = entries(a),
    eb = entries(b),
    out: CatalogueChange[] = [];
  for (const [what, va] of ea) if (eb.get(what) !== va) out.push({ what, a: va, b: eb.get(what) ?? null });
  for (const [what, vb] of eb) if (!ea.has(what)) out.push({ what, a: null, b: vb });
  return out;
}
