# METADATA
# title: Tests of the §6103(i)(7)(A) rule
package gateway.rules.i7_test

import data.gateway.testkit_test as tk

_denied := [tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])]

test_review_i7_1_head_of_federal_le_agency if {
	tk.decide(tk.fbi_i7a) == tk.expect(
		"REQUIRE_HUMAN_REVIEW", ["6103-I7-1:HR"],
		[tk.subject("TP-1001", "REQUIRE_HUMAN_REVIEW", 2024, [], [], [])],
	)
}

test_deny_i7_1_signer_not_head if {
	request := tk.patched(tk.fbi_i7a, [tk.set("/requester/signer", tk.signer("fbi-sac-baltimore"))])
	tk.decide(request) == tk.expect("DENY", [], _denied)
}

test_deny_i7_1_not_terrorism if {
	request := tk.patched(tk.fbi_i7a, [tk.set("/purpose/category", "NONTAX_CRIMINAL")])
	tk.decide(request) == tk.expect("DENY", [], _denied)
}

test_deny_i7_1_no_reason if {
	request := tk.patched(tk.fbi_i7a, [tk.set("/taxpayers/0/specific_reason", "")])
	tk.decide(request) == tk.expect("DENY", [], _denied)
}
