# METADATA
# title: Tests of the decision entry point
# description: >-
#   Whole decision objects (with citations and messages), totality of the
#   decision for missing and malformed inputs, the combination lattice, and
#   the non-disclosing denial (GW-11).
package gateway_test

import data.gateway
import data.gateway.testkit_test as tk

_i2_ok := {
	"rule": "6103-I2-OK",
	"outcome": "ALLOW",
	"citation": "§6103(i)(2); Centro (D.C. Cir. 2026)",
	"message": "Disclosed under §6103(i)(2).",
}

_no_basis := {
	"rule": "6103-A",
	"outcome": "DENY",
	"citation": "§6103(a)",
	"message": "No statutory exception applies; return information is confidential.",
}

_uniform := {
	"rule": "GW-11",
	"outcome": "OBLIGATION",
	"citation": "§6103(b)(2)(A); IRM 11.3.21 (fact of filing is return information)",
	"message": "No disclosure can be made for this entry.",
}

_pen1 := {
	"rule": "PEN-1",
	"outcome": "TAG",
	"citation": "§7213(a)(1)–(2)",
	"message": "Willful unauthorized disclosure: felony exposure.",
}

_pen2 := {"rule": "PEN-2", "outcome": "TAG", "citation": "§7213A", "message": "Unauthorized inspection."}

_pen3 := {
	"rule": "PEN-3",
	"outcome": "TAG",
	"citation": "§7431(a), (b), (c)",
	"message": "Civil damages ≥ $1,000 per act; good-faith-interpretation defense.",
}

# The reason the gateway adds when an officer approves a subject is the policy's own text.
test_review_approval_reason_is_written_by_the_policy if {
	gateway.review_approved == {
		"rule": "REVIEW-APPROVED",
		"outcome": "ALLOW",
		"citation": "§6103(p)(3)(A); disclosure officer review",
		"message": "Approved by a disclosure officer after review.",
	}
}

# PEN tags: what is at stake when nothing is released and no record was inspected.
test_deny_pen_tags_absent_without_release_or_inspection if {
	request := tk.patched(tk.fbi_i2, [
		tk.set("/taxpayers/0/match", {"candidates": 0, "name_score": 0, "tin_match": null, "dob_match": null, "method": "TIN_NAME"}),
		tk.set("/taxpayers/0/record", {"tin": null, "address_tax_years": [], "last_known_tax_year": null}),
	])
	gateway.decision.penalties == [] with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
}

test_review_pen_tags_when_a_human_may_release if {
	request := tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/match/name_score", 0.9)])
	[p.rule | some p in gateway.decision.penalties] == ["PEN-1", "PEN-2", "PEN-3"] with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
}

test_allow_s06_whole_decision if {
	gateway.decision == {
		"outcome": "ALLOW",
		"reasons": [],
		"subjects": [{
			"ref": "TP-1001",
			"outcome": "ALLOW",
			"release_tax_year": 2024,
			"redacted": [],
			"findings": [_i2_ok],
			"reasons": [_i2_ok],
		}],
		"obligations": ["ACCOUNTING_RECORD"],
		"penalties": [_pen1, _pen2, _pen3],
	} with input as tk.with_facts(tk.fbi_i2) with data.registry.court_orders as tk.court_orders
}

test_deny_s10_whole_decision if {
	name_and_address := {
		"rule": "6103-I2-3",
		"outcome": "DENY",
		"citation": "§6103(i)(2)(B)(i); CTR v. IRS (26 Feb 2026)",
		"message": "Request does not set forth the taxpayer's name and address.",
	}
	gateway.decision == {
		"outcome": "DENY",
		"reasons": [],
		"subjects": [{
			"ref": "TP-1001",
			"outcome": "DENY",
			"release_tax_year": null,
			"redacted": ["LAST_KNOWN_ADDRESS"],
			"findings": [_no_basis, name_and_address, _uniform],
			"reasons": [_no_basis, name_and_address, _uniform],
		}],
		"obligations": ["ACCOUNTING_RECORD"],
		"penalties": [_pen2],
	} with input as tk.with_facts(tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/supplied/address", null)])) with data.registry.court_orders as tk.court_orders
}

test_deny_s02_whole_request_reasons if {
	reasons := gateway.decision.reasons with input as tk.with_facts(tk.ice_1253) with data.registry.court_orders as tk.court_orders
	[r.rule | some r in reasons] == ["6103-I2-2", "INJ-1", "INJ-4"]
	reasons[1].citation == "CTR v. IRS PI (21 Nov 2025); §6103(i)(2)(A) \"solely\""
	startswith(reasons[1].message, "Preliminary injunction and §705 stay (CTR v. IRS, D.D.C. Nov. 21, 2025): IRS may not disclose")
	reasons[2].message == "Preliminary injunction (CEDC v. Bessent, D. Mass. Feb. 5, 2026) enjoins implementation of the IRS–ICE MOU and related agreements."
}

# Both GW-2 rules fire: no valid signature, and no signer on file; each says which.
_undefined_input_reasons := ["6103-P4-1:D", "GW-1:D", "GW-2:D", "GW-2:D", "GW-4:D", "GW-5:D", "GW-6:D"]

# Adversarial: no input at all still yields a defined decision.
test_deny_gw1_undefined_input if {
	tk.summary(gateway.decision) == {
		"outcome": "DENY",
		"reasons": _undefined_input_reasons,
		"subjects": [],
		"obligations": ["ACCOUNTING_RECORD"],
	}
}

test_deny_gw1_inputs_that_are_not_requests if {
	every request in [{}, [], [1, 2], "request", 5, null, true] {
		tk.decide(request) == {
			"outcome": "DENY",
			"reasons": _undefined_input_reasons,
			"subjects": [],
			"obligations": ["ACCOUNTING_RECORD"],
		}
	}
}

test_deny_gw1_taxpayers_of_the_wrong_shape if {
	request := tk.patched(tk.fbi_i2, [tk.set("/taxpayers", [1, "x", null, {"ref": 5}, {}]), tk.set("/bulk_count", 5)])
	decision := tk.decide_small_batch(request)
	decision.outcome == "DENY"
	decision.reasons == ["GW-1:D"]
	every s in decision.subjects {
		s == tk.denied(
			null,
			["6103-A:D", "6103-I2-10:D", "6103-I2-3:D", "6103-I2-4:D", "6103-I2-6:D", "GW-11:OBL"],
			["6103-A:D", "6103-I2-3:D", "6103-I2-4:D", "6103-I2-6:D", "GW-11:OBL"],
		)
	}
	count(decision.subjects) == 5
}

test_deny_gw1_taxpayers_not_an_array if {
	decision := tk.decide(tk.patched(tk.fbi_i2, [tk.set("/taxpayers", {"TP-1001": tk.fbi_i2.taxpayers[0]})]))
	decision.outcome == "DENY"
	decision.subjects == []
	"GW-1:D" in decision.reasons
}

# GW-11: a person not in the datastore and people denied on datastore facts get byte-identical answers.
test_deny_gw11_not_found_and_denied_look_the_same if {
	not_found := gateway.decision with input as tk.with_facts(tk.patched(tk.fbi_i2, [
		tk.set("/taxpayers/0/match", {"candidates": 0, "name_score": 0, "tin_match": null, "dob_match": null, "method": "TIN_NAME"}),
		tk.set("/taxpayers/0/record", {"tin": null, "address_tax_years": [], "last_known_tax_year": null}),
	]))
		with data.registry.court_orders as tk.court_orders
	flagged := gateway.decision with input as tk.with_facts(tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/record_flags/confidential_informant", true)])) with data.registry.court_orders as tk.court_orders
	mismatch := gateway.decision with input as tk.with_facts(tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/match/tin_match", false)])) with data.registry.court_orders as tk.court_orders
	every d in [flagged, mismatch] {
		object.remove(d.subjects[0], ["findings"]) == object.remove(not_found.subjects[0], ["findings"])

		# penalties, like findings, name datastore facts and go to the audit log only
		object.remove(d, ["subjects", "penalties"]) == object.remove(not_found, ["subjects", "penalties"])
	}
	not_found.subjects[0].reasons == [_uniform]
}

test_deny_gw11_not_found_under_order_looks_like_uncovered_record if {
	not_found := gateway.decision with input as tk.with_facts(tk.patched(tk.fbi_i1, [
		tk.set("/taxpayers/0/match", {"candidates": 0, "name_score": 0, "tin_match": null, "dob_match": null, "method": "TIN_NAME"}),
		tk.set("/taxpayers/0/record", {"tin": null, "address_tax_years": [], "last_known_tax_year": null}),
	]))
		with data.registry.court_orders as tk.court_orders
	old_address := gateway.decision with input as tk.with_facts(tk.patched(tk.fbi_i1, [
		tk.set("/taxpayers/0/record/address_tax_years", [2024]),
		tk.set("/court_order/covered_taxable_periods", [2023]),
	]))
		with data.registry.court_orders as tk.court_orders
	object.remove(old_address.subjects[0], ["findings"]) == object.remove(not_found.subjects[0], ["findings"])
	not_found.subjects[0].reasons == [_uniform]
}

# Combination: subjects are decided one by one; the request takes the most restrictive outcome.
test_deny_request_outcome_is_most_restrictive if {
	second := json.patch(tk.fbi_i2.taxpayers[0], [
		tk.set("/ref", "TP-1002"),
		tk.set("/supplied/tin", "123-45-6780"),
		tk.set("/specific_reason", "Rented the storage unit where the stolen cash was found on 14 February 2026."),
		tk.set("/taxable_periods", "ALL"),
	])
	third := json.patch(tk.fbi_i2.taxpayers[0], [
		tk.set("/ref", "TP-1003"),
		tk.set("/supplied/tin", "123-45-6781"),
		tk.set("/specific_reason", "Paid the getaway driver by wire on 12 February 2026."),
		tk.set("/match/candidates", 2),
	])
	decision := tk.decide_small_batch(tk.with_taxpayers(tk.fbi_i2, [tk.fbi_i2.taxpayers[0], second, third]))
	decision == tk.expect("DENY", [], [
		tk.subject("TP-1001", "ALLOW", 2024, [], ["6103-I2-OK:A"], ["6103-I2-OK:A"]),
		tk.denied("TP-1002", ["6103-A:D", "6103-I2-4:D", "GW-11:OBL"], ["6103-A:D", "6103-I2-4:D", "GW-11:OBL"]),
		tk.subject("TP-1003", "REQUIRE_HUMAN_REVIEW", 2024, [], ["6103-I2-10b:HR"], []),
	])
}

test_review_request_outcome_review_over_redaction if {
	second := json.patch(tk.fbi_i2.taxpayers[0], [
		tk.set("/ref", "TP-1002"),
		tk.set("/supplied/tin", "123-45-6780"),
		tk.set("/specific_reason", "Paid the getaway driver by wire on 12 February 2026."),
		tk.set("/match/candidates", 2),
	])
	request := tk.patched(tk.with_taxpayers(tk.fbi_i2, [tk.fbi_i2.taxpayers[0], second]), [
		tk.set("/requested_fields", ["LAST_KNOWN_ADDRESS", "TIN"]),
	])
	decision := tk.decide_small_batch(request)
	decision.outcome == "REQUIRE_HUMAN_REVIEW"
	[s.outcome | some s in decision.subjects] == ["ALLOW_WITH_REDACTION", "REQUIRE_HUMAN_REVIEW"]
	decision.subjects[1].reasons == ["6103-I2-9b:AWR", "GW-8:AWR"]
}

test_deny_no_basis_for_unimplemented_paragraph if {
	agencies := json.patch(data.registry.agencies, [tk.set("/DOJ-FBI/eligible_bases", ["6103_l_6"])])
	decision := tk.decide(tk.patched(tk.fbi_i2, [tk.set("/legal_basis", "6103_l_6")])) with data.registry.agencies as agencies
	decision == tk.expect("DENY", [], [tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])])
}
