# METADATA
# title: Tests of the §6103(i)(5) rules
package gateway.rules.i5_test

import data.gateway.testkit_test as tk

_order(changes) := tk.patched(tk.usms_i5, [tk.set("/court_order", object.union(tk.usms_i5.court_order, changes))])

_denied := [tk.denied("TP-2002", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])]

test_deny_i5_2_administrative_immigration_warrant if {
	request := _order({"felony_arrest_warrant": {"type": "ADMINISTRATIVE_IMMIGRATION", "offense_class": "CIVIL"}})
	tk.decide(request) == tk.expect("DENY", ["6103-I5-2:D"], _denied)
}

test_deny_i5_2_misdemeanor_or_no_warrant if {
	every warrant in [{"type": "JUDICIAL", "offense_class": "MISDEMEANOR"}, null] {
		tk.decide(_order({"felony_arrest_warrant": warrant})) == tk.expect("DENY", ["6103-I5-2:D"], _denied)
	}
}

test_deny_i5_1_order_rules_apply if {
	tk.decide(_order({"judge_type": "IMMIGRATION_JUDGE", "court_type": "IMMIGRATION_COURT"})) == tk.expect("DENY", ["6103-I1-2:D"], _denied)
}

test_deny_i5_1_order_of_another_type if {
	tk.decide(_order({"order_type": "EX_PARTE_6103_I_1"})) == tk.expect("DENY", [], _denied)
}

test_deny_i5_1_not_fugitive_location if {
	request := tk.patched(tk.usms_i5, [tk.set("/purpose/category", "NONTAX_CRIMINAL")])
	tk.decide(request) == tk.expect("DENY", [], _denied)
}

test_deny_i5_1_taxpayer_not_in_order if {
	request := tk.patched(tk.usms_i5, [tk.set("/taxpayers/0/supplied/tin", "345-67-8901")])
	tk.decide(request) == tk.expect(
		"DENY", [],
		[tk.denied("TP-2002", ["6103-A:D", "6103-I1-5:D", "GW-11:OBL"], ["6103-A:D", "6103-I1-5:D", "GW-11:OBL"])],
	)
}

test_review_i5_1_ausa_authorizer if {
	tk.decide(_order({"applicant_authorizer_role": "AUSA"})) == tk.expect(
		"REQUIRE_HUMAN_REVIEW", ["6103-I1-3:HR"],
		[tk.subject("TP-2002", "REQUIRE_HUMAN_REVIEW", 2024, [], [], [])],
	)
}
