# The placement rules of docs/API.md (decide, rules 1–6) in Rego v1: which isolation level and
# which runtime a workload gets. The input is a POST /v1/decide body; data.policy is the policy,
# written by generate.ts from policies/default.yaml with everything that depends only on the
# policy already computed: its ids and aliases, scenarios (with the levels each rules out), needs,
# runtimes, and per level each runtime that provides it with what the level is decided by there
# (its normalised figures, the ends constraints are checked against, the equal-weight score and
# sum, each need's score). Here is only what depends on the request. The decision is `decision`.
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

# ── Scores: with neither needs nor weights every metric counts the same; each need spreads one
#    unit over its own metrics (averaged over the needs); explicit weights add one unit in their
#    own proportions. The equal-weight score and each need's score are in data.json ─────────────

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

# The needs' unit on a placement: the mean of their scores there.
need_part(on) := sum([score | some need in needs; score := on.need_score[need]]) / count(needs)

# The explicit weights' unit: their shares of the placement's normalised figures.
explicit_part(on) := sum([part | some metric, share in explicit; part := share * on.norms[metric]])

# A score in units of 1e-9: to nine decimals, so that a true tie reached by different sums
# (1/3 + 1/6 against 1/2) is still a tie and goes to the tie-breaker. With both needs and
# weights, each unit counts half.
score_units(on) := on.equal_units if {
	count(needs) == 0
	count(explicit) == 0
} else := round(need_part(on) * 1000000000) if {
	count(explicit) == 0
} else := round(explicit_part(on) * 1000000000) if {
	count(needs) == 0
} else := round(((need_part(on) + explicit_part(on)) / 2) * 1000000000)

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
	level in policy.scenarios[scenario].unsuitable
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

scores := {level: score | some level in feasible; score := runtime_on[level].units / 1000000000}

entry(level) := {
	"level": level,
	"feasible": level in feasible,
	"score": object.get(scores, level, null),
	"reasons": sort(reasons[level]),
	"runtime": runtime.id,
	"runtimeClassName": runtime.runtimeClassName,
} if {
	runtime := runtime_of(level)
}

placement(level) := {
	"level": level,
	"levelName": policy.levels[level].name,
	"runtime": runtime.id,
	"runtimeClassName": runtime.runtimeClassName,
} if {
	level != null
	runtime := runtime_of(level)
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
