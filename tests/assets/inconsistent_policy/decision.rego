# METADATA
# title: A deliberately inconsistent decision (tests only)
# description: >-
#   The request is DENY, yet every subject entry allows its subject (or sends
#   it to review) and names a tax year to release. The gateway's own policy
#   never answers like this; tests/integration/test_request_denial_is_final.py
#   serves it from a real OPA to prove that the enforcement point releases
#   nothing of a denied request, whatever a subject entry says. A subject whose
#   ref starts with "review" gets REQUIRE_HUMAN_REVIEW, every other one ALLOW.
package gateway

decision := {
	"outcome": "DENY",
	"reasons": [],
	"subjects": [_subject(t) | some t in input.taxpayers],
	"obligations": [],
	"penalties": [],
}

_subject(t) := {
	"ref": t.ref,
	"outcome": _outcome(t.ref),
	"release_tax_year": 2024,
	"redacted": [],
	"findings": [_finding(t.ref)],
	"reasons": [_finding(t.ref)],
}

_outcome(ref) := "REQUIRE_HUMAN_REVIEW" if {
	startswith(ref, "review")
} else := "ALLOW"

_finding(ref) := {
	"rule": "TEST-SUBJECT-OK",
	"outcome": _outcome(ref),
	"citation": "tests/assets/inconsistent_policy",
	"message": "This subject entry contradicts the denial of its request.",
}
