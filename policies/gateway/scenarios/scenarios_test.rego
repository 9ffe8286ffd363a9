# METADATA
# title: Scenarios S01–S34 of POLICY_MODEL.md §4.2
# description: >-
#   One test per scenario; each asserts the whole decision through
#   testkit.summary(): request outcome, request reasons, every subject's
#   outcome, release year, redactions, findings and reasons (rule id and
#   outcome), and the obligations. Decision time 2026-03-02T15:00:00-05:00
#   unless the scenario says otherwise.
package gateway.scenarios_test

import data.gateway
import data.gateway.testkit_test as tk

# S01: ICE civil removal request.
test_deny_s01_ice_civil_removal if {
	request := tk.patched(tk.ice_1253, [
		tk.set("/purpose/category", "CIVIL_IMMIGRATION_ENFORCEMENT"),
		tk.set("/purpose/enforcement_nature", "CIVIL"),
		tk.set("/purpose/statutes_cited", ["8 U.S.C. 1227", "8 U.S.C. 1231"]),
		tk.set("/taxpayers/0/specific_reason", "locate for removal"),
	])
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		["6103-I2-2:HR", "6103-I2-5b:D", "6103-I2-8:D", "INJ-1:D", "INJ-4:D"],
		[tk.denied("TP-4004", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
}

# S02: ICE §1253(a)(1), facially complete, after the injunctions (§4.4).
test_deny_s02_ice_1253_enjoined if {
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		["6103-I2-2:HR", "INJ-1:D", "INJ-4:D"],
		[tk.denied("TP-4004", ["GW-11:OBL"], ["GW-11:OBL"])],
	) with input as tk.with_facts(tk.ice_1253) with data.registry.court_orders as tk.court_orders
}

# S02 with both injunctions vacated: 6103-I2-2 and DHS-IMM-REVIEW send it to review (§4.4 point 5).
test_review_s02_ice_1253_injunctions_vacated if {
	tk.summary(gateway.decision) == tk.expect(
		"REQUIRE_HUMAN_REVIEW",
		["6103-I2-2:HR", "DHS-IMM-REVIEW:HR", "INJ-6:A", "INJ-6:A"],
		[tk.subject("TP-4004", "REQUIRE_HUMAN_REVIEW", 2024, [], [], [])],
	) with input as tk.with_facts(tk.ice_1253) with data.registry.court_orders as tk.court_orders
		with data.registry.court_orders as tk.vacated(["CTR-PI", "CEDC-PI"], "2026-03-01T12:00:00-05:00")
}

# S03: valid (i)(1) order.
test_allow_s03_fbi_i1_order if {
	tk.summary(gateway.decision) == tk.expect(
		"ALLOW",
		[],
		[tk.subject("TP-2002", "ALLOW", 2024, [], ["6103-I1-OK:A"], ["6103-I1-OK:A"])],
	) with input as tk.with_facts(tk.fbi_i1) with data.registry.court_orders as tk.court_orders
}

# S04: order expired before decision time.
test_deny_s04_order_expired if {
	request := tk.patched(tk.fbi_i1, [
		tk.set("/court_order/expires_at", "2026-01-31T23:59:59-05:00"),
		tk.set("/decision_time", "2026-02-15T15:00:00-05:00"),
	])
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		["6103-I1-4:D"],
		[tk.denied("TP-2002", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
}

# S05: taxpayer not covered by the order.
test_deny_s05_taxpayer_not_covered if {
	request := tk.patched(tk.fbi_i1, [tk.set("/taxpayers/0", tk.taxpayer(tk.fbi_i1, [
		tk.set("/ref", "TP-3003"),
		tk.set("/supplied/tin", "345-67-8901"),
		tk.set("/supplied/name", {"first": "Morgan", "middle": null, "last": "Ellis"}),
		tk.set("/record/tin", "345-67-8901"),
	]))])
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		[],
		# two 6103-I1-5 rules: the supplied TIN (shown) and the matched record's TIN (audit only)
		[tk.denied("TP-3003", ["6103-A:D", "6103-I1-5:D", "6103-I1-5:D", "GW-11:OBL"], ["6103-A:D", "6103-I1-5:D", "GW-11:OBL"])],
	) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
}

# S06: valid (i)(2) request.
test_allow_s06_fbi_i2 if {
	tk.summary(gateway.decision) == tk.expect(
		"ALLOW",
		[],
		[tk.subject("TP-1001", "ALLOW", 2024, [], ["6103-I2-OK:A"], ["6103-I2-OK:A"])],
	) with input as tk.with_facts(tk.fbi_i2) with data.registry.court_orders as tk.court_orders
}

# S07: taxable periods "ALL".
test_deny_s07_periods_all if {
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		[],
		[tk.denied("TP-1001", ["6103-A:D", "6103-I2-4:D", "GW-11:OBL"], ["6103-A:D", "6103-I2-4:D", "GW-11:OBL"])],
	) with input as tk.with_facts(tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/taxable_periods", "ALL")])) with data.registry.court_orders as tk.court_orders
}

# S08: no specific reason.
test_deny_s08_no_reason if {
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		[],
		[tk.denied("TP-1001", ["6103-A:D", "6103-I2-6:D", "GW-11:OBL"], ["6103-A:D", "6103-I2-6:D", "GW-11:OBL"])],
	) with input as tk.with_facts(tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/specific_reason", "")])) with data.registry.court_orders as tk.court_orders
}

# S09: no statute cited.
test_deny_s09_no_statute if {
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		["6103-I2-5:D"],
		[tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	) with input as tk.with_facts(tk.patched(tk.fbi_i2, [tk.set("/purpose/statutes_cited", [])])) with data.registry.court_orders as tk.court_orders
}

# S10: name and SSN only, no address (CTR, 26 Feb 2026).
test_deny_s10_no_address if {
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		[],
		[tk.denied("TP-1001", ["6103-A:D", "6103-I2-3:D", "GW-11:OBL"], ["6103-A:D", "6103-I2-3:D", "GW-11:OBL"])],
	) with input as tk.with_facts(tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/supplied/address", null)])) with data.registry.court_orders as tk.court_orders
}

# S11: signed by a Special Agent in Charge.
test_deny_s11_sac_signer if {
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		["6103-I2-2:D"],
		[tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	) with input as tk.with_facts(tk.patched(tk.fbi_i2, [tk.set("/requester/signer", tk.signer("fbi-sac-baltimore"))])) with data.registry.court_orders as tk.court_orders
}

# S12: DEA Administrator, 21 U.S.C. 841(a).
test_allow_s12_dea_administrator if {
	request := tk.patched(tk.as_agency(tk.fbi_i2, "DOJ-DEA", "dea-administrator"), [
		tk.set("/purpose/statutes_cited", ["21 U.S.C. 841(a)"]),
	])
	tk.summary(gateway.decision) == tk.expect(
		"ALLOW",
		[],
		[tk.subject("TP-1001", "ALLOW", 2024, [], ["6103-I2-OK:A"], ["6103-I2-OK:A"])],
	) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
}

# The bulk scenarios' batch: BULK_DENY_MIN taxpayers, the operator's threshold, which is all
# the rules look at. §4.2 has 1,200 (S13), 50,000 (S17) and 1.28 M (S20); the tests stay
# small because `opa test -v` traces every evaluation step, about 5 ms per subject.
_bulk := data.params.BULK_DENY_MIN

# S13: bulk request, identical reasons, one case number, one recipient with a caseload above
# CASELOAD_DENY (1,200 in §4.2).
test_deny_s13_bulk_boilerplate if {
	request := tk.patched(tk.with_taxpayers(tk.fbi_i2, tk.batch(tk.fbi_i2, _bulk, "Associated with the investigation.")), [
		tk.set("/requester/recipients", tk.recipients("DOJ", [data.params.CASELOAD_DENY + 200])),
	])
	decision := tk.summary(gateway.decision) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
	decision.outcome == "DENY"
	decision.reasons == ["6103-I2-7:D", "GW-9a:HR", "GW-9b:D"]
	count(decision.subjects) == _bulk
	every k, s in decision.subjects {
		s == tk.denied(
			sprintf("TP-%06d", [k + 1]),
			["6103-A:D", "6103-I2-6:HR", "GW-11:OBL"], ["6103-A:D", "6103-I2-6:HR", "GW-11:OBL"],
		)
	}
}

# S14: weak name match, no TIN: uniform text, nothing from the datastore shown.
test_deny_s14_weak_match if {
	request := tk.patched(tk.fbi_i2, [
		tk.set("/taxpayers/0/supplied/tin", null),
		tk.set("/taxpayers/0/match", {"candidates": 1, "name_score": 0.62, "tin_match": null, "dob_match": null, "method": "NAME_DOB_ADDRESS"}),
	])
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		[],
		[tk.denied("TP-1001", ["6103-I2-10:D", "GW-11:OBL"], ["GW-11:OBL"])],
	) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
}

# S15: extra fields requested: address only, the rest withheld.
test_allow_s15_redaction if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requested_fields", ["LAST_KNOWN_ADDRESS", "TIN", "INCOME", "FILING_STATUS", "BANK_ACCOUNT"])])
	findings := ["6103-I2-9:AWR", "6103-I2-9b:AWR", "6103-I2-OK:A", "GW-8:AWR"]
	tk.summary(gateway.decision) == tk.expect(
		"ALLOW_WITH_REDACTION",
		[],
		[tk.subject("TP-1001", "ALLOW_WITH_REDACTION", 2024, ["BANK_ACCOUNT", "FILING_STATUS", "INCOME", "TIN"], findings, findings)],
	) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
}

# S16: California Franchise Tax Board under (d).
test_allow_s16_state_tax_agency if {
	tk.summary(gateway.decision) == tk.expect(
		"ALLOW",
		[],
		[tk.subject("TP-1001", "ALLOW", 2024, [], ["6103-D-1:A"], ["6103-D-1:A"])],
	) with input as tk.with_facts(tk.ca_ftb) with data.registry.court_orders as tk.court_orders
}

# S17: DOGE bulk request without a basis (50,000 taxpayers in §4.2, BULK_DENY_MIN here).
test_deny_s17_doge_bulk if {
	request := tk.patched(tk.with_taxpayers(tk.as_agency(tk.fbi_i2, "DOGE", "doge-administrator"), tk.batch(tk.fbi_i2, _bulk, "Data integrity review.")), [
		tk.set("/legal_basis", "NONE"),
		tk.set("/purpose/category", "OTHER"),
		tk.set("/purpose/enforcement_nature", "UNKNOWN"),
		tk.set("/purpose/statutes_cited", []),
		tk.set("/purpose/case_or_proceeding_no", null),
		tk.set("/requester/recipients", tk.recipients("UNKNOWN", [50000])),
	])
	decision := tk.summary(gateway.decision) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
	decision.outcome == "DENY"
	decision.reasons == ["6103-P4-1:D", "GW-14:HR", "GW-4:D", "GW-5:D", "GW-6:D", "GW-9a:HR", "GW-9b:D"]
	count(decision.subjects) == _bulk
	every s in decision.subjects {
		s.outcome == "DENY"
		s.findings == ["6103-A:D", "GW-11:OBL"]
		s.reasons == ["6103-A:D", "GW-11:OBL"]
	}
}

# S18: replay of S06 ten minutes later.
test_deny_s18_replay if {
	request := tk.patched(tk.fbi_i2, [
		tk.set("/replay", {"request_id_seen": true, "nonce_seen": true}),
		tk.set("/decision_time", "2026-03-02T15:10:00-05:00"),
	])
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		["GW-3:D"],
		[tk.denied("TP-1001", ["GW-11:OBL"], ["GW-11:OBL"])],
	) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
}

# S19: invalid signature.
test_deny_s19_bad_signature if {
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		["GW-2:D"],
		[tk.denied("TP-1001", ["GW-11:OBL"], ["GW-11:OBL"])],
	) with input as tk.with_facts(tk.patched(tk.fbi_i2, [tk.set("/signature_valid", false)])) with data.registry.court_orders as tk.court_orders
}

# S20: the August 2025 ICE bulk request, replayed at 2025-08-06 (1.28 M entries in §4.2,
# BULK_DENY_MIN here; nine in ten with ZIP-only or placeholder addresses).
test_deny_s20_historical_ice_bulk if {
	entries := [e |
		some k, t in tk.batch(tk.ice_1253, _bulk, "Subject of a final order of removal.")
		e := tk.s20_address(k, t)
	]
	request := tk.patched(tk.with_taxpayers(tk.ice_1253, entries), [
		tk.set("/decision_time", "2025-08-06T10:00:00-04:00"),
		tk.set("/requester/recipients", [{
			"name": "Assistant Director, Enforcement", "title": "Assistant Director",
			"employer_agency": "DHS", "is_employee": true, "personally_directly_engaged": true,
			"attested_open_caseload": 1280000,
		}]),
	])
	decision := tk.summary(gateway.decision) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
	decision.outcome == "DENY"
	decision.reasons == ["6103-I2-2:HR", "6103-I2-7:D", "DHS-IMM-REVIEW:HR", "GW-9a:HR", "GW-9b:D"]
	count(decision.subjects) == _bulk
	every k, s in decision.subjects {
		s.outcome == "DENY"
		s.findings == _s20_findings(k)
		s.reasons == _s20_findings(k)
	}
}

# Findings of the k-th S20 entry: one in ten has a complete address.
_s20_findings(k) := ["6103-A:D", "6103-I2-6:HR", "GW-11:OBL"] if {
	k % 10 == 0
} else := ["6103-A:D", "6103-I2-3:D", "6103-I2-6:HR", "GW-11:OBL"]

# S21: Department of Education under (m)(4).
test_allow_s21_education_m4 if {
	tk.summary(gateway.decision) == tk.expect(
		"ALLOW",
		[],
		[tk.subject("TP-1001", "ALLOW", 2024, [], ["6103-M4-1:A"], ["6103-M4-1:A"])],
	) with input as tk.with_facts(tk.ed_m4) with data.registry.court_orders as tk.court_orders
}

# S22: Bureau of the Fiscal Service under (m)(2), income requested too.
test_allow_s22_fiscal_service_m2 if {
	findings := ["6103-M2-1:A", "GW-8:AWR"]
	tk.summary(gateway.decision) == tk.expect(
		"ALLOW_WITH_REDACTION",
		[],
		[tk.subject("TP-1001", "ALLOW_WITH_REDACTION", 2024, ["INCOME"], findings, findings)],
	) with input as tk.with_facts(tk.bfs_m2) with data.registry.court_orders as tk.court_orders
}

# S23: SSA under (m)(7).
test_allow_s23_ssa_m7 if {
	tk.summary(gateway.decision) == tk.expect(
		"ALLOW",
		[],
		[tk.subject("TP-1001", "ALLOW", 2024, [], ["6103-M7-1:A"], ["6103-M7-1:A"])],
	) with input as tk.with_facts(tk.ssa_m7) with data.registry.court_orders as tk.court_orders
}

# S24: U.S. Marshals Service under an (i)(5) order.
test_allow_s24_marshals_i5 if {
	tk.summary(gateway.decision) == tk.expect(
		"ALLOW",
		[],
		[tk.subject("TP-2002", "ALLOW", 2024, [], ["6103-I5-1:A"], ["6103-I5-1:A"])],
	) with input as tk.with_facts(tk.usms_i5) with data.registry.court_orders as tk.court_orders
}

# S25: a new federal office without safeguards.
test_deny_s25_no_safeguards if {
	request := tk.patched(tk.as_agency(tk.fbi_i2, "OPM-NEWOFFICE", "opm-newoffice-director"), [
		tk.set("/requester/recipients", tk.recipients("OTHER_FEDERAL", [3])),
	])
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		["6103-P4-1:D", "GW-6:D"],
		[tk.denied("TP-1001", ["GW-11:OBL"], ["GW-11:OBL"])],
	) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
}

# S26: (i)(3)(A) requested by the FBI.
test_deny_s26_i3a_requested if {
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		["6103-I3-1:D"],
		[tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	) with input as tk.with_facts(tk.patched(tk.fbi_i2, [tk.set("/legal_basis", "6103_i_3_A")])) with data.registry.court_orders as tk.court_orders
}

# S27: Baltimore City Police claiming (i)(2) for a burglary case.
test_deny_s27_local_police if {
	request := tk.patched(tk.as_agency(tk.fbi_i2, "BALT-PD", "balt-pd-commissioner"), [
		tk.set("/purpose/statutes_cited", ["Md. Code, Crim. Law 6-202"]),
		tk.set("/requester/recipients", tk.recipients("LOCAL_LE", [tk.plausible_caseload(12)])),
	])
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		["6103-I2-2:D", "6103-P4-1:D", "GW-13:HR", "GW-4:D", "GW-5:D", "GW-6:D"],
		[tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
}

# S28: tax evasion is a tax matter, not (i)(2).
test_deny_s28_tax_statute if {
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		["6103-I2-5b:D"],
		[tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	) with input as tk.with_facts(tk.patched(tk.fbi_i2, [tk.set("/purpose/statutes_cited", ["26 U.S.C. 7201"])])) with data.registry.court_orders as tk.court_orders
}

# S29: FBI request that would pass the address on to ICE ERO for removal.
test_deny_s29_onward_to_dhs if {
	request := tk.patched(tk.fbi_i2, [
		tk.set("/taxpayers/0/specific_reason", "Address will be provided to ICE ERO to effect removal."),
		tk.set("/purpose/downstream_civil_use", true),
		tk.set("/purpose/onward_sharing_to", ["DHS"]),
	])
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		["6103-I2-8:D", "INJ-1:D"],
		[tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
}

# S30: placeholder address ("Don't Care" in §4.2; here each of ADDRESS_PLACEHOLDERS), ZIP 12345.
test_deny_s30_placeholder_address if {
	every placeholder in data.params.ADDRESS_PLACEHOLDERS {
		request := tk.patched(tk.fbi_i2, [
			tk.set("/taxpayers/0/supplied/address", {"line1": placeholder, "line2": null, "city": "Baltimore", "state": "MD", "zip": "12345"}),
		])
		tk.summary(gateway.decision) == tk.expect(
			"DENY",
			[],
			[tk.denied("TP-1001", ["6103-A:D", "6103-I2-3:D", "GW-11:OBL"], ["6103-A:D", "6103-I2-3:D", "GW-11:OBL"])],
		) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
	}
}

# S31: Texas Comptroller sharing with State police for immigration cooperation.
test_deny_s31_state_onward_sharing if {
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		["6103-D-2:D"],
		[tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	) with input as tk.with_facts(tk.tx_cpa_onward) with data.registry.court_orders as tk.court_orders
}

# S32: CBP, 8 U.S.C. 1325(a), signed by the DHS Secretary.
test_deny_s32_cbp_improper_entry if {
	request := tk.patched(tk.as_agency(tk.ice_1253, "DHS-CBP", "dhs-secretary"), [
		tk.set("/invokes_irs_dhs_mou", false),
		tk.set("/purpose/statutes_cited", ["8 U.S.C. 1325(a)"]),
	])
	tk.summary(gateway.decision) == tk.expect(
		"DENY",
		["INJ-1:D", "INJ-4:D"],
		[tk.denied("TP-4004", ["GW-11:OBL"], ["GW-11:OBL"])],
	) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
}

# S33: (i)(1) order covering all return information; the gateway still releases the address only.
test_allow_s33_i1_all_return_info if {
	request := tk.patched(tk.fbi_i1, [
		tk.set("/court_order/covered_data", ["ALL_RETURN_INFO"]),
		tk.set("/requested_fields", ["LAST_KNOWN_ADDRESS", "INCOME", "DEPENDENTS"]),
	])
	findings := ["6103-I1-9:AWR", "6103-I1-OK:A", "GW-8:AWR"]
	tk.summary(gateway.decision) == tk.expect(
		"ALLOW_WITH_REDACTION",
		[],
		[tk.subject("TP-2002", "ALLOW_WITH_REDACTION", 2024, ["DEPENDENTS", "INCOME"], findings, findings)],
	) with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
}

# S34: terrorism request under (i)(7)(A).
test_review_s34_terrorism if {
	tk.summary(gateway.decision) == tk.expect(
		"REQUIRE_HUMAN_REVIEW",
		["6103-I7-1:HR"],
		[tk.subject("TP-1001", "REQUIRE_HUMAN_REVIEW", 2024, [], [], [])],
	) with input as tk.with_facts(tk.fbi_i7a) with data.registry.court_orders as tk.court_orders
}
