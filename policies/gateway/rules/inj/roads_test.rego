# METADATA
# title: Roads around the injunction (issue 7)
# description: >-
#   Each test takes a request that is disclosed or close to it and dresses it up as an
#   adversarial agency would: an immigration statute spelled another way, DHS named
#   another way, an immigration purpose from a non-DHS requester, onward sharing to DHS
#   under another basis. The facts are set as the gateway makes them
#   (gateway/facts), and the decision is taken as it is (decide_as_is).
package gateway.rules.inj.roads_test

import data.gateway.testkit_test as tk

# METADATA
# title: A request with its facts, then some facts replaced
_with(request, ops) := json.patch(tk.with_facts(request), ops)

# METADATA
# title: The statute fact the gateway makes of "8 USC 1326" and "8 U.S.C. § 1326"
_usc_1326(text) := {
	"text": text, "citation": "8 U.S.C. 1326", "title": 8, "code": "U.S.C.", "section": "1326",
	"subsections": [], "lookup": ["8 U.S.C. 1326"], "immigration_title": true,
}

# METADATA
# title: A resolved agency fact
_agency(text, kind, id) := {"text": text, "resolved": {"kind": kind, "id": id}, "mentions": [{"kind": kind, "id": id}]}

# METADATA
# title: The decision has no subject released
_nothing_released(decision) if {
	every s in decision.subjects {
		not s.outcome in {"ALLOW", "ALLOW_WITH_REDACTION"}
	}
}

# METADATA
# title: A DHS request outside immigration goes to review (INJ-2), or with a valid order, to review with court notice (INJ-3)
_dhs_review(decision) if {
	some rule in ["INJ-2:HR", "INJ-3:HR"]
	rule in decision.reasons
}

test_review_fbi_i2_immigration_statute_spelled_otherwise if {
	every text in ["8 USC 1326", "8 U.S.C. § 1326"] {
		request := _with(tk.fbi_i2, [
			tk.set("/purpose/statutes_cited", [text]),
			tk.set("/purpose/statutes", [_usc_1326(text)]),
		])
		decision := tk.decide_as_is(request)
		decision.reasons == ["INJ-5:HR"]
		_nothing_released(decision)
	}
}

test_review_unregistered_title_8_section_is_immigration if {
	request := _with(tk.fbi_i2, [tk.set("/purpose/statutes_cited", ["8 U.S.C. 1357"])])
	decision := tk.decide(request)
	decision.reasons == ["GW-13:HR", "INJ-5:HR"]
	_nothing_released(decision)
}

test_review_unparsed_citation_with_title_8_hint_is_immigration if {
	request := _with(tk.fbi_i2, [
		tk.set("/purpose/statutes_cited", ["8 U.S.C. 1326 and 1324"]),
		tk.set("/purpose/statutes", [object.union(tk.statute_fact("no citation"), {"text": "8 U.S.C. 1326 and 1324", "immigration_title": true})]),
	])
	tk.decide_as_is(request).reasons == ["GW-13:HR", "INJ-5:HR"]
}

test_deny_i2_5c_removal_element_applies_to_any_spelling if {
	request := _with(tk.patched(tk.fbi_i2, [tk.set("/taxpayers/0/supplied/final_removal_order_date", null)]), [
		tk.set("/purpose/statutes_cited", ["8 usc 1253 (a)(1)"]),
		tk.set("/purpose/statutes", [object.union(tk.statute_fact("8 U.S.C. 1253(a)(1)"), {"text": "8 usc 1253 (a)(1)"})]),
	])
	decision := tk.decide_as_is(request)
	"6103-I2-5c:D" in decision.subjects[0].findings
	_nothing_released(decision)
}

test_deny_registry_immigration_statute_outside_title_8 if {
	request := tk.patched(tk.fbi_i2, [tk.set("/purpose/statutes_cited", ["18 U.S.C. 1546"])])
	decision := tk.decide(request)
	decision.reasons == ["INJ-5:HR"]
}

test_deny_dhs_recipient_resolved_from_a_look_alike if {
	every fact in [
		_agency("I.C.E.", "AGENCY", "DHS-ICE-HQ"),
		_agency("DΗS", "DEPARTMENT", "DHS"),
		_agency("U.S. Border Patrol", "AGENCY", "DHS-CBP"),
		{"text": "Baltimore field office", "resolved": null, "mentions": [{"kind": "AGENCY", "id": "DHS-ICE-HQ"}]},
	] {
		request := _with(tk.patched(tk.fbi_i2, [tk.set("/purpose/statutes_cited", ["8 U.S.C. 1326"])]), [tk.set("/requester/recipients/1/employer", fact)])
		decision := tk.decide_as_is(request)
		"INJ-1:D" in decision.reasons
		_nothing_released(decision)
	}
}

test_review_dhs_recipient_under_i5_and_m2 if {
	every request in [tk.usms_i5, tk.bfs_m2] {
		dressed := _with(request, [tk.set("/requester/recipients/0/employer", _agency("Immigration & Customs Enforcement", "AGENCY", "DHS-ICE-HQ"))])
		decision := tk.decide_as_is(dressed)
		_dhs_review(decision)
		_nothing_released(decision)
	}
}

test_deny_every_dhs_word_in_an_unresolved_name if {
	every word in [
		"DHS", "ICE", "ERO", "HSI", "CBP", "USCIS", "FEMA", "TSA", "USSS", "USCG",
		"Homeland Security", "Immigration and Customs", "Customs and Border",
		"Citizenship and Immigration", "Secret Service", "Coast Guard",
	] {
		fact := {"text": sprintf("the %s field office", [word]), "resolved": null, "mentions": []}
		request := _with(tk.patched(tk.fbi_i2, [tk.set("/purpose/downstream_civil_use", true)]), [
			tk.set("/purpose/onward_sharing_to", [fact.text]),
			tk.set("/purpose/onward_sharing", [fact]),
		])
		decision := tk.decide_as_is(request)
		"INJ-1:D" in decision.reasons
	}
}

test_review_immigration_criminal_purpose_from_fbi if {
	request := tk.patched(tk.fbi_i2, [tk.set("/purpose/category", "IMMIGRATION_CRIMINAL")])
	decision := tk.decide(request)
	decision.reasons == ["INJ-5:HR"]
	_nothing_released(decision)
}

test_deny_civil_immigration_purpose_on_i1 if {
	request := tk.patched(tk.fbi_i1, [tk.set("/purpose/category", "CIVIL_IMMIGRATION_ENFORCEMENT")])
	decision := tk.decide(request)
	decision.outcome == "DENY"
	"6103-I1-10:D" in decision.reasons
	"INJ-1:D" in decision.reasons
}

test_deny_i1_needs_criminal_nature if {
	request := tk.patched(tk.fbi_i1, [tk.set("/purpose/enforcement_nature", "CIVIL")])
	tk.decide(request).reasons == ["6103-I1-10:D"]
}

test_deny_onward_sharing_to_dhs_under_i5 if {
	request := tk.patched(tk.usms_i5, [tk.set("/purpose/onward_sharing_to", ["DHS"])])
	decision := tk.decide(request)
	decision.outcome == "DENY"
	"6103-I5-3:D" in decision.reasons
	_dhs_review(decision)
}

test_deny_gw1_facts_missing_for_raw_fields if {
	every op in [tk.set("/purpose/statutes", []), tk.set("/purpose/onward_sharing", [])] {
		request := json.patch(tk.with_facts(tk.patched(tk.fbi_i2, [tk.set("/purpose/onward_sharing_to", ["USAO"])])), [op])
		"GW-1:D" in tk.decide_as_is(request).reasons
	}
}

test_allow_dhs_department_is_not_the_requesters_department if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requester/recipients/1/employer_agency", "Department of Homeland Security")])
	decision := tk.decide(request)
	decision.reasons == ["6103-I2-7:D", "INJ-2:HR"]
}

test_review_after_injunctions_registry_immigration_statute_is_immigration_criminal if {
	request := tk.patched(tk.ice_1253, [
		tk.set("/purpose/category", "NONTAX_CRIMINAL"),
		tk.set("/purpose/statutes_cited", ["18 U.S.C. 1546"]),
	])
	decision := tk.decide_with_orders(request, tk.vacated(["CTR-PI", "CEDC-PI"], "2026-03-01T12:00:00-05:00"))
	"DHS-IMM-REVIEW:HR" in decision.reasons
}
