# METADATA
# title: Every finding says what happened, in its own rule's words
# description: >-
#   One request per rule that builds a finding (rule id and outcome, and which of
#   two rules sharing both), decided by the real policy. Each case's finding must
#   carry one message, and no two cases the same one: a rule's message comes from
#   its own METADATA (lib.finding), never a neighbour's. fired_messages is also read
#   by tests/unit/pdp/test_rule_messages.py, which checks that these cases cover
#   every METADATA message of the policy.
package gateway.messages_test

import data.gateway
import data.gateway.testkit_test as tk

_i1_order(changes) := tk.patched(tk.fbi_i1, [tk.set("/court_order", object.union(tk.fbi_i1.court_order, changes))])

_duplicate(status) := tk.patched(tk.fbi_i2, [tk.set("/duplicate_of", {
	"request_id": "FBI-BA-2026-0142-R0",
	"decided_at": "2026-03-02T09:12:00-05:00",
	"status": status,
})])

_usao_1253 := tk.patched(tk.as_agency(tk.ice_1253, "DOJ-USAO", "usao-md-us-attorney"), [
	tk.set("/invokes_irs_dhs_mou", false),
	tk.set("/requester/recipients", tk.recipients("DOJ", [4])),
])

_dhs_with_order := tk.patched(tk.as_agency(tk.fbi_i1, "DHS-CBP", "cbp-commissioner"), [tk.set("/requester/recipients", [
	object.union(tk.fbi_i1.requester.recipients[0], {"employer_agency": "DHS"}),
	object.union(tk.fbi_i1.requester.recipients[1], {"employer_agency": "DHS"}),
])])

_interim := tk.patched(tk.ice_1253, [tk.set("/decision_time", "2025-10-15T12:00:00-04:00")])

_second_with_same_reason := json.patch(tk.fbi_i2.taxpayers[0], [
	tk.set("/ref", "TP-1002"),
	tk.set("/supplied/tin", "123-45-6780"),
])

_orders := tk.court_orders

_vacated := tk.vacated(["CEDC-PI"], "2026-03-01T12:00:00-05:00")

# METADATA
# title: One case per finding-building rule, as [rule id, outcome, request, court orders]
_cases := [
	# entry point and gateway integrity
	["6103-A", "DENY", tk.patched(tk.fbi_i2, [tk.set("/legal_basis", "6103_l_6")]), _orders],
	["GW-11", "OBLIGATION", tk.patched(tk.fbi_i2, [tk.set("/written_request", false)]), _orders],
	["PEN-1", "TAG", tk.fbi_i2, _orders],
	["PEN-2", "TAG", tk.fbi_i2, _orders],
	["PEN-3", "TAG", tk.fbi_i2, _orders],
	["GW-1", "DENY", tk.patched(tk.fbi_i2, [tk.set("/requested_fields", [])]), _orders],
	["GW-2", "DENY", tk.patched(tk.fbi_i2, [tk.set("/signature_valid", false)]), _orders],
	["GW-2", "DENY", tk.patched(tk.fbi_i2, [tk.set("/requester/signer", tk.signer("dea-administrator"))]), _orders],
	["GW-3", "DENY", tk.patched(tk.fbi_i2, [tk.set("/replay/request_id_seen", true)]), _orders],
	["GW-3b", "DENY", _duplicate("allowed"), _orders],
	["GW-3b", "DENY", _duplicate("pending_review"), _orders],
	["GW-3b", "DENY", _duplicate("denied"), _orders],
	["GW-4", "DENY", tk.patched(tk.fbi_i2, [tk.set("/requester/agency_id", "DOJ-FBI-X")]), _orders],
	["GW-5", "DENY", tk.patched(tk.fbi_i2, [tk.set("/legal_basis", "NONE")]), _orders],
	["GW-6", "DENY", tk.patched(tk.fbi_i2, [tk.set("/requester/safeguards_status", "LAPSED")]), _orders],
	["6103-P4-1", "DENY", tk.patched(tk.fbi_i2, [tk.set("/requester/safeguards_status", "LAPSED")]), _orders],
	["GW-8", "ALLOW_WITH_REDACTION", tk.patched(tk.fbi_i2, [tk.set("/requested_fields", ["LAST_KNOWN_ADDRESS", "TIN"])]), _orders],
	["GW-8", "DENY", tk.patched(tk.fbi_i2, [tk.set("/requested_fields", ["DOB"])]), _orders],
	# the batch size is the larger of bulk_count and the entries sent (GW-1 also fires: they differ)
	["GW-9a", "REQUIRE_HUMAN_REVIEW", tk.patched(tk.fbi_i2, [tk.set("/bulk_count", data.params.AUTO_BATCH_MAX + 1)]), _orders],
	["GW-9b", "DENY", tk.patched(tk.fbi_i2, [tk.set("/bulk_count", data.params.BULK_DENY_MIN)]), _orders],
	["GW-10", "DENY", tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/record_flags/confidential_informant", true)]), _orders],
	["GW-13", "REQUIRE_HUMAN_REVIEW", tk.patched(tk.fbi_i2, [tk.set("/purpose/statutes_cited", ["18 U.S.C. 9999"])]), _orders],
	["GW-14", "REQUIRE_HUMAN_REVIEW", tk.patched(tk.fbi_i2, [tk.set("/requester/recipients/0/employer_agency", "Ministry of Plenty")]), _orders],
	# §6103(i)(1)
	["6103-I1-OK", "ALLOW", tk.fbi_i1, _orders],
	["6103-I1-1", "DENY", tk.patched(tk.fbi_i1, [tk.set("/court_order", null)]), _orders],
	["6103-I1-1b", "REQUIRE_HUMAN_REVIEW", _i1_order({"verified_with_court": false}), _orders],
	["6103-I1-1c", "REQUIRE_HUMAN_REVIEW", _i1_order({"discrepancies": ["judge"]}), _orders],
	["6103-I1-2", "DENY", _i1_order({"judge_type": "OTHER"}), _orders],
	["6103-I1-3", "DENY", _i1_order({"applicant_authorizer_role": "FBI_DIRECTOR"}), _orders],
	["6103-I1-3", "REQUIRE_HUMAN_REVIEW", _i1_order({"applicant_authorizer_role": "AUSA"}), _orders],
	["6103-I1-4", "DENY", _i1_order({"expires_at": "2026-03-02T14:59:59-05:00"}), _orders],
	["6103-I1-4", "REQUIRE_HUMAN_REVIEW", _i1_order({"issued_at": tk.days_before_decision(tk.fbi_i1, data.params.ORDER_NO_EXPIRY_MAX_AGE_DAYS + 1), "expires_at": null}), _orders],
	["6103-I1-5", "DENY", tk.patched(tk.fbi_i1, [tk.set("/taxpayers/0/supplied/tin", "234-56-7891")]), _orders],
	["6103-I1-5", "DENY", tk.patched(tk.fbi_i1, [tk.set("/taxpayers/0/supplied/tin", null), tk.set("/taxpayers/0/record/tin", "234-56-7891")]), _orders],
	["6103-I1-6", "ALLOW_WITH_REDACTION", tk.patched(_i1_order({"covered_taxable_periods": [2022, 2023]}), [tk.set("/taxpayers/0/record/address_tax_years", [2024, 2023, 2022])]), _orders],
	["6103-I1-6", "DENY", _i1_order({"covered_taxable_periods": [2021]}), _orders],
	["6103-I1-7", "DENY", tk.patched(tk.fbi_i1, [tk.set("/purpose/statutes_cited", ["26 U.S.C. 7206"])]), _orders],
	["6103-I1-8", "DENY", tk.patched(tk.fbi_i1, [tk.set("/requester/recipients", [])]), _orders],
	["6103-I1-9", "ALLOW_WITH_REDACTION", tk.patched(tk.fbi_i1, [tk.set("/requested_fields", ["LAST_KNOWN_ADDRESS", "TIN"])]), _orders],
	["6103-I1-9", "DENY", _i1_order({"covered_data": ["RETURNS"]}), _orders],
	["6103-I1-10", "DENY", tk.patched(tk.fbi_i1, [tk.set("/purpose/enforcement_nature", "CIVIL")]), _orders],
	# §6103(i)(2) and identity
	["6103-I2-OK", "ALLOW", tk.fbi_i2, _orders],
	["6103-I2-1", "DENY", tk.patched(tk.fbi_i2, [tk.set("/written_request", false)]), _orders],
	["6103-I2-2", "DENY", tk.patched(tk.fbi_i2, [tk.set("/requester/signer", tk.signer("fbi-sac-baltimore"))]), _orders],
	["6103-I2-2", "REQUIRE_HUMAN_REVIEW", tk.patched(tk.fbi_i2, [tk.set("/requester/signer", tk.signer("fbi-acting-director"))]), _orders],
	["6103-I2-3", "DENY", tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/supplied/address/line1", "1420")]), _orders],
	["6103-I2-4", "DENY", tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/taxable_periods", "ALL")]), _orders],
	["6103-I2-5", "DENY", tk.patched(tk.fbi_i2, [tk.set("/purpose/statutes_cited", [])]), _orders],
	["6103-I2-5b", "DENY", tk.patched(tk.fbi_i2, [tk.set("/purpose/statutes_cited", ["26 U.S.C. 7201"])]), _orders],
	["6103-I2-5c", "DENY", tk.patched(_usao_1253, [tk.set("/taxpayers/0/supplied/final_removal_order_date", "2026-02-09")]), _orders],
	["6103-I2-6", "DENY", tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/specific_reason", "   ")]), _orders],
	["6103-I2-6", "REQUIRE_HUMAN_REVIEW", tk.with_taxpayers(tk.fbi_i2, [tk.fbi_i2.taxpayers[0], _second_with_same_reason]), _orders],
	["6103-I2-7", "DENY", tk.patched(tk.fbi_i2, [tk.set("/requester/recipients", [])]), _orders],
	["6103-I2-7b", "REQUIRE_HUMAN_REVIEW", tk.patched(tk.fbi_i2, [tk.set("/requester/recipients/1/attested_open_caseload", data.params.CASELOAD_REVIEW + 1)]), _orders],
	["6103-I2-8", "DENY", tk.patched(tk.fbi_i2, [tk.set("/purpose/enforcement_nature", "MIXED")]), _orders],
	["6103-I2-9", "ALLOW_WITH_REDACTION", tk.patched(tk.fbi_i2, [tk.set("/requested_fields", ["LAST_KNOWN_ADDRESS", "DOB"])]), _orders],
	["6103-I2-9b", "ALLOW_WITH_REDACTION", tk.patched(tk.fbi_i2, [tk.set("/requested_fields", ["LAST_KNOWN_ADDRESS", "EMPLOYER_PAYOR"])]), _orders],
	["6103-I2-10", "DENY", tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/match/tin_match", false)]), _orders],
	["6103-I2-10b", "REQUIRE_HUMAN_REVIEW", tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/match/candidates", 2)]), _orders],
	# §6103(i)(3), (i)(5), (i)(7)
	["6103-I3-1", "DENY", tk.patched(tk.fbi_i2, [tk.set("/legal_basis", "6103_i_3_A")]), _orders],
	["6103-I3-2", "REQUIRE_HUMAN_REVIEW", tk.patched(tk.fbi_i2, [tk.set("/legal_basis", "6103_i_3_B"), tk.set("/purpose/category", "EMERGENCY_LIFE_SAFETY")]), _orders],
	["6103-I5-1", "ALLOW", tk.usms_i5, _orders],
	["6103-I5-2", "DENY", tk.patched(tk.usms_i5, [tk.set("/court_order/felony_arrest_warrant", null)]), _orders],
	["6103-I5-3", "DENY", tk.patched(tk.usms_i5, [tk.set("/purpose/downstream_civil_use", true)]), _orders],
	["6103-I7-1", "REQUIRE_HUMAN_REVIEW", tk.fbi_i7a, _orders],
	# injunctions
	["INJ-0", "REQUIRE_HUMAN_REVIEW", _interim, _orders],
	["DHS-IMM-REVIEW", "REQUIRE_HUMAN_REVIEW", _interim, _orders],
	["INJ-1", "DENY", tk.ice_1253, _orders],
	["INJ-2", "REQUIRE_HUMAN_REVIEW", tk.patched(tk.as_agency(tk.fbi_i2, "DHS-CBP", "dhs-secretary"), [tk.set("/requester/recipients", tk.recipients("DHS", [3]))]), _orders],
	["INJ-3", "REQUIRE_HUMAN_REVIEW", _dhs_with_order, _orders],
	["INJ-4", "DENY", tk.patched(tk.fbi_i2, [tk.set("/invokes_irs_dhs_mou", true)]), _orders],
	["INJ-5", "REQUIRE_HUMAN_REVIEW", _usao_1253, _orders],
	["INJ-6", "ALLOW", tk.ice_1253, _vacated],
	["INJ-7", "DENY", tk.patched(tk.fbi_i2, [tk.set("/purpose/relates_to_prior_disclosure_id", data.params.TAINTED_DISCLOSURE_IDS[0])]), _orders],
	# §6103(m) and (d)
	["6103-M2-1", "ALLOW", tk.bfs_m2, _orders],
	["6103-M2-2", "DENY", tk.patched(tk.bfs_m2, [tk.set("/purpose/claim_reference", null)]), _orders],
	["6103-M4-1", "ALLOW", tk.ed_m4, _orders],
	["6103-M7-1", "ALLOW", tk.ssa_m7, _orders],
	["6103-M-X", "DENY", tk.patched(tk.ed_m4, [tk.set("/purpose/category", "FEDERAL_CLAIM_COLLECTION")]), _orders],
	["6103-D-1", "ALLOW", tk.ca_ftb, _orders],
	["6103-D-2", "DENY", tk.patched(tk.ca_ftb, [tk.set("/purpose/downstream_civil_use", true)]), _orders],
]

# METADATA
# title: Every finding of a decision, wherever it is reported
_findings(d) := (({f | some f in d.reasons} | {f | some f in d.penalties}) | {f | some s in d.subjects; some f in s.findings}) | {f | some s in d.subjects; some f in s.reasons}

# METADATA
# title: The messages of the case's rule id and outcome in its decision
messages[i] := {f.message |
	some f in _findings(d)
	f.rule == rule
	f.outcome == outcome
} if {
	some i, [rule, outcome, request, orders] in _cases
	d := gateway.decision with input as tk.with_facts(request) with data.registry.court_orders as orders
}

# METADATA
# title: Every case's rule, outcome and message; with the officer's approval text, which no decision carries
fired_messages := {[rule, outcome, m] |
	some i, [rule, outcome, _, _] in _cases
	some m in messages[i]
} | {[gateway.review_approved.rule, gateway.review_approved.outcome, gateway.review_approved.message]}

# One test, so that the cases are decided once (OPA's test timeout is 5 s a test).
test_every_rule_fires_one_message_of_its_own if {
	wrong := {[i, c[0], c[1], messages[i]] | some i, c in _cases; count(messages[i]) != 1}
	print("cases without exactly one message (case, rule, outcome, messages):", wrong)
	count(wrong) == 0
	shared := {[a[0], a[1], b[0], b[1], common] |
		some i, a in _cases
		some j, b in _cases
		i < j
		common := messages[i] & messages[j]
		count(common) > 0
	}
	print("cases sharing a message (rule, outcome, rule, outcome, messages):", shared)
	count(shared) == 0
	count(fired_messages) == count(_cases) + 1
	["REVIEW-APPROVED", "ALLOW", gateway.review_approved.message] in fired_messages
}

# The issue's example: a boilerplate reason is reported in its own rule's words.
test_boilerplate_reason_says_it_is_shared if {
	some i, [rule, "REQUIRE_HUMAN_REVIEW", _, _] in _cases
	rule == "6103-I2-6"
	some m in messages[i]
	startswith(m, "Boilerplate reason shared with another taxpayer")
}
