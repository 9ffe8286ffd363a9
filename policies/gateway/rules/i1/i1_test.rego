# METADATA
# title: Tests of the §6103(i)(1) rules
package gateway.rules.i1_test

import data.gateway.testkit_test as tk

_order(changes) := tk.patched(tk.fbi_i1, [tk.set("/court_order", object.union(tk.fbi_i1.court_order, changes))])

_family_denied := [tk.denied("TP-2002", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])]

_review := [tk.subject("TP-2002", "REQUIRE_HUMAN_REVIEW", 2024, [], [], [])]

_allowed := [tk.subject("TP-2002", "ALLOW", 2024, [], ["6103-I1-OK:A"], ["6103-I1-OK:A"])]

test_deny_i1_1_no_order if {
	request := tk.patched(tk.fbi_i1, [tk.set("/court_order", null)])
	tk.decide(request) == tk.expect("DENY", ["6103-I1-1:D"], _family_denied)
}

test_deny_i1_1_wrong_order_type if {
	tk.decide(_order({"order_type": "EX_PARTE_6103_I_5"})) == tk.expect("DENY", ["6103-I1-1:D"], _family_denied)
}

test_review_i1_1b_not_verified if {
	tk.decide(_order({"verified_with_court": false})) == tk.expect("REQUIRE_HUMAN_REVIEW", ["6103-I1-1b:HR"], _review)
}

test_review_i1_1c_presented_order_differs_from_the_record if {
	every fields in [["judge"], ["covered_tins", "expires_at"]] {
		tk.decide(_order({"discrepancies": fields})) == tk.expect("REQUIRE_HUMAN_REVIEW", ["6103-I1-1c:HR"], _review)
	}
}

test_review_i1_1c_also_judges_i5_orders if {
	request := tk.patched(tk.usms_i5, [tk.set("/court_order/discrepancies", ["named_recipients"])])
	decision := tk.decide(request)
	decision.outcome == "REQUIRE_HUMAN_REVIEW"
	decision.reasons == ["6103-I1-1c:HR"]
}

test_allow_i1_1c_no_discrepancy_no_finding if {
	tk.decide(_order({"discrepancies": []})) == tk.expect("ALLOW", [], _allowed)
}

test_deny_i1_2_not_a_federal_judge if {
	every changes in [
		{"court_type": "STATE_COURT", "judge_type": "STATE_JUDGE"},
		{"court_type": "IMMIGRATION_COURT", "judge_type": "IMMIGRATION_JUDGE"},
		{"judge_type": "OTHER"},
	] {
		tk.decide(_order(changes)) == tk.expect("DENY", ["6103-I1-2:D"], _family_denied)
	}
}

test_deny_i1_3_non_doj_authorizer if {
	every role in ["COMPONENT_HEAD", "AGENCY_HEAD", "FBI_DIRECTOR"] {
		tk.decide(_order({"applicant_authorizer_role": role})) == tk.expect("DENY", ["6103-I1-3:D"], _family_denied)
	}
}

test_review_i1_3_ausa if {
	tk.decide(_order({"applicant_authorizer_role": "AUSA"})) == tk.expect("REQUIRE_HUMAN_REVIEW", ["6103-I1-3:HR"], _review)
}

test_deny_i1_3_ausa_of_non_doj_requester if {
	request := tk.patched(tk.as_agency(_order({"applicant_authorizer_role": "AUSA"}), "DHS-CBP", "cbp-commissioner"), [
		tk.set("/requester/recipients", tk.recipients("DHS", [3])),
	])
	decision := tk.decide(request)
	decision.outcome == "DENY"
	"6103-I1-3:D" in decision.reasons
}

# Adversarial look-alike: an order that expired one second before the decision.
test_deny_i1_4_expired_one_second_before if {
	request := tk.patched(_order({"expires_at": "2026-03-02T14:59:59-05:00"}), [])
	tk.decide(request) == tk.expect("DENY", ["6103-I1-4:D"], _family_denied)
}

test_allow_i1_4_expires_at_decision_time if {
	tk.decide(_order({"expires_at": "2026-03-02T20:00:00Z"})) == tk.expect("ALLOW", [], _allowed)
}

test_deny_i1_4_not_yet_issued if {
	tk.decide(_order({"issued_at": "2026-03-02T15:00:01-05:00"})) == tk.expect("DENY", ["6103-I1-4:D"], _family_denied)
}

test_review_i1_4_old_order_without_expiry if {
	issued := tk.days_before_decision(tk.fbi_i1, data.params.ORDER_NO_EXPIRY_MAX_AGE_DAYS + 1)
	tk.decide(_order({"issued_at": issued, "expires_at": null})) == tk.expect("REQUIRE_HUMAN_REVIEW", ["6103-I1-4:HR"], _review)
}

test_allow_i1_4_order_without_expiry_at_max_age if {
	issued := tk.days_before_decision(tk.fbi_i1, data.params.ORDER_NO_EXPIRY_MAX_AGE_DAYS)
	tk.decide(_order({"issued_at": issued, "expires_at": null})) == tk.expect("ALLOW", [], _allowed)
}

test_deny_i1_5_supplied_tin_not_covered if {
	request := tk.patched(tk.fbi_i1, [tk.set("/taxpayers/0/supplied/tin", "234-56-7891")])
	decision := tk.decide(request)
	decision.subjects[0].reasons == ["6103-A:D", "6103-I1-5:D", "GW-11:OBL"]
}

test_deny_i1_5_record_tin_not_covered_is_not_shown if {
	request := tk.patched(tk.fbi_i1, [
		tk.set("/taxpayers/0/supplied/tin", null),
		tk.set("/taxpayers/0/record/tin", "234-56-7891"),
	])
	tk.decide(request) == tk.expect("DENY", [], [tk.denied("TP-2002", ["6103-I1-5:D", "GW-11:OBL"], ["GW-11:OBL"])])
}

test_deny_i1_5_no_unique_match_is_not_shown if {
	request := tk.patched(tk.fbi_i1, [tk.set("/taxpayers/0/record/tin", null)])
	tk.decide(request) == tk.expect("DENY", [], [tk.denied("TP-2002", ["6103-I1-5:D", "GW-11:OBL"], ["GW-11:OBL"])])
}

test_allow_i1_5_tin_compared_as_digits if {
	request := tk.patched(tk.fbi_i1, [tk.set("/taxpayers/0/supplied/tin", "234567890")])
	tk.decide(request) == tk.expect("ALLOW", [], _allowed)
}

test_allow_i1_6_earlier_covered_address_released if {
	request := tk.patched(_order({"covered_taxable_periods": [2022, 2023]}), [
		tk.set("/taxpayers/0/record/address_tax_years", [2024, 2023, 2022]),
	])
	findings := ["6103-I1-6:AWR", "6103-I1-OK:A"]
	tk.decide(request) == tk.expect(
		"ALLOW_WITH_REDACTION", [],
		[tk.subject("TP-2002", "ALLOW_WITH_REDACTION", 2023, [], findings, ["6103-I1-OK:A"])],
	)
}

test_deny_i1_6_no_covered_address if {
	tk.decide(_order({"covered_taxable_periods": [2021]})) == tk.expect(
		"DENY", [],
		[tk.denied("TP-2002", ["6103-I1-6:D", "GW-11:OBL"], ["GW-11:OBL"])],
	)
}

test_deny_i1_7_no_nontax_criminal_statute if {
	every statutes in [[], ["26 U.S.C. 7206"], ["31 U.S.C. 3711"]] {
		request := tk.patched(tk.fbi_i1, [tk.set("/purpose/statutes_cited", statutes)])
		tk.decide(request) == tk.expect("DENY", ["6103-I1-7:D"], _family_denied)
	}
}

test_allow_i1_7_child_exploitation if {
	request := tk.patched(tk.fbi_i1, [tk.set("/purpose/statutes_cited", ["18 U.S.C. 2252"])])
	tk.decide(request) == tk.expect("ALLOW", [], _allowed)
}

test_deny_i1_8_recipients_or_use_outside_order if {
	recipient := tk.fbi_i1.requester.recipients[0]
	every ops in [
		[tk.set("/requester/recipients", [])],
		[tk.set("/requester/recipients/0", object.union(recipient, {"name": "Someone Else"}))],
		[tk.set("/requester/recipients/0", object.union(recipient, {"is_employee": false}))],
		[tk.set("/requester/recipients/0", object.union(recipient, {"employer_agency": "TREASURY"}))],
		[tk.set("/requester/recipients/0", object.union(recipient, {"personally_directly_engaged": false}))],
		[tk.set("/purpose/downstream_civil_use", true)],
		[tk.set("/purpose/onward_sharing_to", ["STATE_LE"])],
	] {
		tk.decide(tk.patched(tk.fbi_i1, ops)) == tk.expect("DENY", ["6103-I1-8:D"], _family_denied)
	}
}

test_allow_i1_8_recipient_names_compared_loosely if {
	request := tk.patched(tk.fbi_i1, [tk.set("/requester/recipients/0/name", "DANA K WHITFIELD")])
	tk.decide(request) == tk.expect("ALLOW", [], _allowed)
}

test_deny_i1_9_order_does_not_cover_address if {
	tk.decide(_order({"covered_data": ["RETURNS"]})) == tk.expect(
		"DENY", [],
		[tk.denied("TP-2002", ["6103-A:D", "6103-I1-9:D", "GW-11:OBL"], ["6103-A:D", "6103-I1-9:D", "GW-11:OBL"])],
	)
}

test_allow_i1_9_identity_covers_address if {
	tk.decide(_order({"covered_data": ["IDENTITY"]})) == tk.expect("ALLOW", [], _allowed)
}

test_allow_i1_ok_message_names_docket if {
	some s in data.gateway.decision.subjects with input as tk.with_facts(tk.fbi_i1) with data.registry.court_orders as tk.court_orders
	s.findings[0].message == "Disclosed under ex parte order 1:26-mj-00077."
}

test_allow_i1_7_missing_child_case if {
	request := tk.patched(tk.fbi_i1, [tk.set("/purpose/statutes_cited", ["42 U.S.C. 5779"])])
	tk.decide(request) == tk.expect("ALLOW", [], _allowed)
}
