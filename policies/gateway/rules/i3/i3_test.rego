# METADATA
# title: Tests of the §6103(i)(3) rules
package gateway.rules.i3_test

import data.gateway.testkit_test as tk

_emergency := tk.patched(tk.fbi_i2, [
	tk.set("/legal_basis", "6103_i_3_B"),
	tk.set("/purpose/category", "EMERGENCY_LIFE_SAFETY"),
])

test_deny_i3_1_not_requestable if {
	request := tk.patched(tk.fbi_i2, [tk.set("/legal_basis", "6103_i_3_A")])
	tk.decide(request) == tk.expect(
		"DENY", ["6103-I3-1:D"],
		[tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	)
}

test_review_i3_2_emergency if {
	tk.decide(_emergency) == tk.expect(
		"REQUIRE_HUMAN_REVIEW", ["6103-I3-2:HR"],
		[tk.subject("TP-1001", "REQUIRE_HUMAN_REVIEW", 2024, [], [], [])],
	)
}

test_deny_i3_2_not_an_emergency if {
	request := tk.patched(_emergency, [tk.set("/purpose/category", "NONTAX_CRIMINAL")])
	tk.decide(request) == tk.expect(
		"DENY", [],
		[tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	)
}
