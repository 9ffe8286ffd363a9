# METADATA
# title: Tests of the §6103(i)(2) rules
package gateway.rules.i2_test

import data.gateway.testkit_test as tk

# Subject of a request denied by a request-level 6103-I2 rule.
_family_denied := [tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])]

# Subject denied by a per-subject 6103-I2 rule.
_subject_denied(code) := [tk.denied("TP-1001", ["6103-A:D", code, "GW-11:OBL"], ["6103-A:D", code, "GW-11:OBL"])]

_allowed := [tk.subject("TP-1001", "ALLOW", 2024, [], ["6103-I2-OK:A"], ["6103-I2-OK:A"])]

_review := [tk.subject("TP-1001", "REQUIRE_HUMAN_REVIEW", 2024, [], [], [])]

_with_address(address) := tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/supplied/address", address)])

_address := tk.fbi_i2.taxpayers[0].supplied.address

test_deny_i2_1_not_written if {
	request := tk.patched(tk.fbi_i2, [tk.set("/written_request", false)])
	tk.decide(request) == tk.expect("DENY", ["6103-I2-1:D"], _family_denied)
}

test_deny_i2_2_special_agent_in_charge if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requester/signer", tk.signer("fbi-sac-baltimore"))])
	tk.decide(request) == tk.expect("DENY", ["6103-I2-2:D"], _family_denied)
}

test_review_i2_2_acting_director if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requester/signer", tk.signer("fbi-acting-director"))])
	tk.decide(request) == tk.expect("REQUIRE_HUMAN_REVIEW", ["6103-I2-2:HR"], _review)
}

test_review_i2_2_designee if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requester/signer", tk.signer("fbi-designee"))])
	tk.decide(request) == tk.expect("REQUIRE_HUMAN_REVIEW", ["6103-I2-2:HR"], _review)
}

test_allow_i2_2_us_attorney if {
	request := tk.as_agency(tk.fbi_i2, "DOJ-USAO", "usao-md-us-attorney")
	tk.decide(request) == tk.expect("ALLOW", [], _allowed)
}

test_review_i2_2_agency_head_dhs_non_immigration if {
	request := tk.patched(tk.as_agency(tk.fbi_i2, "DHS-CBP", "dhs-secretary"), [
		tk.set("/requester/recipients", tk.recipients("DHS", [3])),
	])
	tk.decide(request) == tk.expect("REQUIRE_HUMAN_REVIEW", ["INJ-2:HR"], _review)
}

test_deny_i2_3_every_placeholder if {
	every placeholder in data.params.ADDRESS_PLACEHOLDERS {
		every part in ["line1", "city", "state"] {
			request := _with_address(object.union(_address, {part: placeholder}))
			tk.decide(request) == tk.expect("DENY", [], _subject_denied("6103-I2-3:D"))
		}
	}
}

# Adversarial look-alike: placeholder with the ZIP run into line1, curly apostrophe, lower case.
test_deny_i2_3_placeholder_look_alikes if {
	every placeholder in data.params.ADDRESS_PLACEHOLDERS {
		every line1 in [
			sprintf("%s 12345", [placeholder]),
			replace(upper(placeholder), "'", "’"),
			sprintf("%s.", [lower(placeholder)]),
		] {
			request := _with_address(object.union(_address, {"line1": line1, "zip": "12345"}))
			tk.decide(request) == tk.expect("DENY", [], _subject_denied("6103-I2-3:D"))
		}
	}
}

test_deny_i2_3_zip_only if {
	request := _with_address({"line1": "", "line2": null, "city": "", "state": "", "zip": "21201"})
	tk.decide(request) == tk.expect("DENY", [], _subject_denied("6103-I2-3:D"))
}

test_deny_i2_3_invalid_zip if {
	every zip in data.params.ZIP_INVALID {
		every written in [zip, sprintf("%s-1234", [zip])] {
			tk.decide(_with_address(object.union(_address, {"zip": written}))) == tk.expect("DENY", [], _subject_denied("6103-I2-3:D"))
		}
	}
}

test_deny_i2_3_incomplete_addresses if {
	every changes in [
		{"line1": "1420"},
		{"city": " "},
		{"zip": "2120"},
		{"zip": 21201},
	] {
		tk.decide(_with_address(object.union(_address, changes))) == tk.expect("DENY", [], _subject_denied("6103-I2-3:D"))
	}
}

test_deny_i2_3_name_missing if {
	every name in [null, {"first": "Jordan", "middle": null, "last": ""}, {"first": " ", "middle": null, "last": "Rivera"}] {
		request := tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/supplied/name", name)])
		tk.decide(request) == tk.expect("DENY", [], _subject_denied("6103-I2-3:D"))
	}
}

test_allow_i2_3_zip_plus_four if {
	tk.decide(_with_address(object.union(_address, {"zip": "21201-3402"}))) == tk.expect("ALLOW", [], _allowed)
}

test_deny_i2_4_periods_not_specified if {
	every periods in ["ALL", [], [2023.5], ["2023"]] {
		request := tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/taxable_periods", periods)])
		tk.decide(request) == tk.expect("DENY", [], _subject_denied("6103-I2-4:D"))
	}
}

test_deny_i2_5_no_statute if {
	every statutes in [[], [" "]] {
		request := tk.patched(tk.fbi_i2, [tk.set("/purpose/statutes_cited", statutes)])
		tk.decide(request) == tk.expect("DENY", ["6103-I2-5:D"], _family_denied)
	}
}

# An unknown statute is a question for a person, not a finding that the matter is not criminal.
test_review_gw13_unknown_statute_is_not_called_non_criminal if {
	every statute in ["18 U.S.C. 9999", "Criminal Code of Ruritania art. 5"] {
		request := tk.patched(tk.fbi_i2, [tk.set("/purpose/statutes_cited", [statute])])
		tk.decide(request) == tk.expect(
			"REQUIRE_HUMAN_REVIEW", ["GW-13:HR"],
			[tk.subject("TP-1001", "REQUIRE_HUMAN_REVIEW", 2024, [], [], [])],
		)
	}
}

# A known non-criminal statute beside an unknown one: still not called non-criminal.
test_review_gw13_unknown_beside_non_criminal_statute if {
	request := tk.patched(tk.fbi_i2, [tk.set("/purpose/statutes_cited", ["26 U.S.C. 7201", "18 U.S.C. 9999"])])
	tk.decide(request).reasons == ["GW-13:HR"]
}

test_allow_i2_5b_tax_and_nontax_statutes if {
	request := tk.patched(tk.fbi_i2, [tk.set("/purpose/statutes_cited", ["26 U.S.C. 7201", "18 U.S.C. 1343"])])
	tk.decide(request) == tk.expect("ALLOW", [], _allowed)
}

_usao_1253(order_date) := tk.patched(tk.as_agency(tk.ice_1253, "DOJ-USAO", "usao-md-us-attorney"), [
	tk.set("/invokes_irs_dhs_mou", false),
	tk.set("/requester/recipients", tk.recipients("DOJ", [4])),
	tk.set("/taxpayers/0/supplied/final_removal_order_date", order_date),
])

test_review_i2_5c_removal_period_elapsed if {
	tk.decide(_usao_1253("2024-03-01")) == tk.expect(
		"REQUIRE_HUMAN_REVIEW", ["INJ-5:HR"],
		[tk.subject("TP-4004", "REQUIRE_HUMAN_REVIEW", 2024, [], [], [])],
	)
}

test_deny_i2_5c_removal_order_too_recent if {
	every order_date in ["2026-02-09", "2025-12-03", null, "2026-02-31"] {
		tk.decide(_usao_1253(order_date)) == tk.expect(
			"DENY", ["INJ-5:HR"],
			[tk.denied("TP-4004", ["6103-A:D", "6103-I2-5c:D", "GW-11:OBL"], ["6103-A:D", "6103-I2-5c:D", "GW-11:OBL"])],
		)
	}
}

# The 90th day after the order ends at 2025-12-02T00:00Z (19:00 the day before in New York).
test_review_i2_5c_boundary if {
	request := tk.patched(_usao_1253("2025-09-03"), [tk.set("/decision_time", "2025-12-01T19:00:00-05:00")])
	tk.decide(request).subjects[0].outcome == "REQUIRE_HUMAN_REVIEW"
	early := tk.patched(_usao_1253("2025-09-03"), [tk.set("/decision_time", "2025-12-01T18:59:59-05:00")])
	tk.decide(early).subjects[0].outcome == "DENY"
}

test_deny_i2_6_blank_reason if {
	request := tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/specific_reason", "   ")])
	tk.decide(request) == tk.expect("DENY", [], _subject_denied("6103-I2-6:D"))
}

# Adversarial look-alike: boilerplate differing only in case, spacing and punctuation.
test_review_i2_6_boilerplate if {
	second := json.patch(tk.fbi_i2.taxpayers[0], [
		tk.set("/ref", "TP-1002"),
		tk.set("/supplied/tin", "123-45-6780"),
		tk.set("/specific_reason", "  REGISTERED owner of the getaway vehicle (Maryland plate 4XK-219) seen leaving the robbed branch on 11 February 2026; identified from bank camera footage. Current address needed to locate the suspect for arrest"),
	])
	decision := tk.decide_small_batch(tk.with_taxpayers(tk.fbi_i2, [tk.fbi_i2.taxpayers[0], second]))
	decision == tk.expect("REQUIRE_HUMAN_REVIEW", [], [
		tk.subject("TP-1001", "REQUIRE_HUMAN_REVIEW", 2024, [], ["6103-I2-6:HR"], ["6103-I2-6:HR"]),
		tk.subject("TP-1002", "REQUIRE_HUMAN_REVIEW", 2024, [], ["6103-I2-6:HR"], ["6103-I2-6:HR"]),
	])
}

test_deny_i2_7_recipients if {
	recipient := tk.fbi_i2.requester.recipients[0]
	every recipients in [
		[],
		[object.union(recipient, {"is_employee": false})],
		[object.union(recipient, {"employer_agency": "DHS"})],
		[object.union(recipient, {"personally_directly_engaged": false})],
		[object.union(recipient, {"attested_open_caseload": data.params.CASELOAD_DENY + 1})],
	] {
		request := tk.patched(tk.fbi_i2, [tk.set("/requester/recipients", recipients)])
		decision := tk.decide(request)
		decision.outcome == "DENY"
		"6103-I2-7:D" in decision.reasons
	}
}

test_review_i2_7b_caseload if {
	every caseload in [data.params.CASELOAD_REVIEW + 1, data.params.CASELOAD_DENY] {
		request := tk.patched(tk.fbi_i2, [tk.set("/requester/recipients/1/attested_open_caseload", caseload)])
		tk.decide(request) == tk.expect("REQUIRE_HUMAN_REVIEW", ["6103-I2-7b:HR"], _review)
	}
}

test_allow_i2_7b_caseload_at_review_threshold if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requester/recipients/1/attested_open_caseload", data.params.CASELOAD_REVIEW)])
	tk.decide(request) == tk.expect("ALLOW", [], _allowed)
}

test_deny_i2_8_not_solely_criminal if {
	every ops in [
		[tk.set("/purpose/enforcement_nature", "MIXED")],
		[tk.set("/purpose/downstream_civil_use", true)],
		[tk.set("/purpose/onward_sharing_to", ["USAO"])],
		[tk.set("/purpose/category", "CIVIL_IMMIGRATION_ENFORCEMENT")],
		[tk.set("/purpose/category", "STATE_TAX_ADMIN")],
	] {
		decision := tk.decide(tk.patched(tk.fbi_i2, ops))
		decision.outcome == "DENY"
		"6103-I2-8:D" in decision.reasons
	}
}

test_allow_i2_9_taxpayer_return_information_withheld if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requested_fields", ["LAST_KNOWN_ADDRESS", "DOB", "W7_DATA"])])
	findings := ["6103-I2-9:AWR", "6103-I2-OK:A", "GW-8:AWR"]
	tk.decide(request) == tk.expect(
		"ALLOW_WITH_REDACTION", [],
		[tk.subject("TP-1001", "ALLOW_WITH_REDACTION", 2024, ["DOB", "W7_DATA"], findings, findings)],
	)
}

test_allow_i2_9b_identity_and_payor_withheld if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requested_fields", ["LAST_KNOWN_ADDRESS", "EMPLOYER_PAYOR", "AUDIT_STATUS"])])
	findings := ["6103-I2-9b:AWR", "6103-I2-OK:A", "GW-8:AWR"]
	tk.decide(request) == tk.expect(
		"ALLOW_WITH_REDACTION", [],
		[tk.subject("TP-1001", "ALLOW_WITH_REDACTION", 2024, ["AUDIT_STATUS", "EMPLOYER_PAYOR"], findings, findings)],
	)
}

test_allow_i2_ok_release_year_is_last_known if {
	request := tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/record", {"tin": null, "address_tax_years": [2025, 2024], "last_known_tax_year": 2025})])
	tk.decide(request).subjects[0].release_tax_year == 2025
}

test_allow_i2_ok_no_address_on_file if {
	request := tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/record", {"tin": null, "address_tax_years": [], "last_known_tax_year": null})])
	tk.decide(request) == tk.expect("ALLOW", [], [tk.subject("TP-1001", "ALLOW", null, [], ["6103-I2-OK:A"], ["6103-I2-OK:A"])])
}
