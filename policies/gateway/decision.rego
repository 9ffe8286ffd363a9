# METADATA
# title: Gateway decision (entry point)
# description: >-
#   data.gateway.decision combines every rule family into one decision per
#   POLICY_MODEL.md §3.5 "Combination": request-level findings apply to every
#   subject; per subject DENY > REQUIRE_HUMAN_REVIEW > ALLOW_WITH_REDACTION >
#   ALLOW; without a satisfied basis, 6103-A denies (fail closed). The
#   decision is defined for any input, including a missing or malformed one.
package gateway

import data.gateway.lib
import data.gateway.rules.gw
import data.gateway.rules.i1
import data.gateway.rules.i2
import data.gateway.rules.i3
import data.gateway.rules.i5
import data.gateway.rules.i7
import data.gateway.rules.identity
import data.gateway.rules.inj
import data.gateway.rules.m
import data.gateway.rules.records
import data.gateway.rules.statetax

# METADATA
# title: The decision
# description: >-
#   outcome: most restrictive subject outcome (DENY when there is no subject);
#   reasons: request-level findings sorted by rule id; subjects: one per input
#   taxpayer, in input order; obligations: sorted; penalties: the penalty
#   provisions at stake (PEN tags), sorted by rule id.
# entrypoint: true
decision := {
	"outcome": outcome,
	"reasons": lib.sorted_findings(request_findings),
	"subjects": subjects,
	"obligations": sort(obligations),
	"penalties": lib.sorted_findings(penalties),
}

# METADATA
# title: Request outcome
outcome := lib.outcome_name[max({lib.outcome_rank[s.outcome] | some s in subjects})] if {
	count(subjects) > 0
} else := "DENY"

# METADATA
# title: Request-level findings of every family
request_findings := {f |
	some fs in [
		gw.request_findings, inj.request_findings, i1.request_findings, i2.request_findings,
		i3.request_findings, i5.request_findings, i7.request_findings,
		statetax.request_findings, m.request_findings, records.request_findings,
	]
	some f in fs
}

# METADATA
# title: Obligations of every family (GW-7, 6103-P3-1, INJ-0, INJ-3)
obligations := {o |
	some os in [gw.obligations, records.obligations, inj.obligations]
	some o in os
}

# METADATA
# title: One entry per input taxpayer, in input order
subjects := [_subject(i, t) | some i, t in lib.taxpayers]

# METADATA
# title: Per-subject findings decided from the requester's facts (shown to the requester)
_requester_findings := lib.by_subject([gw.subject_findings, i1.subject_findings, i2.subject_findings])

# METADATA
# title: Per-subject findings decided from the datastore (audit only)
_record_findings := lib.by_subject([gw.subject_record_findings, i1.subject_record_findings, identity.subject_record_findings])

# METADATA
# title: Satisfied bases per subject
_bases := lib.by_subject([
	i1.basis_satisfied, i2.basis_satisfied, i3.basis_satisfied, i5.basis_satisfied,
	i7.basis_satisfied, statetax.basis_satisfied, m.basis_satisfied,
])

# METADATA
# title: Restrictiveness of the request-level findings
_request_rank := lib.worst_rank(request_findings)

# METADATA
# title: No statutory exception applies
# description: No basis rule is satisfied for this subject on the requester's facts.
# custom:
#   rule_id: 6103-A
#   outcome: DENY
#   citation: §6103(a)
#   message: No statutory exception applies; return information is confidential.
_no_basis := lib.finding(rego.metadata.rule())

# METADATA
# title: Uniform denial text
# description: >-
#   Every denied subject carries this text, whether or not a record exists,
#   and never a finding that depends on the datastore.
# custom:
#   rule_id: GW-11
#   outcome: OBLIGATION
#   citation: §6103(b)(2)(A); IRM 11.3.21 (fact of filing is return information)
#   message: No disclosure can be made for this entry.
_uniform_denial := lib.finding(rego.metadata.rule())

# METADATA
# title: Released after a disclosure officer's review
# description: >-
#   Never decided here: the reason the gateway adds to a subject this policy
#   sent to review once a disclosure officer approves its release.
# custom:
#   rule_id: REVIEW-APPROVED
#   outcome: ALLOW
#   citation: §6103(p)(3)(A); disclosure officer review
#   message: Approved by a disclosure officer after review.
review_approved := lib.finding(rego.metadata.rule())

# METADATA
# title: The decision for one subject
# description: >-
#   The subject's reference and release year, and the verdict its findings
#   give (the same for every subject with the same findings).
_subject(i, t) := {
	"ref": lib.ref_of(t),
	"outcome": verdict.outcome,
	"release_tax_year": _release_year(verdict.outcome, years),
	"redacted": verdict.redacted,
	"findings": verdict.findings,
	"reasons": verdict.reasons,
} if {
	verdict := _verdict(object.get(_bases, i, {}), object.get(_requester_findings, i, {}), object.get(_record_findings, i, {}))
	years := array.concat(
		[year | year := i1.release_year[i]],
		[year | year := t.record.last_known_tax_year; is_number(year)],
	)
}

# METADATA
# title: What a subject's findings decide
# description: >-
#   visible: findings decided from the requester's own facts (and 6103-A),
#   the only ones the requester sees; decided: those plus the findings
#   decided from the datastore, all of which make the outcome and go to the
#   audit log. The arguments are the subject's entries of _bases,
#   _requester_findings and _record_findings ({finding: true} objects), so
#   that OPA's cache of function results decides each distinct combination
#   once: in a batch most subjects share theirs, and sorting and merging
#   findings per subject cost more than the rest of the policy.
_verdict(basis_of, requester_of, record_of) := {
	"outcome": subject_outcome,
	"redacted": sort(lib.extra_fields | {"LAST_KNOWN_ADDRESS" | subject_outcome == "DENY"}),
	"findings": lib.sorted_findings(decided | shown),
	"reasons": lib.sorted_findings(visible | shown),
} if {
	bases := object.keys(basis_of)
	no_basis := {_no_basis | count(bases) == 0}
	visible := object.keys(requester_of) | no_basis
	decided := visible | object.keys(record_of)
	subject_outcome := lib.outcome_name[max({_request_rank, lib.worst_rank(decided)})]
	shown := _shown(subject_outcome, bases)
}

# METADATA
# title: Findings shown because of the outcome
# description: The basis finding when the subject is released; GW-11 when it is denied; nothing while it awaits review.
_shown(subject_outcome, bases) := bases if {
	subject_outcome in {"ALLOW", "ALLOW_WITH_REDACTION"}
} else := {_uniform_denial} if {
	subject_outcome == "DENY"
} else := set()

# METADATA
# title: Tax year of the address to release
# description: >-
#   null when the subject is denied; otherwise the first of years: the year
#   chosen by 6103-I1-6 when it applies, then the tax year of the last known
#   address; null if there is none. Given the years rather than the subject,
#   so that OPA's cache of function results decides each distinct pair once.
_release_year("DENY", _) := null

_release_year(subject_outcome, years) := year if {
	subject_outcome != "DENY"
	year := _first_or_null(years)
}

# METADATA
# title: The first element of an array (null when it is empty)
_first_or_null(years) := years[0] if count(years) > 0

else := null

# METADATA
# title: Willful unauthorized disclosure (PEN-1)
# description: >-
#   A subject is released, or goes to a human who may release it: a release
#   later found unauthorized, or a human overriding the policy, is a felony.
# custom:
#   rule_id: PEN-1
#   outcome: TAG
#   citation: §7213(a)(1)–(2)
#   message: "Willful unauthorized disclosure: felony exposure."
penalties contains lib.finding(rego.metadata.rule()) if _may_release

# METADATA
# title: Unauthorized inspection (PEN-2)
# description: >-
#   The datastore was inspected for this request (a record matched); an
#   inspection outside the decision workflow would be unauthorized.
# custom:
#   rule_id: PEN-2
#   outcome: TAG
#   citation: §7213A
#   message: Unauthorized inspection.
penalties contains lib.finding(rego.metadata.rule()) if _inspected

# METADATA
# title: A record matched some subject (the datastore was inspected)
# description: >-
#   A complete rule, so that OPA stops at the first such subject; in the
#   body of a partial set rule the search went on through every subject.
_inspected if {
	some t in lib.taxpayers
	is_number(t.match.candidates)
	t.match.candidates >= 1
}

# METADATA
# title: Civil damages for unauthorized disclosure (PEN-3)
# custom:
#   rule_id: PEN-3
#   outcome: TAG
#   citation: §7431(a), (b), (c)
#   message: Civil damages ≥ $1,000 per act; good-faith-interpretation defense.
penalties contains lib.finding(rego.metadata.rule()) if _may_release

# METADATA
# title: Some subject is released or awaits a human who may release it
_may_release if {
	some s in subjects
	s.outcome in {"ALLOW", "ALLOW_WITH_REDACTION", "REQUIRE_HUMAN_REVIEW"}
}
