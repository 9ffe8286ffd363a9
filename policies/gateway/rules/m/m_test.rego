# METADATA
# title: Tests of the §6103(m) rules
package gateway.rules.m_test

import data.gateway.testkit_test as tk

_denied := [tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])]

test_deny_m2_2_no_claim_identified if {
	every reference in [null, "claim BFS-TOP-2026-55102", "31 U.S.C. 3720A"] {
		request := tk.patched(tk.bfs_m2, [tk.set("/purpose/claim_reference", reference)])
		decision := tk.decide(request)
		decision.reasons == ["6103-M2-2:D"]
		decision.subjects[0].findings == ["6103-A:D", "GW-11:OBL", "GW-8:AWR"]
	}
}

test_allow_m2_1_claim_reference_forms if {
	every reference in ["31 USC 3717 interest", "31 U.S.C. § 3718 contract", "Claim under 31 u.s.c. 3711(a)"] {
		request := tk.patched(tk.bfs_m2, [tk.set("/purpose/claim_reference", reference)])
		tk.decide(request).outcome == "ALLOW_WITH_REDACTION"
	}
}

test_deny_m2_2_location_for_removal if {
	request := tk.patched(tk.bfs_m2, [tk.set("/purpose/category", "CIVIL_IMMIGRATION_ENFORCEMENT")])
	tk.decide(request).reasons == ["6103-M-X:D", "6103-M2-2:D", "INJ-1:D"]
}

test_deny_m2_1_not_written if {
	request := tk.patched(tk.bfs_m2, [tk.set("/written_request", false)])
	tk.decide(request).subjects[0].outcome == "DENY"
}

test_deny_m_x_purpose_outside_paragraph if {
	every ops in [
		[tk.set("/purpose/category", "FEDERAL_CLAIM_COLLECTION")],
		[tk.set("/purpose/onward_sharing_to", ["DOJ"])],
		[tk.set("/purpose/downstream_civil_use", true)],
	] {
		tk.decide(tk.patched(tk.ed_m4, ops)) == tk.expect("DENY", ["6103-M-X:D"], _denied)
	}
}

test_deny_m4_1_signer_not_secretary if {
	decision := tk.decide(tk.ed_m4) with data.registry.roles.signers_m4 as ["AGENCY_HEAD"]
	decision == tk.expect("DENY", [], _denied)
}

test_deny_m7_1_signer_not_commissioner if {
	decision := tk.decide(tk.ssa_m7) with data.registry.roles.signers_m7 as ["AGENCY_HEAD"]
	decision == tk.expect("DENY", [], _denied)
}
