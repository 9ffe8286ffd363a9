package gateway.lib

# METADATA
# title: Finding built from a rule's METADATA
# description: >-
#   The one place findings are made: rule id, outcome, citation and message
#   come from custom.rule_id, custom.outcome, custom.citation and
#   custom.message of the calling rule (pass rego.metadata.rule()), so that
#   every reasons[].rule of the API traces back to the rule that fired.
finding(meta) := {
	"rule": meta.custom.rule_id,
	"outcome": meta.custom.outcome,
	"citation": meta.custom.citation,
	"message": meta.custom.message,
}

# METADATA
# title: Finding whose METADATA message is a template
# description: custom.message is a sprintf template filled with args.
finding_args(meta, args) := object.union(finding(meta), {"message": sprintf(meta.custom.message, args)})

# METADATA
# title: Restrictiveness of an outcome
outcome_rank := {
	"OBLIGATION": 0,
	"ALLOW": 0,
	"ALLOW_WITH_REDACTION": 1,
	"REQUIRE_HUMAN_REVIEW": 2,
	"DENY": 3,
}

# METADATA
# title: Outcome for a restrictiveness rank
outcome_name := {
	0: "ALLOW",
	1: "ALLOW_WITH_REDACTION",
	2: "REQUIRE_HUMAN_REVIEW",
	3: "DENY",
}

# METADATA
# title: Most restrictive rank among findings (0 when none)
worst_rank(fs) := max({outcome_rank[f.outcome] | some f in fs} | {0})

# METADATA
# title: Some finding denies
any_deny(fs) if {
	some f in fs
	f.outcome == "DENY"
}

# METADATA
# title: Findings as an array sorted by rule id
sorted_findings(fs) := [pair[1] | some pair in sort([[f.rule, f] | some f in fs])]

# METADATA
# title: Findings by subject position, from sets of [position, finding] pairs
# description: >-
#   Per-subject rules are partial sets of pairs, grouped here in one pass
#   (object.union_n merges the nested objects). A rule with a variable in its
#   head (`p[i] contains f`) takes OPA 1.22 time quadratic in the number of
#   subjects: 10,000 subjects took seconds. A subject's entry is the
#   {finding: true} object itself (the decision package caches its verdict
#   by these entries).
by_subject(pair_sets) := object.union_n([{i: {f: true}} |
	some pairs in pair_sets
	some [i, f] in pairs
])
