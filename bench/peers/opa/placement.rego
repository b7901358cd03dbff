# The placement rules of docs/API.md (decide, rules 1–6) in Rego v1: which isolation level and
# which runtime a workload gets. The input is a POST /v1/decide body; data.policy is the policy,
# written by generate.ts from policies/default.yaml: its ids and aliases, scenarios, needs,
# runtimes, and per level each runtime that provides it with the figures the level is decided by
# there (its normalised figures, their equal-weight sum, the ends constraints are checked
# against). The decision is `decision`.
package isoplace.placement

import data.policy

workload := object.get(input, "workload", {})

# ── The request, in ids (every id may also be given by its alias) ──────────────────────────────

scenario := policy.aliases.scenario[workload.scenario]

artifact := policy.aliases.artifact[workload.artifact]

as_list(x) := [x] if is_string(x)

as_list(x) := x if is_array(x)

# The needs of each group, in the order given (a need may be one id or a list; the first counts most).
requested := {group: ids |
	some group in ["performance", "security", "cost"]
	ids := [policy.aliases[group][id] | some id in as_list(workload[group])]
}

needs := {need | some ids in requested; some need in ids}

# The node's runtimes; without any in the request, every runtime (planning mode).
node_runtimes := {policy.aliases.runtime[id] | some id in input.node.runtimes} if {
	input.node.runtimes
} else := {rt.id | some rt in policy.runtimes}

# The runtimes (by index) on the node, with those they require.
available := {i |
	some i, rt in policy.runtimes
	rt.id in node_runtimes
	every other in rt.requires { other in node_runtimes }
}

runs(_) if not artifact

runs(i) if artifact in policy.runtimes[i].runs

# ── Weights: each need spreads one unit over its own metrics (averaged over the needs); explicit
#    weights add one unit in their own proportions; with neither, every metric counts the same ──

need_weight := {metric: w |
	some metric in {m | some need in needs; some m, _ in policy.needs[need].metrics}
	w := sum([share | some need in needs; share := policy.needs[need].metrics[metric]]) / count(needs)
}

given := {metric: w |
	some key, _ in workload.weights
	metric := policy.aliases.metric[key]
	w := sum([x | some k, x in workload.weights; policy.aliases.metric[k] == metric])
}

# Only proportions count: relative to the largest, so huge weights keep a finite sum.
relative := {metric: r |
	top := max([x | some x in given])
	top > 0
	some metric, w in given
	r := w / top
}

explicit := {metric: share |
	total := sum([x | some x in relative])
	some metric, r in relative
	share := r / total
}

raw_weights := {metric: 1 | some metric in policy.metrics} if {
	count(needs) == 0
	count(explicit) == 0
} else := {metric: w |
	some metric in (object.keys(need_weight) | object.keys(explicit))
	w := object.get(need_weight, metric, 0) + object.get(explicit, metric, 0)
}

# Summing to one: a score is then the weighted sum of a level's normalised figures.
weights := {metric: share |
	total := sum([w | some w in raw_weights])
	some metric, w in raw_weights
	share := w / total
}

# A score in units of 1e-9: to nine decimals, so that a true tie reached by different sums
# (1/3 + 1/6 against 1/2) is still a tie and goes to the tie-breaker.
score_units(on) := round(sum([part | some metric, w in weights; part := w * on.norms[metric]]) * 1000000000)

# ── Rule 1: constraints against the worst case (an open upper end breaks any maximum) ──────────

maxima := {"maxColdStartMs": "coldStart", "maxMemoryMb": "memory", "maxCpuOverheadPct": "cpu"}

exceeds(worst, _) if worst == null

exceeds(worst, limit) if worst > limit

broken(on) := {metric |
	some key, metric in maxima
	exceeds(on.max[metric], workload.constraints[key])
} | {"isolation" | on.isolation < workload.constraints.minIsolation}

# ── Rules 1 (c) and 6: the runtime a level would run on ─────────────────────────────────────────

# Among the node's runtimes that provide the level and run the artifact: one that meets the
# constraints before one that does not, then the best score on its own figures, then policy order.
runtime_on := {level: choice |
	some level, options in policy.placements
	choices := [{"runtime": on.runtime, "broken": broken(on), "units": score_units(on), "balanced": on.balanced} |
		some on in options
		on.runtime in available
		runs(on.runtime)
	]
	best := min({[count(c.broken) > 0, 0 - c.units, c.runtime] | some c in choices})
	some choice in choices
	choice.runtime == best[2]
}

unfit(level) := {"scenario"} if {
	policy.scenarios[scenario].fit[level] == "❌"
} else := set()

supply(level) := runtime_on[level].broken if {
	runtime_on[level]
} else := {"artifact"} if {
	some on in policy.placements[level]
	on.runtime in available
} else := {"runtime"}

reasons := {level: why |
	some level in policy.placeable
	why := unfit(level) | supply(level)
}

feasible := {level | some level, why in reasons; count(why) == 0}

# Feasible levels, best first: higher score, then higher equal-weight sum, then the lower level.
by_score := [key[2] | some key in sort([[0 - on.units, 0 - on.balanced, level] |
	some level in feasible
	on := runtime_on[level]
])]

best_among(levels) := [level | some level in by_score; level in levels][0]

# ── Rules 2 and 3: the source's rule, else the scenario's second choice, else the best score ────

source_rule := "scenario" if {
	scenario
} else := "performance" if {
	requested.performance[0]
} else := "security" if {
	requested.security[0]
} else := "default"

source_pick := level if {
	source_rule == "scenario"
	level := policy.scenarios[scenario].first
	level in feasible
}

source_pick := best_among(policy.needs[requested.performance[0]].levels) if source_rule == "performance"

source_pick := best_among(policy.needs[requested.security[0]].levels) if source_rule == "security"

source_pick := policy.default_level if {
	source_rule == "default"
	policy.default_level in feasible
}

second := policy.scenarios[scenario].second

answer := {"level": source_pick, "rule": source_rule} if {
	source_pick
} else := {"level": second, "rule": "second-choice"} if {
	second in feasible
} else := {"level": by_score[0], "rule": "score"} if {
	count(by_score) > 0
} else := {"level": null, "rule": "none"}

fallback := second if {
	second in feasible
	second != answer.level
} else := level if {
	level := [l | some l in by_score; l != answer.level][0]
} else := null

# ── The answer ──────────────────────────────────────────────────────────────────────────────────

runtime_by_level := {level: policy.runtimes[on.runtime] | some level, on in runtime_on}

runtime_of(level) := object.get(runtime_by_level, level, {"id": null, "runtimeClassName": null})

top_two := [level | some level in [answer.level, fallback]; level != null]

ranking_order := array.concat(
	array.concat(top_two, [level | some level in by_score; not level in top_two]),
	[level | some level in policy.placeable; not level in feasible],
)

score_of(level) := runtime_on[level].units / 1000000000 if {
	level in feasible
} else := null

entry(level) := {
	"level": level,
	"feasible": level in feasible,
	"score": score_of(level),
	"reasons": sort(reasons[level]),
	"runtime": runtime_of(level).id,
	"runtimeClassName": runtime_of(level).runtimeClassName,
}

placement(level) := {
	"level": level,
	"levelName": policy.levels[level].name,
	"runtime": runtime_of(level).id,
	"runtimeClassName": runtime_of(level).runtimeClassName,
} if {
	level != null
} else := {"level": null, "levelName": null, "runtime": null, "runtimeClassName": null}

default artifact_id := null

artifact_id := artifact

default fallback_placement := null

fallback_placement := placement(fallback) if fallback != null

decision := object.union(placement(answer.level), {
	"artifact": artifact_id,
	"fallback": fallback_placement,
	"rule": answer.rule,
	"ranking": [entry(level) | some level in ranking_order],
})
