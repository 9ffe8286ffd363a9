# METADATA
# title: Identity confidence (6103-I2-10, 6103-I2-10b)
# description: >-
#   Whether the datastore's match is certain enough to release an address.
#   Catalogued under §6103(i)(2), applied to every basis: releasing the address
#   of a person who does not match is an unauthorized disclosure whatever the
#   basis. Both rules read datastore facts only, so they are reported in the
#   audit findings and never in the reasons shown to the requester.
package gateway.rules.identity

import data.gateway.lib

# METADATA
# title: Identity findings of each subject
subject_record_findings contains [i, _identity_finding(t)] if {
	some i, t in lib.taxpayers
}

# METADATA
# title: The identity finding of a subject, if any
_identity_finding(t) := _no_match if {
	not _matched(t)
} else := _uncertain_match if {
	_uncertain(t)
}

# METADATA
# title: No match, or a match the datastore contradicts
# description: No candidate, a name score below NAME_SCORE_FLOOR, or a supplied TIN that does not match.
# custom:
#   rule_id: 6103-I2-10
#   outcome: DENY
#   citation: §6103(a) (disclosing a non-matching person's address is an unauthorized disclosure); §7431; CEDC (Feb 2026)
#   message: "The datastore holds no match for this entry, or contradicts the one found (name score below the floor, or a different TIN)."
_no_match := lib.finding(rego.metadata.rule())

# METADATA
# title: Identity not established to the required confidence
# description: >-
#   Several candidates, a name score between NAME_SCORE_FLOOR and
#   NAME_SCORE_PASS, a name-only match, a supplied TIN the datastore did not
#   compare, a supplied date of birth the datastore did not confirm, or a record whose
#   last known address other taxpayers share (a shared household) matched
#   without a TIN.
# custom:
#   rule_id: 6103-I2-10b
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: CEDC v. Bessent (Feb 2026) misidentification findings; policy
#   message: Identity not established to required confidence (shared household / common name risk).
_uncertain_match := lib.finding(rego.metadata.rule())

# METADATA
# title: One or more candidates, name score at the floor or above, supplied TIN not contradicted
_matched(t) if {
	t.match.candidates >= 1
	is_number(t.match.name_score)
	t.match.name_score >= data.params.NAME_SCORE_FLOOR
	not _tin_contradicted(t)
}

# METADATA
# title: A supplied TIN the datastore found not to match
_tin_contradicted(t) if {
	t.match.tin_match == false
	lib.filled(t.supplied.tin)
}

# METADATA
# scope: document
# title: Match is ambiguous or weak
_uncertain(t) if t.match.candidates > 1

_uncertain(t) if t.match.name_score < data.params.NAME_SCORE_PASS

_uncertain(t) if t.match.method == "NAME_ONLY"

_uncertain(t) if {
	t.match.tin_match == null
	lib.filled(t.supplied.tin)
}

_uncertain(t) if {
	not t.match.dob_match == true
	lib.filled(t.supplied.dob)
}

_uncertain(t) if {
	object.get(t.record, "shared_household", false) == true
	t.match.tin_match != true
}
