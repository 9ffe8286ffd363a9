# METADATA
# title: Tests of the gateway integrity rules (GW-1 to GW-10)
package gateway.rules.gw_test

import data.gateway.rules.gw
import data.gateway.testkit_test as tk

# A request whose only denials are request-level leaves the (i)(2) basis satisfied: GW-11 only.
_denied := [tk.denied("TP-1001", ["GW-11:OBL"], ["GW-11:OBL"])]

# GW-1: every one of these departs from the input contract.
_malformed := {
	"category in lower case": [tk.set("/purpose/category", "nontax_criminal")],
	"blank request id": [tk.set("/request_id", " ")],
	"no nonce": [{"op": "remove", "path": "/nonce"}],
	"decision time without offset": [tk.set("/decision_time", "2026-03-02T15:00:00")],
	"decision time that does not exist": [tk.set("/decision_time", "2026-02-30T15:00:00-05:00")],
	"no replay flags": [{"op": "remove", "path": "/replay"}],
	"incomplete duplicate_of": [tk.set("/duplicate_of", {"request_id": "X"})],
	"department in lower case": [tk.set("/requester/agency", "doj")],
	"unknown signer role": [tk.set("/requester/signer/role", "DIRECTOR")],
	"acting flag not boolean": [tk.set("/requester/signer/acting", "no")],
	"recipients not an array": [tk.set("/requester/recipients", {})],
	"caseload not an integer": [tk.set("/requester/recipients/0/attested_open_caseload", "3")],
	"basis as written in the API": [tk.set("/legal_basis", "6103(i)(2)")],
	"MOU flag null": [tk.set("/invokes_irs_dhs_mou", null)],
	"statutes as a string": [tk.set("/purpose/statutes_cited", "18 U.S.C. 2113(a)")],
	"onward sharing null": [tk.set("/purpose/onward_sharing_to", null)],
	"no downstream flag": [{"op": "remove", "path": "/purpose/downstream_civil_use"}],
	"claim reference a number": [tk.set("/purpose/claim_reference", 5)],
	"court order without its keys": [tk.set("/court_order", {"order_type": "EX_PARTE_6103_I_1"})],
	"order issued on a day that does not exist": [tk.set("/court_order", object.union(tk.fbi_i1.court_order, {"issued_at": "2026-02-30T10:00:00-05:00"}))],
	"order without its discrepancies": [tk.set("/court_order", object.remove(tk.fbi_i1.court_order, ["discrepancies"]))],
	"discrepancies as a string": [tk.set("/court_order", object.union(tk.fbi_i1.court_order, {"discrepancies": "judge"}))],
	"no taxpayers": [tk.set("/taxpayers", []), tk.set("/bulk_count", 0)],
	"taxpayer not an object": [tk.set("/taxpayers", [1])],
	"blank ref": [tk.set("/taxpayers/0/ref", "")],
	"match method in lower case": [tk.set("/taxpayers/0/match/method", "tin_name")],
	"flag as a string": [tk.set("/taxpayers/0/record_flags/confidential_informant", "false")],
	"tax year as a string": [tk.set("/taxpayers/0/record/last_known_tax_year", "2024")],
	"bulk count wrong": [tk.set("/bulk_count", 2)],
	"field in lower case": [tk.set("/requested_fields", ["last_known_address"])],
	"fields as a string": [tk.set("/requested_fields", "LAST_KNOWN_ADDRESS")],
	"no fields": [tk.set("/requested_fields", [])],
}

test_deny_gw1_each_malformed_input if {
	every name, ops in _malformed {
		name
		decision := tk.decide(tk.patched(tk.fbi_i2, ops))
		decision.outcome == "DENY"
		"GW-1:D" in decision.reasons
	}
}

test_allow_gw1_fixtures_are_well_formed if {
	every fixture in [tk.fbi_i2, tk.fbi_i1, tk.ice_1253] {
		count(gw.malformed) == 0 with input as tk.with_facts(fixture) with data.registry.court_orders as tk.court_orders
	}
}

# An input the PDP client validated against this very schema is not validated again; any
# other claim (another schema's digest, a guess, a flag) leaves OPA to validate it.
test_allow_gw1_schema_checked_by_the_client_is_trusted if {
	lower := tk.patched(tk.fbi_i2, [tk.set("/purpose/category", "nontax_criminal")])
	checked := object.union(tk.with_facts(lower), {"schema_checked": gw.schema_digest})
	count(gw.malformed) == 0 with input as checked with data.registry.court_orders as tk.court_orders
}

test_deny_gw1_schema_checked_against_another_schema if {
	lower := tk.with_facts(tk.patched(tk.fbi_i2, [tk.set("/purpose/category", "nontax_criminal")]))
	every claim in [crypto.sha256("{}"), true, "yes", null] {
		found := gw.malformed with input as object.union(lower, {"schema_checked": claim}) with data.registry.court_orders as tk.court_orders
		[m | some m in found; startswith(m, "purpose.category: ")] != []
	}
}

# After an edit of schema/input/data.json, put the digest this test prints in
# schema/digests/data.json (`opa eval -d policies 'crypto.sha256(json.marshal(data.schema.input))'`).
test_allow_gw1_schema_digest_is_of_the_loaded_schema if {
	actual := crypto.sha256(json.marshal(data.schema.input))
	print("digest of data.schema.input:", actual)
	gw.schema_digest == actual
	gw.schema_digest != crypto.sha256(json.marshal({}))
}

# Adversarial look-alike: the purpose category differs only in case.
test_deny_gw1_lower_case_category if {
	tk.decide(tk.patched(tk.fbi_i2, [tk.set("/purpose/category", "nontax_criminal")])) == tk.expect(
		"DENY", ["6103-I2-8:D", "GW-1:D"],
		[tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	)
}

# Adversarial: an empty field list is malformed, and nothing releasable was asked for.
test_deny_gw1_empty_requested_fields if {
	tk.decide(tk.patched(tk.fbi_i2, [tk.set("/requested_fields", [])])) == tk.expect(
		"DENY", ["GW-1:D"],
		[tk.denied("TP-1001", ["GW-11:OBL", "GW-8:D"], ["GW-11:OBL", "GW-8:D"])],
	)
}

# Adversarial: the same subject listed twice under two refs.
test_deny_gw1_subject_listed_twice if {
	twice := json.patch(tk.fbi_i2.taxpayers[0], [tk.set("/ref", "TP-1001-B")])
	decision := tk.decide_small_batch(tk.with_taxpayers(tk.fbi_i2, [tk.fbi_i2.taxpayers[0], twice]))
	decision == tk.expect("DENY", ["GW-1:D"], [
		tk.denied("TP-1001", ["6103-I2-6:HR", "GW-11:OBL"], ["6103-I2-6:HR", "GW-11:OBL"]),
		tk.denied("TP-1001-B", ["6103-I2-6:HR", "GW-11:OBL"], ["6103-I2-6:HR", "GW-11:OBL"]),
	])
	gw.malformed == {"taxpayers: a subject is listed twice"} with input as tk.with_facts(tk.with_taxpayers(tk.fbi_i2, [tk.fbi_i2.taxpayers[0], twice])) with data.registry.court_orders as tk.court_orders
}

test_deny_gw1_same_name_and_address_twice_without_tin if {
	no_tin := json.patch(tk.fbi_i2.taxpayers[0], [tk.set("/supplied/tin", null)])
	again := json.patch(no_tin, [tk.set("/ref", "TP-1001-B"), tk.set("/supplied/name/first", "JORDAN")])
	gw.malformed == {"taxpayers: a subject is listed twice"} with input as tk.with_facts(tk.with_taxpayers(tk.fbi_i2, [no_tin, again])) with data.registry.court_orders as tk.court_orders
}

test_deny_gw1_ref_used_twice if {
	other := json.patch(tk.fbi_i2.taxpayers[0], [tk.set("/supplied/tin", "987-65-4321")])
	gw.malformed == {"taxpayers: a ref is used twice"} with input as tk.with_facts(tk.with_taxpayers(tk.fbi_i2, [tk.fbi_i2.taxpayers[0], other])) with data.registry.court_orders as tk.court_orders
}

test_deny_gw2_signature_invalid if {
	tk.decide(tk.patched(tk.fbi_i2, [tk.set("/signature_valid", false)])) == tk.expect("DENY", ["GW-2:D"], _denied)
}

test_deny_gw2_signer_of_another_agency if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requester/signer", tk.signer("dea-administrator"))])
	tk.decide(request) == tk.expect("DENY", ["GW-2:D"], _denied)
}

test_deny_gw2_signer_role_not_on_file if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requester/signer/role", "AG")])
	tk.decide(request) == tk.expect("DENY", ["GW-2:D"], _denied)
}

test_deny_gw2_unregistered_official if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requester/signer/official_id", "fbi-director-2")])
	tk.decide(request) == tk.expect("DENY", ["GW-2:D"], _denied)
}

test_allow_gw2_department_head_signs_for_component if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requester/signer", tk.signer("dhs-secretary"))])
	count(gw.request_findings) == 0 with input as tk.with_facts(tk.as_agency(tk.ice_1253, "DHS-CBP", "dhs-secretary")) with data.registry.court_orders as tk.court_orders
	"GW-2:D" in tk.decide(request).reasons
}

test_deny_gw3_request_id_seen if {
	request := tk.patched(tk.fbi_i2, [tk.set("/replay/request_id_seen", true)])
	tk.decide(request) == tk.expect("DENY", ["GW-3:D"], _denied)
}

test_deny_gw3_nonce_seen if {
	request := tk.patched(tk.fbi_i2, [tk.set("/replay/nonce_seen", true)])
	tk.decide(request) == tk.expect("DENY", ["GW-3:D"], _denied)
}

# GW-3b: the earlier request of the same ask, with its status now.
_duplicate_of(status) := object.union(
	{"request_id": "FBI-BA-2026-0142-R0", "decided_at": "2026-03-02T09:12:00-05:00"},
	{"status": s | some s in [status]; s != null},
)

_gw3b_messages(status) := {f.message |
	request := tk.patched(tk.fbi_i2, [tk.set("/duplicate_of", _duplicate_of(status))])
	some f in gw.request_findings with input as tk.with_facts(request) with data.registry.court_orders as tk.court_orders
	f.rule == "GW-3b"
}

test_deny_gw3b_duplicate_whatever_the_status if {
	every status in ["allowed", "partially_allowed", "pending_review", "denied", null] {
		request := tk.patched(tk.fbi_i2, [tk.set("/duplicate_of", _duplicate_of(status))])
		tk.decide(request) == tk.expect("DENY", ["GW-3b:D"], _denied)
	}
}

test_deny_gw3b_already_disclosed if {
	every status in ["allowed", "partially_allowed"] {
		_gw3b_messages(status) == {"Already disclosed under request FBI-BA-2026-0142-R0 (answered at 2026-03-02T09:12:00-05:00); no second disclosure of the same information."}
	}
}

# The first request disclosed nothing yet: the message must not say it did.
test_deny_gw3b_already_pending if {
	_gw3b_messages("pending_review") == {"Already pending under request FBI-BA-2026-0142-R0 (received at 2026-03-02T09:12:00-05:00), which awaits a disclosure officer's review; its answer will come under that request."}
}

# Denied before, or a logged input from before the status was given: still a duplicate, fail closed.
test_deny_gw3b_repeat_of_a_denied_or_unknown_request if {
	every status in ["denied", null] {
		_gw3b_messages(status) == {"Repeats request FBI-BA-2026-0142-R0 (decided at 2026-03-02T09:12:00-05:00) unchanged; its answer stands."}
	}
}

# Adversarial: a status outside the schema is malformed (GW-1) and still a duplicate.
test_deny_gw3b_unknown_status_is_malformed if {
	request := tk.patched(tk.fbi_i2, [tk.set("/duplicate_of", _duplicate_of("disclosed"))])
	tk.decide(request).reasons == ["GW-1:D", "GW-3b:D"]
}

# Adversarial look-alike: a registered id with a suffix is not registered.
test_deny_gw4_agency_id_with_suffix if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requester/agency_id", "DOJ-FBI-X")])
	tk.decide(request) == tk.expect(
		"DENY", ["6103-I2-2:D", "6103-I2-7:D", "GW-2:D", "GW-4:D", "GW-5:D"],
		[tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	)
}

test_deny_gw4_ineligible_agency if {
	request := tk.patched(tk.as_agency(tk.fbi_i2, "BALT-PD", "balt-pd-commissioner"), [
		tk.set("/legal_basis", "NONE"),
		tk.set("/requester/recipients", tk.recipients("LOCAL_LE", [12])),
	])
	tk.decide(request) == tk.expect(
		"DENY", ["6103-P4-1:D", "GW-4:D", "GW-5:D", "GW-6:D"],
		[tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	)
}

test_deny_gw5_mou_is_not_a_statute if {
	request := tk.patched(tk.ice_1253, [tk.set("/legal_basis", "MOU_IRS_DHS_2025")])
	tk.decide(request) == tk.expect(
		"DENY", ["GW-5:D", "INJ-1:D", "INJ-4:D"],
		[tk.denied("TP-4004", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	)
}

test_deny_gw5_basis_not_eligible_for_agency if {
	request := tk.patched(tk.fbi_i2, [tk.set("/legal_basis", "6103_m_2")])
	decision := tk.decide(request)
	decision.outcome == "DENY"
	"GW-5:D" in decision.reasons
}

test_deny_gw6_safeguards_lapsed_as_presented if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requester/safeguards_status", "LAPSED")])
	tk.decide(request) == tk.expect("DENY", ["6103-P4-1:D", "GW-6:D"], _denied)
}

test_deny_gw6_safeguards_lapsed_on_file if {
	agencies := json.patch(data.registry.agencies, [tk.set("/DOJ-FBI/safeguards_status", "LAPSED")])
	decision := tk.decide(tk.fbi_i2) with data.registry.agencies as agencies
	decision == tk.expect("DENY", ["6103-P4-1:D", "GW-6:D"], _denied)
}

test_allow_gw8_other_fields_withheld if {
	request := tk.patched(tk.fbi_i1, [tk.set("/requested_fields", ["LAST_KNOWN_ADDRESS", "NAME"])])
	findings := ["6103-I1-9:AWR", "6103-I1-OK:A", "GW-8:AWR"]
	tk.decide(request) == tk.expect(
		"ALLOW_WITH_REDACTION", [],
		[tk.subject("TP-2002", "ALLOW_WITH_REDACTION", 2024, ["NAME"], findings, findings)],
	)
}

test_deny_gw8_address_not_requested if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requested_fields", ["DOB"])])
	tk.decide(request) == tk.expect("DENY", [], [tk.subject(
		"TP-1001", "DENY", null, ["DOB", "LAST_KNOWN_ADDRESS"],
		["6103-I2-9:AWR", "GW-11:OBL", "GW-8:D"], ["6103-I2-9:AWR", "GW-11:OBL", "GW-8:D"],
	)])
}

test_review_gw9a_batch_above_auto_threshold if {
	n := data.params.AUTO_BATCH_MAX + 1
	request := tk.with_taxpayers(tk.fbi_i2, tk.batch(tk.fbi_i2, n, "Seen on camera at the branch on %d February."))
	decision := tk.decide(request)
	decision.outcome == "REQUIRE_HUMAN_REVIEW"
	decision.reasons == ["GW-9a:HR"]
	every s in decision.subjects {
		s == tk.subject(s.ref, "REQUIRE_HUMAN_REVIEW", 2024, [], [], [])
	}
}

test_allow_gw9a_batch_at_auto_threshold if {
	request := tk.with_taxpayers(tk.fbi_i2, tk.batch(tk.fbi_i2, data.params.AUTO_BATCH_MAX, "Seen on camera at the branch on %d February."))
	decision := tk.decide(request)
	decision.outcome == "ALLOW"
	decision.reasons == []
}

test_deny_gw9b_shared_case_number if {
	request := tk.with_taxpayers(tk.fbi_i2, tk.batch(tk.fbi_i2, data.params.BULK_DENY_MIN, "Seen on camera at the branch, frame %d."))
	decision := tk.decide(request)
	decision.reasons == ["GW-9a:HR", "GW-9b:D"]
	every s in decision.subjects {
		s == tk.denied(s.ref, ["GW-11:OBL"], ["GW-11:OBL"])
	}
}

test_deny_gw9b_shared_reason if {
	request := tk.patched(tk.with_taxpayers(tk.fbi_i2, tk.batch(tk.fbi_i2, data.params.BULK_DENY_MIN, "Same reason.")), [
		tk.set("/purpose/case_or_proceeding_no", null),
	])
	tk.decide(request).reasons == ["GW-9a:HR", "GW-9b:D"]
}

test_deny_gw9b_caseload if {
	request := tk.patched(tk.with_taxpayers(tk.fbi_i2, tk.batch(tk.fbi_i2, data.params.BULK_DENY_MIN, "Seen on camera at the branch, frame %d.")), [
		tk.set("/purpose/case_or_proceeding_no", null),
		tk.set("/requester/recipients", tk.recipients("DOJ", [data.params.CASELOAD_DENY + 1])),
	])
	tk.decide(request).reasons == ["6103-I2-7:D", "GW-9a:HR", "GW-9b:D"]
}

test_review_gw9b_not_triggered_below_bulk_threshold if {
	request := tk.with_taxpayers(tk.fbi_i2, tk.batch(tk.fbi_i2, data.params.BULK_DENY_MIN - 1, "Seen on camera at the branch, frame %d."))
	tk.decide(request).reasons == ["GW-9a:HR"]
}

test_review_gw9b_not_triggered_when_individualized if {
	request := tk.patched(tk.with_taxpayers(tk.fbi_i2, tk.batch(tk.fbi_i2, data.params.BULK_DENY_MIN, "Seen on camera at the branch, frame %d.")), [
		tk.set("/purpose/case_or_proceeding_no", null),
	])
	tk.decide(request).reasons == ["GW-9a:HR"]
}

test_deny_gw10_informant_flag_not_revealed if {
	request := tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/record_flags/confidential_informant", true)])
	tk.decide(request) == tk.expect("DENY", [], [tk.denied("TP-1001", ["GW-10:D", "GW-11:OBL"], ["GW-11:OBL"])])
}

test_deny_gw10_impairment_flag if {
	request := tk.patched(tk.fbi_i1, [tk.set("/taxpayers/0/record_flags/tax_investigation_impairment", true)])
	tk.decide(request) == tk.expect("DENY", [], [tk.denied("TP-2002", ["GW-10:D", "GW-11:OBL"], ["GW-11:OBL"])])
}

test_allow_gw10_flags_do_not_bar_m_bases if {
	request := tk.patched(tk.ssa_m7, [tk.set("/taxpayers/0/record_flags/confidential_informant", true)])
	tk.decide(request).outcome == "ALLOW"
}
