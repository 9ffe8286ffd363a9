# METADATA
# title: Tests of identity confidence (6103-I2-10, 6103-I2-10b)
package gateway.rules.identity_test

import data.gateway.testkit_test as tk

_match(changes) := object.union(tk.fbi_i2.taxpayers[0].match, changes)

_with_match(changes) := tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/match", _match(changes))])

# Nothing from the datastore is shown: the requester sees the uniform text only.
_no_match := [tk.denied("TP-1001", ["6103-I2-10:D", "GW-11:OBL"], ["GW-11:OBL"])]

_uncertain := [tk.subject("TP-1001", "REQUIRE_HUMAN_REVIEW", 2024, [], ["6103-I2-10b:HR"], [])]

test_deny_i2_10_not_found if {
	tk.decide(_with_match({"candidates": 0, "name_score": 0, "tin_match": null})) == tk.expect("DENY", [], _no_match)
}

test_deny_i2_10_name_below_floor if {
	tk.decide(_with_match({"name_score": data.params.NAME_SCORE_FLOOR - 0.01})) == tk.expect("DENY", [], _no_match)
}

test_deny_i2_10_tin_mismatch if {
	tk.decide(_with_match({"tin_match": false})) == tk.expect("DENY", [], _no_match)
}

test_review_i2_10b_uncertain_matches if {
	every changes in [
		{"candidates": 2},
		{"name_score": data.params.NAME_SCORE_FLOOR},
		{"name_score": data.params.NAME_SCORE_PASS - 0.001},
		{"method": "NAME_ONLY"},
		{"tin_match": null},
	] {
		tk.decide(_with_match(changes)) == tk.expect("REQUIRE_HUMAN_REVIEW", [], _uncertain)
	}
}

test_allow_i2_10b_name_score_at_pass if {
	tk.decide(_with_match({"name_score": data.params.NAME_SCORE_PASS})).outcome == "ALLOW"
}

test_review_i2_10b_dob_mismatch_in_shared_household if {
	request := tk.patched(_with_match({"dob_match": false}), [tk.set("/taxpayers/0/supplied/dob", "1988-04-17")])
	tk.decide(request) == tk.expect("REQUIRE_HUMAN_REVIEW", [], _uncertain)
}

test_allow_i2_10_tin_match_ignored_without_supplied_tin if {
	request := tk.patched(_with_match({"tin_match": false}), [tk.set("/taxpayers/0/supplied/tin", null)])
	tk.decide(request).outcome == "ALLOW"
}

_with_record(match_changes, record_changes) := tk.patched(tk.fbi_i2, [
	tk.set("/taxpayers/0/match", _match(match_changes)),
	tk.set("/taxpayers/0/record", object.union(tk.fbi_i2.taxpayers[0].record, record_changes)),
])

test_review_i2_10b_shared_household_without_tin if {
	request := _with_record({"tin_match": null, "method": "NAME_DOB_ADDRESS"}, {"shared_household": true})
	without_tin := json.patch(request, [tk.set("/taxpayers/0/supplied/tin", null)])
	tk.decide(without_tin) == tk.expect("REQUIRE_HUMAN_REVIEW", [], _uncertain)
}

test_allow_i2_10b_shared_household_with_tin_match if {
	decision := tk.decide(_with_record({}, {"shared_household": true}))
	decision.outcome == "ALLOW"
}
